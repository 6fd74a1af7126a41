"""Turn history sources into finished reports: read → analyse → draw → render → export → write.

This is the one place that knows the order of the stages. ``report``, ``compare`` and each
``batch`` item go through the same functions: :func:`report_source` (a source's runs into
their folders), :func:`render_report` / :func:`render_comparison` (one report in memory,
as named files) and :func:`write_files` (every file of a report written atomically, all
or none).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reporter import figures, writers
from reporter import history as history_io
from reporter.analysis import Analysis, analyze
from reporter.compare import Comparison, compare
from reporter.config import Options
from reporter.drawing import Drawing
from reporter.errors import ConfigError
from reporter.export import Attached, html_to_pdf, write_files
from reporter.history.model import History, Note, note
from reporter.history.reread import REREAD_KEY
from reporter.i18n import Messages, Text, messages
from reporter.naming import run_folders, safe_name
from reporter.render import (
    build_compare_context,
    build_context,
    render_compare_html,
)
from reporter.summary import build_summary, comparison_summary, dumps
from reporter.writers import ReportContent, write_all
from reporter.writers.content import FiguresChanged
from reporter.writers.html import standalone
from reporter.writers.pdf import MAX_SOURCE

__all__ = [
    "ComparisonResult",
    "Rendered",
    "ReportResult",
    "compare_runs",
    "render_comparison",
    "render_report",
    "report_runs",
    "report_source",
    "write_comparison",
    "write_report",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """One report in memory: its files by name, the PDF's page count, and every warning the
    report shows (the analysis's, then the drawing's) plus what the PDF step logged."""

    files: Mapping[str, bytes]
    pages: int
    warnings: tuple[Note, ...] = ()
    export_log: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportResult:
    """What one run produced on disk."""

    name: str
    folder: Path
    pages: int
    analysis: Analysis
    warnings: tuple[Note, ...] = ()
    export_log: tuple[str, ...] = ()
    files: tuple[Path, ...] = field(default=())

    @property
    def pdf(self) -> Path:
        return self.folder / "report.pdf"

    @property
    def summary(self) -> Path:
        return self.folder / "summary.json"


@dataclass(frozen=True)
class ComparisonResult:
    """What a comparison produced on disk."""

    folder: Path
    comparison: Comparison
    pages: int
    title: str = ""
    files: tuple[Path, ...] = ()

    @property
    def pdf(self) -> Path:
        return self.folder / "comparison.pdf"


def render_report(history: History, options: Options) -> tuple[Analysis, Rendered]:
    """Analyse one run and plan its figures, then let the chosen writers (``options.to``) turn
    it into files: ``summary.json`` always, ``report.pdf`` and ``report.html`` as asked. The
    figures are drawn when a writer first needs them (for the PDF: while the PDF engine lays
    the pages out, see :mod:`reporter.engine`)."""
    t = messages()
    analysis = analyze(history, options)
    drawing = Drawing(analysis, options.lang, t, figures.plan(analysis))
    if "pdf" not in writers.chosen(options.to):
        drawing.finish()  # nothing to overlap: drawn now, so every warning is known
    source = _source(history, options, t)
    try:
        return analysis, _write(analysis, options, drawing, source, t)
    except FiguresChanged:  # a figure failed: its warning goes on the page and in the summary
        return analysis, _write(analysis, options, drawing, source, t)


def _write(
    analysis: Analysis,
    options: Options,
    drawing: Drawing,
    source: tuple[bytes | None, str, list[Text]],
    t: Messages,
) -> Rendered:
    failed = drawing.plots if drawing.started else []  # a retry: every figure drawn now
    warnings = (
        *analysis.warnings,
        *(
            note("warn.plot_failed", figure=p.family.key, reason=p.failed)
            for p in failed
            if p.failed
        ),
    )
    urls = [f"asset:fig/{i}.svg" for i in range(len(drawing.plans))]
    body, name, notes = source
    context = build_context(analysis, urls, t, drawing.thinned, warnings, options.lang, notes)
    content = ReportContent(
        analysis,
        options,
        drawing,
        context,
        build_summary(analysis, options, t, warnings),
        warnings,
        body,
        name,
    )
    files = write_all(content, writers.chosen(options.to))
    pages = content.pages[0] if content.pages else 0
    return Rendered(files, pages, warnings, tuple(content.export_log))


IN_MEMORY = ("python-dict", "keras-history", "dataframe")  # histories the API got as objects


def _source(
    history: History, options: Options, t: Messages
) -> tuple[bytes | None, str, list[Text]]:
    """The history file to attach to the PDF, its name, and what page 1 says when it is not
    attached (a folder, too large, or left out on request)."""
    if "pdf" not in writers.chosen(options.to):
        return None, "", []
    notes: list[Text] = []
    if history.info.get(REREAD_KEY):
        notes.append(t("report.rerendered", version=history.info[REREAD_KEY]))
    path = history.source
    if not options.attach_source:
        return None, "", [*notes, t("report.source_not_attached")]
    if history.format in IN_MEMORY:  # a notebook's dict or History: carried as Keras JSON
        body = json.dumps(
            {
                k: [v if math.isfinite(v) else None for v in s.values.tolist()]
                for k, s in history.series.items()
            }
        ).encode()
        if len(body) > MAX_SOURCE:
            return None, "", [*notes, t("report.source_too_big", size=len(body), limit=MAX_SOURCE)]
        return body, safe_name(history.name, 100) + ".json", notes
    try:
        if not path.is_file():
            return None, "", [*notes, t("report.source_folder")]
        size = path.stat().st_size
        if size > MAX_SOURCE:
            return None, "", [*notes, t("report.source_too_big", size=size, limit=MAX_SOURCE)]
        return path.read_bytes(), safe_name(path.name, 120), notes
    except OSError:
        return None, "", [*notes, t("report.source_unreadable")]


def write_report(history: History, options: Options, folder: Path) -> ReportResult:
    """Render one run and write its files into ``folder``, all or none."""
    analysis, rendered = render_report(history, options)
    for message in rendered.export_log:
        log.warning("%s: %s", history.source, message)
    paths = write_files(folder, rendered.files)
    return ReportResult(
        history.name,
        folder,
        rendered.pages,
        analysis,
        rendered.warnings,
        rendered.export_log,
        tuple(paths),
    )


def report_source(
    path: str | os.PathLike[str],
    options: Options,
    out: Path,
    taken: set[str] | None = None,
    base: str | None = None,
) -> list[ReportResult]:
    """Every run of the source at ``path`` → its own folder under ``out`` (see
    :func:`naming.run_folders`: by run name for ``report``, by ``base`` for a batch item)."""
    runs = history_io.load(path, options.fmt, options.max_bytes, options.run)
    return report_runs(runs, options, out, taken, base)


def report_runs(
    runs: Sequence[History],
    options: Options,
    out: Path,
    taken: set[str] | None = None,
    base: str | None = None,
) -> list[ReportResult]:
    """Each run → its own folder under ``out``, written all or none: the one write path of
    ``report``, batch items and the Python API (runs from files or from memory)."""
    folders = run_folders(out, [r.name for r in runs], set() if taken is None else taken, base)
    return [write_report(run, options, folder) for run, folder in zip(runs, folders, strict=True)]


def render_comparison(
    runs: Sequence[History], options: Options, series: bool, title: str
) -> tuple[Comparison, Rendered]:
    """Analyse every run, compare them and render ``comparison.pdf`` + ``comparison.json``."""
    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    t = messages()
    comparison = compare([analyze(r, options) for r in runs], "series" if series else "first")
    from reporter.plots import draw_comparison  # heavy: matplotlib

    plots = draw_comparison(comparison, options.lang, t)
    urls = [f"asset:fig/{i}.svg" for i in range(len(plots))]
    context = build_compare_context(
        comparison, title, [(f, u) for (f, _), u in zip(plots, urls, strict=True)], t
    )
    files = {"comparison.json": dumps(comparison_summary(comparison, t))}
    chosen = writers.chosen(options.to)
    pages = 0  # no PDF asked for: no pages, nothing logged
    log_lines: tuple[str, ...] = ()
    if "pdf" in chosen:
        data = Attached(
            "comparison.json", files["comparison.json"], "Data", "the comparison as numbers"
        )
        pdf = html_to_pdf(
            render_compare_html(context, options.lang),
            {u: svg for (_, svg), u in zip(plots, urls, strict=True)},
            (data,),
        )
        files["comparison.pdf"] = pdf.data
        pages, log_lines = pdf.pages, tuple(pdf.warnings)
    if "html" in chosen:
        files["comparison.html"] = standalone(
            lambda figures, css: render_compare_html(context, options.lang, figures, css),
            [svg for _, svg in plots],
        )
    return comparison, Rendered(files, pages, (), log_lines)


def write_comparison(
    paths: Sequence[str | os.PathLike[str]],
    options: Options,
    out: Path,
    series: bool = False,
    name: str | None = None,
) -> ComparisonResult:
    """Compare the runs in ``paths`` → ``out/<name>/comparison.pdf`` + ``comparison.json``."""
    runs = [
        r for p in paths for r in history_io.load(p, options.fmt, options.max_bytes, options.run)
    ]
    return compare_runs(runs, options, out, series, name)


def compare_runs(
    runs: Sequence[History],
    options: Options,
    out: Path,
    series: bool = False,
    name: str | None = None,
) -> ComparisonResult:
    """Compare ``runs`` → ``out/<name>/`` (comparison.json, and the PDF/HTML ``options.to``
    asks for): the one write path of ``compare``, from files or from memory."""
    title = name or " vs ".join(r.name for r in runs)
    (folder,) = run_folders(
        out, [name or "comparison-" + "-vs-".join(r.name for r in runs)[:80]], set()
    )
    comparison, rendered = render_comparison(runs, options, series, title)
    paths = write_files(folder, rendered.files)
    return ComparisonResult(folder, comparison, rendered.pages, title, tuple(paths))
