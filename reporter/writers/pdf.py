"""Turn a report's content into ``report.pdf``: PDF/A-3a, tagged, with its data attached.

summary.json travels inside as an associated file (relationship Data) and the source history
as another (Source), so an archived report still holds its numbers and can be rendered again
(``reporter report old/report.pdf``). A source over :data:`MAX_SOURCE` bytes, or any source
when the user asks (``--no-attach-source``), is left out and page 1 says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from reporter import engine
from reporter.drawing import Drawing
from reporter.export import Attached
from reporter.render import render_html
from reporter.writers.content import FiguresChanged, ReportContent

MAX_SOURCE = 16 * 1024 * 1024
SOURCE_PREFIX = "source-"  # the attached history's name: source-<its file name>


def write(content: ReportContent, files: Mapping[str, bytes]) -> dict[str, bytes]:
    attached = []
    if "summary.json" in files:
        attached.append(
            Attached(
                "summary.json",
                files["summary.json"],
                "Data",
                "the report's facts as numbers (reporter summary.json)",
            )
        )
    if content.source is not None:
        attached.append(
            Attached(
                SOURCE_PREFIX + content.source_name,
                content.source,
                "Source",
                "the training history this report was made from",
            )
        )
    drawing = content.drawing
    urls = [f"asset:fig/{i}.svg" for i in range(len(drawing.plans))]
    html = render_html(content.context, content.options.lang)
    if drawing.done:
        job = engine.job(html, tuple(attached), dict(zip(urls, _svgs(drawing), strict=True)))
    else:  # the engine lays the page out while this process draws the figures
        job = engine.job(html, tuple(attached), boxes=drawing.boxes(urls))
        try:
            for url, plan, plot in zip(urls, drawing.plans, drawing.each(), strict=True):
                if not drawing.as_planned(plot, plan):
                    raise FiguresChanged
                job.figure(url, plot.svg)  # painted in while the next one is drawn
        except BaseException:
            job.abandon()  # the engine must not wait for figures that will not come
            raise
    pdf = job.result()
    content.export_log.extend(pdf.warnings)
    content.pages.append(pdf.pages)
    return {"report.pdf": pdf.data}


def _svgs(drawing: Drawing) -> list[bytes]:
    return [p.svg for p in drawing.plots]
