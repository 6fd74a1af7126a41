"""Turn an Analysis and its figures into report HTML through the Jinja2 templates.

Templates get facts, not work: :func:`build_context` pre-computes every row
and sentence; the template only loops and lays out. Autoescaping is always on
(metric names are untrusted) and undefined names fail loudly.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from reporter.analysis import Analysis, is_eval_sets, positions, xnum
from reporter.analysis.series import final, x_at
from reporter.assets import templates_dir, version
from reporter.errors import visible
from reporter.export import asked_epoch
from reporter.figures import MAX_CLASS_LINES, run_colour, shown_families
from reporter.history.model import Note
from reporter.i18n import Messages, Text, messages
from reporter.metrics import Family, Metric
from reporter.sentences import (
    family_title,
    finding_text,
    held_out_text,
    monitor_text,
    numbering_text,
    recommendation_text,
    sentence,
    short,
    units,
    warning_texts,
)

MAX_CLASS_ROWS = 40
MAX_BEST_ROWS = 80
MAX_FINDINGS = 30
CONTENTS_FROM = 8


@dataclass(frozen=True)
class BestRow:
    metric: str
    series: str
    direction: Text
    train_value: float | None
    train_epoch: float | None
    val_value: float | None
    val_epoch: float | None
    final: float | None


@dataclass(frozen=True)
class ClassRow:
    index: int | str
    metric: str
    val_value: float | None
    val_epoch: float | None
    final: float | None


@dataclass(frozen=True)
class Section:
    key: str
    title: Text
    image: str
    findings: list[Text] = field(default_factory=list)
    class_rows: list[ClassRow] = field(default_factory=list)
    sets: bool = False
    thinned: Text | None = None
    more_classes: Text | None = None
    alt: str = ""  # what the figure shows and its key numbers, for screen readers


@dataclass(frozen=True)
class PolicyRow:
    name: str
    stop_epoch: str
    keep_epoch: str
    value: float | None
    reason: Text


@dataclass(frozen=True)
class WindowRow:
    span: str
    worse: str
    severity: float
    metrics: str


@dataclass(frozen=True)
class CriterionRow:
    name: str
    epoch: str
    value: float | None


@dataclass(frozen=True)
class ReportContext:
    """Everything the report template shows, computed in Python."""

    name: str
    source: str
    format: str
    axis: str
    length: Text
    axis_note: Text
    version: str
    monitor: str | None
    monitor_why: Text | None
    held_out: Text | None
    info: list[tuple[str, str]]
    notes: list[Text]  # what page 1 must say about this report itself (attachments left out …)
    created: str  # an ISO date for the PDF's metadata when SOURCE_DATE_EPOCH asks for one
    recommendation: Text
    recommendation_kind: str
    confidence: Text
    doubts: list[Text]
    findings: list[Text]
    warnings: list[Text]
    best_rows: list[BestRow]
    more_metrics: Text | None
    contents: list[Text]
    stopping: list[tuple[Text | str, str]]
    policies: list[PolicyRow]
    criteria: list[CriterionRow]
    criteria_summary: Text | None
    criteria_note: Text
    windows: list[WindowRow]
    sections: list[Section]

    @property
    def short_words(self) -> bool:
        """No word on the page is longer than :data:`LONG_WORD` characters: table cells may
        then wrap between words only (see ``body.short-words`` in report.css)."""
        return _longest_word(self) <= LONG_WORD


# A cell's text may break inside a word (``overflow-wrap: anywhere``) only when some word of
# the report is longer than this: automatic table layout then measures every cell once per
# character it could break at, a third of the PDF engine's time. Words up to this length fit
# the narrowest auto-width column (about 170 pt at 7.6 pt), so the tables come out the same.
LONG_WORD = 40


def _longest_word(value: object) -> int:
    """The longest run of non-space characters in any string held by ``value``."""
    if isinstance(value, str):
        return max((len(w) for w in value.split()), default=0)
    if isinstance(value, (list, tuple)):
        return max((_longest_word(v) for v in value), default=0)
    if isinstance(value, dict):
        return max((_longest_word(v) for kv in value.items() for v in kv), default=0)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return max(
            (_longest_word(getattr(value, f.name)) for f in dataclasses.fields(value)),
            default=0,
        )
    return 0


def _best_row(analysis: Analysis, metric: Metric, t: Messages) -> BestRow:
    def best(name: str | None) -> tuple[float | None, float | None]:
        b = analysis.bests.get(name) if name else None
        return (b.value, b.epoch) if b else (None, None)

    tv, te = best(metric.train)
    vv, ve = best(metric.val)
    final_name = metric.val or metric.train or next(iter(metric.series.values()))
    names = " · ".join(short(n, 60) for n in metric.series.values())
    return BestRow(
        short(metric.base, 80),
        "" if names == metric.base else names,
        t(f"dir.{metric.direction or 'unknown'}"),
        tv,
        te,
        vv,
        ve,
        final(analysis.history[final_name].values),
    )


def _visible(value: Any) -> Any:
    """Every string printed by a template: control characters (from metric names) spelled out,
    so that a NUL or a terminal escape never reaches the PDF's text."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value, keep="\n\t", printed=True)
    return value


def _created() -> str:
    """The date a reproducible build asks for (SOURCE_DATE_EPOCH), else none at all."""
    asked = asked_epoch()
    if asked is None:
        return ""
    return datetime.fromtimestamp(asked, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


ALT_SERIES = 4  # series named in a figure's alternative text


def figure_alt(analysis: Analysis, family: Family, t: Messages, lang: str = "both") -> str:
    """A figure's alternative text: its title, then the best value of up to ALT_SERIES of
    its series and where it was reached (and the checkpoint to use, on the monitor's)."""
    h, rec = analysis.history, analysis.recommendation
    unit, _ = units(h.axis, t)
    parts: dict[str, list[str]] = {"ko": [], "en": []}
    for name in family.series_names[:ALT_SERIES]:
        best = analysis.bests.get(name)
        if best is None:
            continue
        facts = {"series": short(name, 60), "value": best.value, "x": xnum(best.epoch)}
        text = t("report.alt_best", unit=unit, **facts)
        parts["ko"].append(text.ko)
        parts["en"].append(text.en)
    title = family_title(family, t)
    out = {
        k: f"{getattr(title, k)}: " + ("; ".join(v) if v else getattr(t("report.alt_none"), k))
        for k, v in parts.items()
    }
    if rec.monitor in family.series_names and rec.keep_index is not None:
        keep = t("report.alt_keep", unit=unit, x=xnum(h[rec.monitor].x[rec.keep_index]))
        out = {k: f"{v}. {getattr(keep, k)}" for k, v in out.items()}
    if lang == "ko":
        return out["ko"]
    if lang == "en":
        return out["en"]
    return f"{out['ko']} / {out['en']}"


def build_context(
    analysis: Analysis,
    image_urls: Sequence[str],
    t: Messages,
    thinned: Sequence[Sequence[tuple[str, int, int]]] | None = None,
    warnings: Sequence[Note] | None = None,
    lang: str = "both",
    notes: Sequence[Text] = (),
) -> ReportContext:
    """Pre-compute every row and sentence of the report. ``warnings`` are every warning the
    report shows (``None``: the analysis's own)."""
    h = analysis.history
    rec = analysis.recommendation
    crowded = {
        f.key
        for f in analysis.catalog.families
        if f.kind == "per_class" and len(f.metrics) > MAX_CLASS_LINES
    }
    metrics = list(
        dict.fromkeys(
            m
            for m in analysis.catalog.metrics.values()
            if m.kind == "quality" and not (m.class_index is not None and m.family in crowded)
        )
    )
    rows = [_best_row(analysis, m, t) for m in metrics]
    more_rows = max(0, len(rows) - MAX_BEST_ROWS)
    rows = rows[:MAX_BEST_ROWS]
    family_codes = {"per_class_summary"}
    general = [finding_text(f, t, h.axis) for f in analysis.findings if f.code not in family_codes]
    if len(general) > MAX_FINDINGS:
        general = [
            *general[:MAX_FINDINGS],
            t("report.more_findings", n=len(general) - MAX_FINDINGS),
        ]
    sections = []
    families, hidden_families = shown_families(analysis.catalog)
    for k, (family, url) in enumerate(zip(families, image_urls, strict=True)):
        fam_findings = [
            finding_text(f, t, h.axis)
            for f in analysis.findings
            if f.code in family_codes and f.metric == family.key
        ]
        class_rows = []
        class_note: Text | None = None
        if family.kind == "per_class":
            for m in family.metrics:
                r = _best_row(analysis, m, t)
                class_rows.append(
                    ClassRow(
                        m.label or m.class_index or 0,
                        short(m.val or m.base, 80),
                        r.val_value,
                        r.val_epoch,
                        r.final,
                    )
                )
            if len(class_rows) > MAX_CLASS_ROWS:
                # worst first, so the classes that need attention are the ones on the page
                worst_low = (family.metrics[0].direction or "max") == "max"
                class_rows.sort(
                    key=lambda r: (r.final is None, (r.final or 0.0) * (1 if worst_low else -1))
                )
                hidden = len(class_rows) - MAX_CLASS_ROWS
                class_rows = class_rows[:MAX_CLASS_ROWS]
                class_note = t("report.more_classes", n=hidden)
        sections.append(
            Section(
                short(family.key, 120),
                family_title(family, t),
                url,
                fam_findings,
                class_rows,
                is_eval_sets(family),
                _thinned_note(thinned[k] if thinned is not None else (), t),
                class_note,
                figure_alt(analysis, family, t, lang),
            )
        )
    xs = positions(h, rec.monitor)

    def ex(i: int | None) -> str:
        x = x_at(xs, i)
        return "—" if x is None else str(x)

    stopping: list[tuple[Text | str, str]] = []
    s = analysis.stopping
    unit = units(h.axis, t)[0]
    if s is not None:
        stopping = [
            ("monitor", s.monitor),
            ("mode", s.mode),
            ("patience", str(s.patience)),
            ("min_delta", f"{s.min_delta:g}"),
            ("baseline", "None" if s.baseline is None else f"{s.baseline:g}"),
            ("start_from_epoch", str(s.start_from_epoch)),
            ("restore_best_weights", str(s.restore_best_weights)),
            (
                t("es.stopped", unit=unit),
                ex(s.stopped_epoch) if s.stop_fired else t("es.not_fired").joined("both", " / "),
            ),
            (t("es.restored", unit=unit), ex(s.restored_from)),
            (t("es.best_value"), "—" if s.best is None else f"{s.best:.6g}"),
            (t("es.evals_run" if h.axis == "step" else "es.epochs_run"), str(s.epochs_run)),
        ]
    policies = [
        PolicyRow(
            {
                "keras": "Keras EarlyStopping",
                "lightning": "Lightning EarlyStopping",
                "huggingface": "Hugging Face EarlyStoppingCallback",
            }.get(p.policy, p.policy),
            ex(p.stop_index),
            ex(p.keep_index),
            p.best,
            t(f"reason.{p.reason or 'none'}"),
        )
        for p in analysis.policies
    ]
    criteria = [CriterionRow(c.name, ex(c.index), c.value) for c in analysis.criteria]
    fired = [c for c in analysis.criteria if c.index is not None]
    first = min(fired, key=lambda c: c.index or 0) if fired else None
    summary_text = (
        sentence("crit.first", {"name": first.name, "epoch": ex(first.index)}, t, h.axis)
        if first
        else t("crit.none")
        if analysis.criteria
        else None
    )
    return ReportContext(
        name=short(h.name, 200),
        source=short(str(h.source), 300),
        format=h.format,
        axis=h.axis,
        length=_length(h, xs, t),
        axis_note=numbering_text(h, t),
        version=version(),
        monitor=rec.monitor,
        monitor_why=monitor_text(analysis, t),
        held_out=held_out_text(analysis, t),
        notes=list(notes),
        created=_created(),
        info=[
            (short(k, 60), short(v, 200))
            for k, v in list(h.info.items())[:40]
            if not k.startswith("_")
        ],
        recommendation=recommendation_text(rec, t, h.axis),
        recommendation_kind=rec.kind,
        confidence=_confidence(rec.confidence, t),
        doubts=[t(f"doubt.{d}") for d in rec.doubts],
        findings=general,
        warnings=warning_texts(analysis.warnings if warnings is None else warnings, t),
        best_rows=rows,
        more_metrics=t("report.more_metrics", rows=more_rows, figures=hidden_families)
        if more_rows or hidden_families
        else None,
        contents=[sec.title for sec in sections] if len(sections) > CONTENTS_FROM else [],
        stopping=stopping,
        policies=policies,
        criteria=criteria,
        criteria_summary=summary_text,
        criteria_note=t("crit.note", k=5),
        sections=sections,
        windows=[
            WindowRow(
                str(ex(w.start_index))
                if w.start_index == w.end_index
                else f"{ex(w.start_index)}–{ex(w.end_index)}",
                f"{w.n_worse}/{w.n_metrics}",
                w.severity,
                short(", ".join(w.worst_metrics), 120),
            )
            for w in analysis.windows
        ],
    )


def _thinned_note(items: Sequence[tuple[str, int, int]], t: Messages) -> Text | None:
    if not items:
        return None
    shown = sum(i[1] for i in items)
    total = sum(i[2] for i in items)
    return t(
        "report.thinned",
        shown=f"{shown:,}",
        total=f"{total:,}",
        names=short(", ".join(i[0] for i in items), 160),
    )


def _length(h: Any, xs: Any, t: Messages) -> Text:
    if h.axis == "epoch":
        return t("report.length_epochs", n=h.n_epochs or len(xs))
    last = max((float(s.x.max()) for s in h.series.values() if len(s)), default=0.0)
    return t("report.length_steps", last=f"{xnum(last):,}", n=len(xs))


def _confidence(level: str, t: Messages) -> Text:
    """ "신뢰도: 높음" / "Confidence: high": each language gets its own word for the level."""
    word = t(f"confidence.{level}")
    return Text(t("rec.confidence", level=word.ko).ko, t("rec.confidence", level=word.en).en)


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4f}"


def _epoch(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@lru_cache(maxsize=4)
def environment(folder: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment over the templates folder: autoescape on, undefined fails."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder or templates_dir())),
        autoescape=True,
        finalize=_visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["epoch"] = _epoch
    return env


def render_html(
    context: ReportContext,
    lang: str,
    template: str = "report.html.j2",
    figures_inline: Sequence[str] | None = None,
    css: str | None = None,
) -> str:
    """The report page. For a PDF the figures and the stylesheet are ``asset:`` URLs; for a
    standalone HTML file, ``figures_inline`` (SVG markup, already made safe) and ``css``
    (the project's stylesheet with the font inlined) are written into the page itself."""
    env = environment()
    return env.get_template(template).render(
        r=context,
        lang=lang,
        t=messages(),
        figures_inline=[markupsafe.Markup(f) for f in figures_inline] if figures_inline else None,
        css=markupsafe.Markup(css) if css is not None else None,
    )


@dataclass(frozen=True)
class RunLine:
    name: str
    source: str
    length: Text
    monitor: str | None
    stop: str
    keep: str
    colour: str


@dataclass(frozen=True)
class CompareRow:
    name: str
    direction: Text
    cells: list[Any]
    winner: str | None


@dataclass(frozen=True)
class Figure:
    key: str
    title: Text
    image: str


@dataclass(frozen=True)
class CompareContext:
    name: str
    runs: list[RunLine]
    reference_note: Text
    findings: list[Text]
    rows: list[CompareRow]
    figures: list[Figure]


def build_compare_context(
    comparison: Any, name: str, images: list[tuple[Family, str]], t: Messages
) -> CompareContext:
    axis = comparison.analyses[0].history.axis
    runs = []
    for i, a in enumerate(comparison.analyses):
        xs = positions(a.history, a.recommendation.monitor)
        keep, stop = a.recommendation.keep_index, a.recommendation.stop_index
        runs.append(
            RunLine(
                short(a.history.name, 80),
                short(str(a.history.source), 120),
                _length(a.history, xs, t),
                a.recommendation.monitor,
                "—" if stop is None else str(x_at(xs, stop)),
                "—" if keep is None else str(x_at(xs, keep)),
                run_colour(i),
            )
        )
    note = (
        t("cmp.reference_first", name=short(comparison.names[0], 80))
        if comparison.reference == "first"
        else t("cmp.reference_series")
    )
    rows = [
        CompareRow(
            short(r.name, 80),
            t(f"dir.{r.mode}"),
            list(r.cells),
            None if r.winner is None else short(comparison.names[r.winner], 60),
        )
        for r in comparison.rows
    ]
    return CompareContext(
        short(name, 200),
        runs,
        note,
        [finding_text(f, t, axis) for f in comparison.findings],
        rows,
        [Figure(f.key, family_title(f, t), url) for f, url in images],
    )


def render_compare_html(
    context: CompareContext,
    lang: str,
    figures_inline: Sequence[str] | None = None,
    css: str | None = None,
) -> str:
    """The comparison page; ``figures_inline`` and ``css`` as in :func:`render_html`."""
    env = environment()
    return env.get_template("compare.html.j2").render(
        c=context,
        lang=lang,
        t=messages(),
        figures_inline=[markupsafe.Markup(f) for f in figures_inline] if figures_inline else None,
        css=markupsafe.Markup(css) if css is not None else None,
    )
