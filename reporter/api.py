"""Turn Python objects into reports: the library's front door, for training scripts and notebooks.

``report(source, out="out", **options)`` takes a history file or folder, a Keras ``History``
object, a dict of metric lists or a pandas ``DataFrame``, and writes the same files as
``reporter report``; ``compare(sources, ...)`` writes the same files as ``reporter compare``.
The options are the command line's, with the same names and defaults (``patience=5``,
``lang="en"``, ``format="keras-csv"``, ``labels=[...]``, ``direction={"jaccard": "max"}``).
Errors are the typed errors of :mod:`reporter.errors` that the CLI turns into exit codes.

In-memory histories go through the same reader code as a JSON file
(:func:`reporter.history.keras.runs_from_object`): metadata beside the series becomes run
info, NaN and ragged lists become warnings, text inside a series is refused, and the number
of values is capped like a file's bytes (``max_bytes`` / 8). Nothing here imports Keras or
pandas: a ``History`` is anything with a ``.history`` dict, a frame anything with
``.columns`` and ``.to_dict("list")``.

This module is imported by ``import reporter``; matplotlib, WeasyPrint and the analysis are
imported when a report is made.
"""

from __future__ import annotations

import base64
import difflib
import html
import io
import json
import numbers
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, overload
from urllib.parse import quote

from reporter.config import LANGS, Options, outputs
from reporter.errors import ConfigError, HistoryError, clean

if TYPE_CHECKING:
    from reporter.analysis import Analysis
    from reporter.compare import Comparison
    from reporter.history.model import History, Note

__all__ = [
    "OPTION_NAMES",
    "ComparisonReport",
    "Report",
    "Reports",
    "compare",
    "compare_with",
    "options",
    "report",
    "report_with",
]


class HistoryLike(Protocol):
    """A Keras ``History`` (what ``model.fit`` returns), or anything with a ``.history`` dict."""

    @property
    def history(self) -> Mapping[str, Any]: ...


class FrameLike(Protocol):
    """A pandas ``DataFrame`` (one column per metric, one row per epoch)."""

    @property
    def columns(self) -> Any: ...


Source: TypeAlias = "str | os.PathLike[str] | Mapping[str, Any] | HistoryLike | FrameLike"

# ----------------------------------------------------------------------------- options

# The command line's names for the fields of Options whose names differ (--format, --labels,
# --direction); both spellings are accepted.
ALIASES = {"format": "fmt", "labels": "class_labels", "direction": "directions"}
FIELDS = tuple(f.name for f in fields(Options))
_CLI_NAME = {v: k for k, v in ALIASES.items()}
OPTION_NAMES = tuple(_CLI_NAME.get(f, f) for f in FIELDS)
"""The option names, as the command line spells them (``--min-delta`` → ``min_delta``)."""

_INTS = {"patience": 0, "start_from_epoch": 0, "max_bytes": 1}  # name → smallest value
_REALS = ("min_delta", "baseline")
_STRINGS = ("monitor", "fmt", "run")
MAX_LABELS = 100_000  # as many class names as `--labels` reads


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check(name: str, value: object) -> object:
    """``value`` as Options wants it for field ``name``; :class:`ConfigError` otherwise."""
    shown = _CLI_NAME.get(name, name)
    if name in _INTS:
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise ConfigError(f"{shown} must be a whole number (got {value!r:.40})")
        if int(value) < _INTS[name]:
            raise ConfigError(f"{shown} must be {_INTS[name]} or more (got {int(value)})")
        return int(value)
    if name in _REALS:
        if not _real(value):
            raise ConfigError(f"{shown} must be a number (got {value!r:.40})")
        return float(value)  # type: ignore[arg-type]
    if name in _STRINGS:
        if name == "run" and isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return str(int(value))  # run=2, as --run 2
        if not isinstance(value, str):
            raise ConfigError(f"{shown} must be a string (got {value!r:.40})")
        return value
    if name == "mode":
        if value not in ("auto", "min", "max"):
            raise ConfigError(f"mode must be auto, min or max (got {value!r:.40})")
        return value
    if name == "lang":
        if value not in LANGS:
            raise ConfigError(f"lang must be one of {', '.join(LANGS)} (got {value!r:.40})")
        return value
    if name == "directions":
        return _directions(value)
    if name == "class_labels":
        return _labels(value)
    if name == "to":  # "pdf,html" or ["pdf", "html"], as --to
        return outputs(value if isinstance(value, str) else tuple(value))  # type: ignore[arg-type]
    if name == "attach_source":
        if not isinstance(value, bool):
            raise ConfigError(f"attach_source must be True or False (got {value!r:.40})")
        return value
    raise ConfigError(f"unknown option {shown!r}")  # pragma: no cover (FIELDS are all above)


def _directions(value: object) -> dict[str, str]:
    """``{"jaccard": "max"}``, or the command line's ``["jaccard=max"]``."""
    items: Iterable[tuple[object, object]]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, str):
        items = [value.rpartition("=")[::2]]
    elif isinstance(value, Iterable):
        items = [v.rpartition("=")[::2] if isinstance(v, str) else (v, None) for v in value]
    else:
        raise ConfigError(f"direction must be a dict of NAME: min|max (got {value!r:.40})")
    out: dict[str, str] = {}
    for name, direction in items:
        if not isinstance(name, str) or not name or direction not in ("min", "max"):
            raise ConfigError(
                f"direction: expected NAME=min or NAME=max (got {name!r:.40}: {direction!r:.10})"
            )
        out[name] = str(direction)
    return out


def _labels(value: object) -> tuple[str, ...]:
    """Class names: a list, or a file with one per line (as ``--labels``)."""
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"labels: {clean(path)}: {exc}") from None
        lines: Iterable[object] = text.splitlines()
    elif isinstance(value, Iterable):
        lines = value
    else:
        raise ConfigError(f"labels must be a list of names or a file (got {value!r:.40})")
    out = []
    for i, line in enumerate(lines):
        if i >= MAX_LABELS:
            break
        out.append(clean(str(line).strip(), 80))
    return tuple(out)


def options(base: Options | None = None, /, **given: Any) -> Options:
    """Options from the command line's option names (``min_delta=0.01``, ``lang="en"``);
    ``None`` leaves an option at its default. Every problem is reported at once, as one
    :class:`ConfigError`; an unknown name is one of them."""
    errors: list[str] = []
    values: dict[str, object] = {}
    for key, value in given.items():
        name = ALIASES.get(key, key)
        if name not in FIELDS:
            close = difflib.get_close_matches(key, [*OPTION_NAMES, *FIELDS], n=1)
            errors.append(
                f"unknown option {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            )
            continue
        if name in values:
            errors.append(f"{_CLI_NAME.get(name, name)!r} given twice")
            continue
        if value is None:
            continue
        try:
            values[name] = _check(name, value)
        except ConfigError as exc:
            errors.append(exc.message)
    if errors:
        raise ConfigError("; ".join(errors), hint="options: " + ", ".join(OPTION_NAMES))
    return replace(base, **values) if base is not None else Options(**values)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- sources


def _is_path(source: object) -> bool:
    return isinstance(source, str | os.PathLike)


def _budget(limit_bytes: int) -> int:
    """How many values an in-memory history may hold: as many as float64s fit in the byte
    limit a history file has (``max_bytes``, 64 MiB → 8,388,608 values)."""
    return max(1, limit_bytes // 8)


class _Counter:
    """The values an in-memory history may still hold; over the cap is a HistoryError."""

    def __init__(self, limit: int, label: str) -> None:
        self.left = limit
        self.limit = limit
        self.label = label

    def check(self, n: int) -> None:
        """Raise if ``n`` more values would not fit (before copying them)."""
        if n > self.left:
            raise HistoryError(
                f"the history holds more than {self.limit:,} values",
                path=self.label,
                hint="not read; if it is genuine, raise max_bytes (8 bytes per value)",
            )

    def take(self, n: int) -> None:
        self.check(n)
        self.left -= n


def _plain_list(value: object, count: _Counter) -> object:
    """A list of plain Python numbers from a list, tuple or 1-D array of numbers (numpy
    scalars become floats and ints); anything else is passed on for the reader to judge."""
    if not isinstance(value, list | tuple):
        tolist = getattr(value, "tolist", None)  # numpy arrays, pandas Series
        if tolist is None or isinstance(value, str | bytes) or not hasattr(value, "__len__"):
            return value
        count.check(len(value))
        value = tolist()
        if not isinstance(value, list):
            return value
    count.take(len(value) + 1)
    out: list[object] = []
    for item in value:
        if isinstance(item, float | int) and not isinstance(item, bool):
            out.append(item)
        elif isinstance(item, numbers.Integral) and not isinstance(item, bool):
            out.append(int(item))
        elif _real(item):
            out.append(float(item))
        else:
            out.append(item)  # text, None (a gap), a nested list: the reader decides
    return out


def _plain(mapping: Mapping[Any, Any], count: _Counter, depth: int = 0) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in mapping.items():
        count.take(1)
        if isinstance(value, Mapping):
            out[key] = _plain(value, count, depth + 1) if depth == 0 else value
        else:
            out[key] = _plain_list(value, count)
    return out


def _frame(source: Any, count: _Counter) -> dict[Any, Any]:
    shape = getattr(source, "shape", None)
    if isinstance(shape, tuple) and len(shape) == 2 and all(isinstance(n, int) for n in shape):
        count.check(shape[0] * shape[1])  # before to_dict copies a huge frame
    data = source.to_dict("list")
    if not isinstance(data, Mapping):
        raise HistoryError("to_dict('list') did not give a dict", path=count.label)
    # a CSVLogger frame's epoch column is the x axis, not a metric
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.lower() == "epoch")}
    return _plain(data, count)


def _in_memory(
    source: object, limit_bytes: int, name: str | None
) -> tuple[object, str, str, dict[str, str]]:
    """``(plain object, run name, format, info)`` for an in-memory source."""
    if isinstance(source, Mapping):
        label = name or "history"
        return _plain(source, _Counter(_budget(limit_bytes), label)), label, "python-dict", {}
    history = getattr(source, "history", None)
    if isinstance(history, Mapping) and not hasattr(source, "columns"):
        model = getattr(source, "model", None)
        model_name = getattr(model, "name", None)
        label = name or (model_name if isinstance(model_name, str) and model_name else "history")
        info: dict[str, str] = {}
        params = getattr(source, "params", None)
        if isinstance(params, Mapping):
            info = {
                f"keras.{k}": str(v)
                for k, v in list(params.items())[:20]
                if isinstance(k, str) and isinstance(v, str | int | float | bool)
            }
        plain = _plain(history, _Counter(_budget(limit_bytes), label))
        return plain, label, "keras-history", info
    if hasattr(source, "columns") and callable(getattr(source, "to_dict", None)):
        label = name or "history"
        return _frame(source, _Counter(_budget(limit_bytes), label)), label, "dataframe", {}
    raise HistoryError(
        f"cannot report a {type(source).__name__}",
        hint="pass a path, a dict of metric lists, a Keras History or a pandas DataFrame",
    )


def histories(
    source: Source,
    opts: Options | None = None,
    name: str | None = None,
    info: Mapping[str, object] | None = None,
) -> list[History]:
    """The runs in ``source`` (a path, or an in-memory history), as the readers make them."""
    from reporter import history as history_io
    from reporter.history.keras import runs_from_object
    from reporter.history.runs import select

    opts = opts or Options()
    extra = {clean(k, 80): clean(v, 300) for k, v in (info or {}).items()}
    if _is_path(source):
        runs = history_io.load(source, opts.fmt, opts.max_bytes, opts.run)  # type: ignore[arg-type]
    else:
        if opts.fmt is not None:
            raise ConfigError("format applies to files only; an in-memory history needs none")
        obj, label, fmt, found = _in_memory(source, opts.max_bytes, name)
        # the reader names runs after the "file": keep dots and slashes out of that stem
        stem = clean(label, 100).replace("/", "_").replace(".", "_") or "history"
        runs = select(runs_from_object(obj, stem, fmt), opts.run, stem)
        extra = {**found, **extra}
        if stem != label:
            runs = [replace(r, name=label + r.name[len(stem) :]) for r in runs]
    if name is not None and _is_path(source) and len(runs) == 1:
        runs = [replace(runs[0], name=name)]
    if extra:
        runs = [replace(r, info={**r.info, **extra}) for r in runs]
    return runs


# ----------------------------------------------------------------------------- results


def _href(path: Path) -> str:
    """A link to ``path``: relative to the working folder (a notebook's own folder) when it
    lies below it, else a ``file:`` URL."""
    try:
        rel = os.path.relpath(path, os.getcwd())
    except (OSError, ValueError):
        rel = ".."
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        return path.resolve().as_uri()
    return quote(rel.replace(os.sep, "/"))


def _e(text: object) -> str:
    return html.escape(clean(text, 2000), quote=True)


def _texts(text: Mapping[str, str], lang: str) -> list[tuple[str, str]]:
    order = ("ko", "en") if lang == "both" else (lang,)
    seen: list[tuple[str, str]] = []
    for code in order:
        value = text.get(code)
        if isinstance(value, str) and value not in [v for _, v in seen]:
            seen.append((code, value))
    return seen


def _paragraphs(text: Mapping[str, str], lang: str, style: str = "") -> str:
    return "".join(
        f'<p lang="{code}" style="margin:0.2em 0;{style}">{_e(value)}</p>'
        for code, value in _texts(text, lang)
    )


def _links(files: Sequence[Path]) -> str:
    return " · ".join(
        f'<a href="{html.escape(_href(p), quote=True)}" target="_blank" rel="noopener">'
        f"{_e(p.name)}</a>"
        for p in files
    )


_BOX = (
    "border:1px solid #d0d7de;border-radius:6px;padding:0.6em 0.9em;margin:0.4em 0;"
    "font-family:'Noto Sans KR','Malgun Gothic','Apple SD Gothic Neo',sans-serif;"
    "max-width:60em"
)
FIGURE_DPI = 100  # 7.4 × 2.9 inches → 740 × 290 pixels, a PNG of some 40 kB


def _png(figure: Any) -> bytes:
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
    return buf.getvalue()


def headline_png(analysis: Analysis, lang: str = "both") -> bytes | None:
    """The monitored family's figure (else the first family's) as a small PNG; ``None`` when
    the run has nothing to draw or the figure cannot be drawn."""
    import numpy as np

    from reporter import plots
    from reporter.figures import shown_families
    from reporter.i18n import messages
    from reporter.mplsafe import matplotlib

    families = shown_families(analysis.catalog)[0]
    if not families:
        return None
    monitor = analysis.recommendation.monitor
    family = next((f for f in families if monitor in f.series_names), families[0])
    try:
        with (
            matplotlib.rc_context(plots.style()),  # type: ignore[arg-type]
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
        ):
            return _png(plots.build_figure(analysis, family, lang, messages(), []))
    except plots.PLOT_ERRORS:
        return None


@dataclass(frozen=True, eq=False)
class Report:
    """One run's report on disk, with what it says.

    ``files`` are every file written for the run (``report.pdf``, ``summary.json``, and any
    other output format's file); ``summary`` is ``summary.json`` as a dict. In Jupyter the
    report shows itself: the recommendation, the monitored metric's figure, links to files.
    """

    name: str
    folder: Path
    files: tuple[Path, ...]
    pages: int
    analysis: Analysis
    options: Options
    notes: tuple[Note, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _file(self, suffix: str) -> Path | None:
        return next((p for p in self.files if p.suffix == suffix), None)

    @property
    def pdf(self) -> Path | None:
        return self._file(".pdf")

    @property
    def html(self) -> Path | None:
        """The HTML report, where that writer is part of the report."""
        return self._file(".html")

    @property
    def summary(self) -> dict[str, Any]:
        """``summary.json``, as written."""
        if "summary" not in self._cache:
            path = self._file(".json") or self.folder / "summary.json"
            self._cache["summary"] = json.loads(path.read_text("utf-8"))
        return self._cache["summary"]  # type: ignore[no-any-return]

    @property
    def recommendation(self) -> dict[str, Any]:
        """Where to stop, which checkpoint to keep, and why (``["text"]["ko"|"en"]``)."""
        return self.summary["recommendation"]  # type: ignore[no-any-return]

    @property
    def findings(self) -> list[dict[str, Any]]:
        """Every finding: ``code``, ``metric``, ``epochs``, ``facts``, ``text``."""
        return self.summary["findings"]  # type: ignore[no-any-return]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return self.summary["warnings"]  # type: ignore[no-any-return]

    def text(self, lang: str = "en") -> str:
        """The recommendation in one language (``ko`` or ``en``)."""
        return str(self.recommendation["text"][lang])

    def figure_png(self) -> bytes | None:
        """The headline figure (the monitored metric's) as PNG bytes, drawn once."""
        if "png" not in self._cache:
            self._cache["png"] = headline_png(self.analysis, self.options.lang)
        return self._cache["png"]  # type: ignore[no-any-return]

    def to_html(self, lang: str | None = None) -> str:
        """The notebook view: recommendation (Korean first unless ``lang`` says otherwise),
        the headline figure inline, findings folded, links to the files. Every piece of text
        from the run is escaped; the figure is a PNG drawn here; nothing is fetched."""
        lang = lang or self.options.lang
        s = self.summary
        head = (
            f"<b>{_e(self.name)}</b> "
            f'<span style="color:#57606a">· {_e(s.get("format"))} · '
            f"{_e(s.get('epochs'))} {_e(s.get('axis'))}s · {self.pages} pages</span>"
        )
        parts = [f'<div class="reporter-report" style="{_BOX}">', f"<div>{head}</div>"]
        parts.append(_paragraphs(self.recommendation["text"], lang, "font-weight:600"))
        png = self.figure_png()
        if png is not None:
            parts.append(
                '<img alt="headline figure" style="max-width:100%;height:auto" '
                f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
            )
        findings = self.findings
        if findings:
            items = "".join(
                f"<li>{''.join(_paragraphs(f['text'], lang))}</li>" for f in findings[:20]
            )
            more = f"<li>… +{len(findings) - 20}</li>" if len(findings) > 20 else ""
            title = {"ko": "발견", "en": "Findings"}
            label = " / ".join(title[c] for c, _ in _texts(title, lang))
            parts.append(
                f"<details><summary>{label} ({len(findings)})</summary>"
                f'<ul style="margin:0.3em 0">{items}{more}</ul></details>'
            )
        parts.append(f"<div>{_links(self.files)}</div></div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"Report({self.name!r}, pdf={str(self.pdf)!r})"


class Reports(Sequence[Report]):
    """Every run one source produced (most sources hold one). With a single run, the run's
    attributes (``pdf``, ``summary``, ``recommendation``, ``findings`` …) are here too."""

    def __init__(self, runs: Iterable[Report]) -> None:
        self.runs = tuple(runs)

    @overload
    def __getitem__(self, index: int) -> Report: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Report]: ...
    def __getitem__(self, index: int | slice) -> Report | Sequence[Report]:
        return self.runs[index]

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[Report]:
        return iter(self.runs)

    @property
    def one(self) -> Report:
        """The only run; a ValueError naming the runs when the source held several."""
        if len(self.runs) != 1:
            names = ", ".join(repr(r.name) for r in self.runs[:10])
            raise ValueError(
                f"the source held {len(self.runs)} runs ({names}); pick one: result[0]"
            )
        return self.runs[0]

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(p for r in self.runs for p in r.files)

    @property
    def name(self) -> str:
        return self.one.name

    @property
    def folder(self) -> Path:
        return self.one.folder

    @property
    def pdf(self) -> Path | None:
        return self.one.pdf

    @property
    def html(self) -> Path | None:
        return self.one.html

    @property
    def summary(self) -> dict[str, Any]:
        return self.one.summary

    @property
    def recommendation(self) -> dict[str, Any]:
        return self.one.recommendation

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.one.findings

    @property
    def analysis(self) -> Analysis:
        return self.one.analysis

    def text(self, lang: str = "en") -> str:
        return self.one.text(lang)

    def to_html(self, lang: str | None = None) -> str:
        return "".join(r.to_html(lang) for r in self.runs)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"Reports({list(self.runs)!r})"


@dataclass(frozen=True, eq=False)
class ComparisonReport:
    """A comparison on disk: ``comparison.pdf``, ``comparison.json`` (``summary``) and any
    other output format's file, with the :class:`~reporter.compare.Comparison` itself."""

    name: str
    folder: Path
    files: tuple[Path, ...]
    pages: int
    comparison: Comparison
    options: Options
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def pdf(self) -> Path | None:
        return next((p for p in self.files if p.suffix == ".pdf"), None)

    @property
    def html(self) -> Path | None:
        return next((p for p in self.files if p.suffix == ".html"), None)

    @property
    def summary(self) -> dict[str, Any]:
        if "summary" not in self._cache:
            path = next((p for p in self.files if p.suffix == ".json"), None)
            path = path or self.folder / "comparison.json"
            self._cache["summary"] = json.loads(path.read_text("utf-8"))
        return self._cache["summary"]  # type: ignore[no-any-return]

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.summary["findings"]  # type: ignore[no-any-return]

    def to_html(self, lang: str | None = None) -> str:
        lang = lang or self.options.lang
        parts = [
            f'<div class="reporter-comparison" style="{_BOX}">',
            f"<div><b>{_e(self.name)}</b> "
            f'<span style="color:#57606a">· {len(self.comparison.names)} runs · '
            f"{self.pages} pages</span></div>",
        ]
        parts.append(
            '<ul style="margin:0.3em 0">'
            + "".join(f"<li>{_paragraphs(f['text'], lang)}</li>" for f in self.findings[:20])
            + "</ul>"
        )
        parts.append(f"<div>{_links(self.files)}</div></div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"ComparisonReport({self.name!r}, pdf={str(self.pdf)!r})"


# ----------------------------------------------------------------------------- the calls


def report_with(
    source: Source,
    opts: Options,
    out: str | os.PathLike[str] = "out",
    *,
    taken: set[str] | None = None,
    name: str | None = None,
    info: Mapping[str, object] | None = None,
) -> Reports:
    """:func:`report` with options already made (the CLI's entry); ``taken`` keeps folder
    names unique across several calls, as ``reporter report a b c`` does."""
    from reporter.pipeline import report_runs  # heavy: matplotlib, WeasyPrint

    results = report_runs(histories(source, opts, name, info), opts, Path(out), taken)
    return Reports(
        Report(
            r.name,
            r.folder,
            tuple(r.files),
            r.pages,
            r.analysis,
            opts,
            tuple(r.warnings),
        )
        for r in results
    )


def report(
    source: Source,
    out: str | os.PathLike[str] = "out",
    *,
    name: str | None = None,
    info: Mapping[str, object] | None = None,
    **options_: Any,
) -> Reports:
    """Write ``OUT/<run>/report.pdf`` and ``summary.json`` for every run in ``source``.

    ``source``: a history file or folder (any format ``reporter report`` reads), a Keras
    ``History`` (what ``model.fit`` returns), a dict of metric lists (``history.history``)
    or a pandas ``DataFrame``. ``name`` names an in-memory run (its folder; default: the
    Keras model's name, else ``history``); ``info`` adds lines to the report's run info.
    ``options_`` are the command line's options (:data:`OPTION_NAMES`).

    Returns :class:`Reports` (one :class:`Report` per run; a single run's attributes are
    on it directly). Raises :class:`~reporter.errors.ConfigError` for bad options,
    :class:`~reporter.errors.HistoryError` for a history that cannot be read and
    :class:`~reporter.errors.OutputError` when ``out`` cannot be written.
    """
    return report_with(source, options(**options_), out, name=name, info=info)


def compare_with(
    sources: Sequence[Source],
    opts: Options,
    out: str | os.PathLike[str] = "out",
    *,
    series: bool = False,
    name: str | None = None,
) -> ComparisonReport:
    """:func:`compare` with options already made (the CLI's entry)."""
    from reporter.pipeline import compare_runs  # heavy: matplotlib, WeasyPrint

    if isinstance(sources, str | os.PathLike | Mapping):
        raise ConfigError("compare takes a list of sources (paths or histories)")
    out = Path(out)
    runs: list[History] = []
    seen: set[str] = set()
    for source in sources:
        for run in histories(source, opts):
            # in-memory runs are all called "history" unless named: number them apart
            if run.name in seen and not _is_path(source):
                run = replace(run, name=f"{run.name}-{len(runs) + 1}")
            seen.add(run.name)
            runs.append(run)
    done = compare_runs(runs, opts, out, series, name)
    return ComparisonReport(done.title, done.folder, done.files, done.pages, done.comparison, opts)


def compare(
    sources: Sequence[Source],
    out: str | os.PathLike[str] = "out",
    *,
    series: bool = False,
    name: str | None = None,
    **options_: Any,
) -> ComparisonReport:
    """Compare two or more runs: ``OUT/<name>/comparison.pdf`` and ``comparison.json``.

    ``sources`` are what :func:`report` takes (paths, Keras ``History`` objects, dicts,
    DataFrames, mixed); ``series=True`` compares each run with the one before it.
    """
    return compare_with(sources, options(**options_), out, series=series, name=name)
