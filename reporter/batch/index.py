"""Turn the manifest of a batch run into ``OUT/index.html`` and ``OUT/index.pdf``.

``index.html`` is opened in a browser, which cannot load ``asset:`` URLs: its stylesheet
is inlined and the Hangul font travels inside it as a ``data:`` URL, subset to the
characters the page uses, so Korean shows on a machine without a Hangul font.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from reporter.assets import LITE_FAMILY, font_files, templates_dir
from reporter.export import atomic_write, html_to_pdf
from reporter.i18n import Text, messages
from reporter.render import environment
from reporter.sentences import short


@dataclass
class Row:
    name: str
    source: str
    status: str
    status_text: Text
    error: str | None = None
    link: str | None = None
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


def rows_from(entries: dict[str, dict[str, Any]], skipped: list[str]) -> list[Row]:
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
    rows = rows_from(entries, skipped)
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
    pdf = html_to_pdf(render(None), {})
    atomic_write(out / "index.pdf", pdf.data)


def browser_css(css: str, text: str) -> str:
    """``css`` for a browser: the bundled font as a ``data:`` URL holding the glyphs of
    ``text``, no ``asset:`` URL left. (The stylesheet is the project's own file and the
    URL is base64, so it goes into ``<style>`` unescaped: escaping would break the CSS.)"""
    url = "data:font/ttf;base64," + base64.b64encode(font_subset(text)).decode("ascii")
    css = str(css)  # a plain str: Markup.replace would escape the quotes of the URL
    css = css.replace('url("asset:font/lite")', f'url("{url}")')
    return css.replace('url("asset:font/regular")', 'local("NanumGothic")')


def font_subset(text: str) -> bytes:
    """NanumGothic cut down to the characters of ``text`` (renamed, as the OFL asks of a
    modified font)."""
    from fontTools import subset  # only when an index is written
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_files()["regular"]))
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in text} | set(range(0x20, 0x7F)))
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 16):
            record.string = LITE_FAMILY
        elif record.nameID == 6:
            record.string = LITE_FAMILY + "-Regular"
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()
