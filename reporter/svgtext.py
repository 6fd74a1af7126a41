"""Turn WeasyPrint's drawing of a plain SVG ``<text>`` from one text layout per letter into one
per string.

WeasyPrint (70) lays out and draws every letter of an SVG text on its own, so that it can
honour per-letter ``x``, ``dy`` or ``rotate`` lists. matplotlib never writes those: its labels
are one string at one point. A report's five figures hold about a thousand letters, and
laying each out alone was a tenth of the PDF engine's time. :func:`install` puts a drawer in
front of WeasyPrint's that takes the text whole when the element asks for nothing
per-letter, and hands every other element to WeasyPrint's own. The one visible difference:
the string is shaped as a whole, so letter pairs get the font's kerning, as matplotlib
measured them (0.003 % of a page's pixels, tested).

Only for the WeasyPrint versions it was checked against (:data:`CHECKED`), and only inside
reporter's own renders (:func:`active`); otherwise WeasyPrint draws as it always does.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from math import inf
from typing import Any

CHECKED = ("70.",)  # WeasyPrint versions whose SVG text drawing this mirrors
# attributes that place letters one by one: such a text is WeasyPrint's to draw
PER_LETTER = (
    "dx",
    "dy",
    "rotate",
    "letter-spacing",
    "textLength",
    "lengthAdjust",
    "display-anchor",
    "dominant-baseline",
    "alignment-baseline",
)

_stock: Any = None
# set by :func:`active` around reporter's own renders: anyone else's WeasyPrint documents in
# the same process (a notebook's) are drawn as WeasyPrint draws them
enabled = False


@contextlib.contextmanager
def active() -> Iterator[None]:
    """Plain texts drawn whole for the length of one of reporter's renders."""
    global enabled
    before, enabled = enabled, True
    try:
        yield
    finally:
        enabled = before


def checked(version: str) -> bool:
    """Whether this WeasyPrint version's SVG text drawing is the one :func:`draw_text`
    mirrors."""
    return version.startswith(CHECKED)


def install() -> bool:
    """Route plain SVG texts through :func:`draw_text` (once; ``False`` if not installed)."""
    global _stock
    if _stock is not None:
        return True
    import weasyprint
    import weasyprint.svg as svg_module

    if not checked(weasyprint.__version__):
        return False
    stock = svg_module.TAGS.get("text")
    # WeasyPrint tells texts from other elements by this function's identity: both change
    if stock is None or getattr(svg_module, "text", None) is not stock:
        return False
    _stock = stock

    def text(svg: Any, node: Any, font_size: float) -> None:
        if enabled and _plain(node):
            draw_text(svg, node, font_size)
        else:
            _stock(svg, node, font_size)

    for tag, draw in list(svg_module.TAGS.items()):  # <text>, <tspan>, <textPath>, <a>
        if draw is stock:
            svg_module.TAGS[tag] = text
    svg_module.text = text
    return True


def _plain(node: Any) -> bool:
    """One string at (at most) one point, with nothing placed letter by letter."""
    attrib = node.attrib
    return (
        bool(node.text)
        and len(node._etree_node) == 0  # no <tspan> children
        and not any(key in attrib for key in PER_LETTER)
        and all(len(_values(attrib.get(key, ""))) <= 1 for key in ("x", "y"))
    )


def _values(value: str) -> list[str]:
    """An SVG number list as WeasyPrint reads it (commas and spaces both separate)."""
    from weasyprint.svg.utils import normalize

    return str(normalize(value)).split()


def draw_text(svg: Any, node: Any, font_size: float) -> None:
    """WeasyPrint's SVG text drawing (``weasyprint/svg/text.py``) for a plain text, with the
    string laid out once instead of letter by letter: the same style, position, bounding box
    (which ``text-anchor`` uses), fill, stroke and emoji handling."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    text_module = sys.modules["weasyprint.svg.text"]
    style = text_module.Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [
        font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")
    ]
    style["font_style"] = node.get("font-style", "normal")
    weight = node.get("font-weight", 400)
    if weight == "normal":
        weight = 400
    elif weight == "bold":
        weight = 700
    else:
        try:
            weight = int(weight)
        except ValueError:
            weight = 400
    style["font_weight"] = weight
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")

    layout, _, _, width, height, baseline = split_first_line(
        node.text, style, svg.context, inf, 0
    )
    x = y = None
    if "x" in node.attrib:
        x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width)
    if "y" in node.attrib:
        y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height)
    # the first letter's step of WeasyPrint's loop: a given x or y restarts the d-offsets
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1]
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box,
        ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height)),
    )

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = text_module.TextBox(layout, style)
    box.baseline = baseline
    emojis = draw_first_line(
        svg.stream, box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position)
    )
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)
