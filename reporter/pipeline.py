"""Turn a history file into finished reports: read → analyse → draw → render → export → write.

This is the one place that knows the order of the stages.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporter import history as history_io
from reporter.analysis import Analysis, analyze
from reporter.config import Options
from reporter.errors import ConfigError
from reporter.export import atomic_write, html_to_pdf
from reporter.history.model import History, note
from reporter.i18n import messages
from reporter.naming import run_folder, safe_name
from reporter.plots import draw
from reporter.render import build_context, render_html
from reporter.summary import build_summary, dumps

__all__ = [
    "ReportResult",
    "build_reports",
    "render_report",
    "run_folder",
    "safe_name",
    "write_report",
]

log = logging.getLogger(__name__)


@dataclass
class ReportResult:
    """What one run produced."""

    name: str
    folder: Path
    pdf: Path
    summary: Path
    pages: int
    analysis: Analysis
    render_warnings: list[str] = field(default_factory=list)


def render_report(
    history: History, options: Options
) -> tuple[Analysis, bytes, bytes, list[str], int]:
    """Analyse and render one run in memory: ``(analysis, pdf, summary_json, warnings, pages)``."""
    t = messages()
    analysis = analyze(history, options)
    plots = draw(analysis, options.lang, t)
    failed = [
        note("warn.plot_failed", figure=p.family.key, reason=p.failed) for p in plots if p.failed
    ]
    if failed:
        analysis = dataclasses.replace(analysis, warnings=(*analysis.warnings, *failed))
    urls = [f"asset:fig/{i}.svg" for i in range(len(plots))]
    context = build_context(analysis, urls, t, [p.thinned for p in plots])
    html = render_html(context, options.lang)
    pdf = html_to_pdf(html, {u: p.svg for u, p in zip(urls, plots, strict=True)})
    summary = dumps(build_summary(analysis, options, t))
    return analysis, pdf.data, summary, pdf.warnings, pdf.pages


def write_report(history: History, options: Options, folder: Path) -> ReportResult:
    """Render one run and write ``report.pdf`` and ``summary.json`` into ``folder`` atomically."""
    analysis, pdf, summary, warnings, pages = render_report(history, options)
    for message in warnings:
        log.warning("%s: %s", history.source, message)
    summary_path, pdf_path = folder / "summary.json", folder / "report.pdf"
    atomic_write(pdf_path, pdf)
    try:
        atomic_write(summary_path, summary)
    except BaseException:
        pdf_path.unlink(missing_ok=True)  # both or neither
        raise
    return ReportResult(history.name, folder, pdf_path, summary_path, pages, analysis, warnings)


def build_reports(
    path: str | os.PathLike[str], options: Options, out: Path, taken: set[str] | None = None
) -> list[ReportResult]:
    """Every run in the history file at ``path`` → ``out/<run>/report.pdf`` + ``summary.json``."""
    taken = set() if taken is None else taken
    runs = history_io.load(path, options.fmt, options.max_bytes, options.run)
    return [write_report(run, options, run_folder(out, run.name, taken)) for run in runs]


def write_comparison(
    paths: list[str | os.PathLike[str]],
    options: Options,
    out: Path,
    series: bool = False,
    name: str | None = None,
) -> tuple[Path, Any]:
    """Compare the runs in ``paths`` → ``out/<name>/comparison.pdf`` + ``comparison.json``."""
    import json

    from reporter.compare import compare
    from reporter.plots import draw_comparison
    from reporter.render import build_compare_context, render_compare_html
    from reporter.summary import comparison_summary

    t = messages()
    runs = [
        run
        for p in paths
        for run in history_io.load(p, options.fmt, options.max_bytes, options.run)
    ]
    if len(runs) < 2:
        raise ConfigError("compare needs at least two runs")
    analyses = [analyze(r, options) for r in runs]
    comparison = compare(analyses, "series" if series else "first")
    plots = draw_comparison(comparison, options.lang, t)
    urls = [f"asset:fig/{i}.svg" for i in range(len(plots))]
    title = name or " vs ".join(r.name for r in runs)
    context = build_compare_context(
        comparison, title, [(f, u) for (f, _), u in zip(plots, urls, strict=True)], t
    )
    html = render_compare_html(context, options.lang)
    pdf = html_to_pdf(html, {u: svg for (_, svg), u in zip(plots, urls, strict=True)})
    folder = run_folder(out, name or "comparison-" + "-vs-".join(r.name for r in runs)[:80], set())
    body = (
        json.dumps(comparison_summary(comparison, t), ensure_ascii=False, indent=2, allow_nan=False)
        + "\n"
    )
    atomic_write(folder / "comparison.pdf", pdf.data)
    atomic_write(folder / "comparison.json", body.encode())
    return folder, comparison
