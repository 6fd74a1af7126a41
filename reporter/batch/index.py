"""Turn the manifest of a batch run into ``OUT/index.html`` and ``OUT/index.pdf``.

``index.html`` is opened in a browser, which cannot load ``asset:`` URLs: its stylesheet
is inlined and the Hangul font travels inside it as a ``data:`` URL, subset to the
characters the page uses, so Korean shows on a machine without a Hangul font.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from reporter import engine
from reporter.assets import templates_dir
from reporter.export import atomic_write
from reporter.i18n import Text, messages
from reporter.render import environment
from reporter.sentences import short
from reporter.writers.html import browser_css


@dataclass
class Row:
    name: str
    source: str
    status: str
    status_text: Text
    error: str | None = None
    link: str | None = None
    html_link: str | None = None  # the run's report.html, when the batch writes one
    monitor: str | None = None
    best: float | None = None
    stop: Any = None
    keep: Any = None
    confidence: Text | None = None


@dataclass(frozen=True)
class IndexContext:
    """Everything the index page shows, computed in Python (the template only lays it out)."""

    rows: list[Row]
    source: str
    summary: Text
    css: str  # the project's stylesheet, inlined for a browser


def rows_from(
    entries: dict[str, dict[str, Any]], skipped: list[str], out: Path | None = None
) -> list[Row]:
    t = messages()
    rows: list[Row] = []
    for rel, entry in sorted(entries.items()):
        name, source = short(Path(rel).name, 80), short(rel, 120)
        if entry.get("status") != "ok":
            rows.append(
                Row(
                    name,
                    source,
                    "failed",
                    t("index.failed"),
                    error=short(entry.get("error") or "", 200),
                )
            )
            continue
        for run in entry.get("runs", []):
            monitored = run.get("monitor")
            rows.append(
                Row(
                    short(run["folder"], 80),
                    source,
                    "ok",
                    t("index.ok"),
                    # the manifest's folder names were checked on load; quoting keeps even a
                    # checked name a relative path, never a scheme or a second attribute
                    link=f"{quote(run['folder'])}/report.pdf",
                    html_link=f"{quote(run['folder'])}/report.html"
                    if out is not None and (out / run["folder"] / "report.html").is_file()
                    else None,
                    monitor=monitored,
                    best=run.get("best"),
                    stop=run.get("stop"),
                    keep=run.get("keep"),
                    confidence=t(f"confidence.{run.get('confidence', 'high')}")
                    if monitored
                    else None,
                )
            )
    rows.extend(
        Row(short(Path(rel).name, 80), short(rel, 120), "skipped", t("index.skipped"))
        for rel in skipped
    )
    return rows


def write_index(
    out: Path,
    source: str,
    entries: dict[str, dict[str, Any]],
    skipped: list[str],
    error: str | None = None,
) -> None:
    """Write ``index.html`` (fonts embedded, readable in any browser) and ``index.pdf``."""
    t = messages()
    rows = rows_from(entries, skipped, out)
    if error:
        rows.append(
            Row("(batch)", short(source, 120), "failed", t("index.failed"), short(error, 200))
        )
    ok = sum(1 for r in rows if r.status == "ok")
    failed = sum(1 for r in rows if r.status == "failed")
    page = IndexContext(
        rows,
        short(source, 200),
        t("index.summary", ok=ok, failed=failed, skipped=len(skipped)),
        Markup((templates_dir() / "report.css").read_text("utf-8")),  # ours, raw in <style>
    )
    template = environment().get_template("index.html.j2")

    def render(css: str | None) -> str:
        """The page with ``css`` inlined for a browser, or linked to assets (``None``)."""
        return template.render(
            t=t,
            lang="both",
            r=page,
            rows=page.rows,
            source=page.source,
            summary=page.summary,
            css=Markup(css or ""),
            embed_css=css is not None,
        )

    # the page's characters decide the font subset, then the page is rendered with it
    html_file = render(browser_css(page.css, render("")))
    atomic_write(out / "index.html", html_file.encode("utf-8"))
    pdf = engine.job(render(None)).result()  # the command's engine, if it has one
    atomic_write(out / "index.pdf", pdf.data)
