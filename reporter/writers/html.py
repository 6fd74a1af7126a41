"""Turn a report's content into ``report.html``: one self-contained page for any browser.

The same content, in the same language order, as the PDF: the stylesheet inlined, the
Hangul font subset to the page's characters and embedded as a ``data:`` URL (Korean shows
on a machine without CJK fonts), every figure inline as SVG. No script, nothing fetched:
the file reads the same offline, on a phone (a screen layout narrows the page and lets wide
tables scroll) and printed.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence

from reporter.assets import subset_font, templates_dir
from reporter.render import render_html
from reporter.writers.content import ReportContent

SCREEN = """
@media screen {
  html { background: #fff; }
  body { max-width: 46rem; margin: 0 auto; padding: 1rem; word-break: keep-all; }
  table.data, table.meta { display: block; overflow-x: auto; }
  figure .svg svg { max-width: 100%; height: auto; }
}
@media screen and (max-width: 40rem) { html { font-size: 11pt; } body { padding: 0.5rem; } }
"""

_XML_HEAD = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)
_IDS = re.compile(r'(id="|url\(#|href="#)([A-Za-z_][\w.\-]*)')


def inline_svg(svg: bytes, prefix: str) -> str:
    """matplotlib's SVG as markup for an HTML page: no XML prolog, and every id (and every
    reference to one) prefixed, so two figures never share an id. matplotlib writes text
    XML-escaped, so names from a history stay text."""
    text = _XML_HEAD.sub("", svg.decode("utf-8"), count=1)
    return _IDS.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)


def page_css() -> str:
    """The project's stylesheet plus the screen layout (the font still as an asset URL)."""
    return (templates_dir() / "report.css").read_text("utf-8") + SCREEN


def standalone(render: Callable[[list[str], str], str], svgs: Sequence[bytes]) -> bytes:
    """A page that needs nothing else: ``render(figures, css)`` lays it out with the figures
    inline and the stylesheet inline; the page's characters decide the font subset, then the
    page is laid out again with it. Used for the report and the comparison alike."""
    figures = [inline_svg(svg, f"f{i}-") for i, svg in enumerate(svgs)]
    draft = render(figures, "")
    return render(figures, browser_css(page_css(), draft)).encode("utf-8")


def write(content: ReportContent, files: Mapping[str, bytes]) -> dict[str, bytes]:
    page = standalone(
        lambda figures, css: render_html(
            content.context, content.options.lang, figures_inline=figures, css=css
        ),
        [p.svg for p in content.plots],
    )
    return {"report.html": page}


def browser_css(css: str, text: str) -> str:
    """``css`` for a browser: the bundled font as a ``data:`` URL holding the glyphs of
    ``text``, no ``asset:`` URL left. (The stylesheet is the project's own file and the
    URL is base64, so it goes into ``<style>`` unescaped: escaping would break the CSS.)"""
    url = "data:font/ttf;base64," + base64.b64encode(font_subset(text)).decode("ascii")
    css = str(css)  # a plain str: Markup.replace would escape the quotes of the URL
    css = css.replace('url("asset:font/lite")', f'url("{url}")')
    return css.replace('url("asset:font/regular")', 'local("NanumGothic")')


def font_subset(text: str) -> bytes:
    """NanumGothic cut down to the characters of ``text`` (and printable ASCII)."""
    return subset_font({ord(c) for c in text} | set(range(0x20, 0x7F)))
