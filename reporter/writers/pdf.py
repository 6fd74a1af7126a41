"""Turn a report's content into ``report.pdf``: PDF/A-3a, tagged, with its data attached.

summary.json travels inside as an associated file (relationship Data) and the source history
as another (Source), so an archived report still holds its numbers and can be rendered again
(``reporter report old/report.pdf``). A source over :data:`MAX_SOURCE` bytes, or any source
when the user asks (``--no-attach-source``), is left out and page 1 says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from reporter.export import Attached, html_to_pdf
from reporter.render import render_html
from reporter.writers.content import ReportContent

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
    urls = [f"asset:fig/{i}.svg" for i in range(len(content.plots))]
    html = render_html(content.context, content.options.lang)
    figures = {u: p.svg for u, p in zip(urls, content.plots, strict=True)}
    pdf = html_to_pdf(html, figures, tuple(attached))
    content.export_log.extend(pdf.warnings)
    content.pages.append(pdf.pages)
    return {"report.pdf": pdf.data}
