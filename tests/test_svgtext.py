"""reporter.svgtext: WeasyPrint draws matplotlib's labels as whole strings, and the page looks
as it did when it drew them letter by letter."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from reporter import svgtext
from reporter.export import html_to_pdf, import_weasyprint

PAGE = (
    '<html lang="en"><body><img src="asset:fig/0.svg" alt="a figure" style="width: 180mm">'
    "</body></html>"
)


def _figure() -> bytes:
    from reporter.analysis import analyze
    from reporter.history.model import History, epoch_series
    from reporter.i18n import messages
    from reporter.plots import draw

    loss = [1.0, 0.7, 0.52, 0.45, 0.41, 0.4, 0.41, 0.43]
    h = History(
        "t",
        Path("t.json"),
        {"loss": epoch_series("loss", loss), "val_loss": epoch_series("val_loss", loss[::-1])},
        "test",
    )
    return draw(analyze(h), "both", messages())[0].svg


def stock_and_ours(figure: bytes) -> tuple[bytes, bytes]:
    """The page drawn with whole strings, then by WeasyPrint alone (letter by letter)."""
    import_weasyprint()
    figures = {"asset:fig/0.svg": figure}
    ours = html_to_pdf(PAGE, figures).data
    active = svgtext.active
    svgtext.active = contextlib.nullcontext  # type: ignore[assignment]
    try:
        stock = html_to_pdf(PAGE, figures).data
    finally:
        svgtext.active = active
    return ours, stock


@pytest.fixture(scope="module")
def both_ways() -> tuple[bytes, bytes]:
    """One figure's page, drawn with whole strings and letter by letter."""
    return stock_and_ours(_figure())


def _pages(pdf: bytes) -> list[object]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return [p.render(scale=100 / 72).to_pil().convert("L") for p in doc]
    finally:
        doc.close()


def test_the_page_looks_the_same_and_says_the_same(both_ways: tuple[bytes, bytes]) -> None:
    from io import BytesIO

    import numpy as np
    from pypdf import PdfReader

    whole, letters = both_ways
    assert whole != letters  # the drawer was in use
    (a,), (b,) = _pages(whole), _pages(letters)
    moved = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)) > 24
    assert moved.mean() < 0.0005  # kerning moves a few glyph edges, nothing else
    text = [PdfReader(BytesIO(d)).pages[0].extract_text() for d in (whole, letters)]
    assert "epoch" in text[0] and "checkpoint to use: 3" in text[0]
    assert text[0].split() == text[1].split()


def test_texts_placed_letter_by_letter_are_left_to_weasyprint() -> None:
    """Per-letter positions, rotations or a <tspan>: the same bytes as WeasyPrint's own."""
    import_weasyprint()
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="60pt">'
        b'<text x="10 30 50" y="20">abc</text>'
        b'<text x="10" y="40" rotate="15">tilt</text>'
        b'<text x="100" y="40">a<tspan dy="5">b</tspan></text>'
        b'<text x="120" y="20" letter-spacing="3">wide</text></svg>'
    )
    ours, stock = stock_and_ours(svg)
    assert ours == stock


def test_it_only_takes_over_a_checked_weasyprint() -> None:
    import weasyprint
    import weasyprint.svg as svg_module

    import_weasyprint()
    assert svgtext.checked(weasyprint.__version__)  # this one: a new version must be checked
    assert not svgtext.checked("71.0") and not svgtext.checked("7.0")
    assert svg_module.TAGS["text"] is svg_module.TAGS["tspan"] is svg_module.text
    assert svg_module.text.__module__ == "reporter.svgtext"


def test_only_reporters_own_renders_draw_whole_strings() -> None:
    """Outside reporter's renders (a notebook's own WeasyPrint documents) WeasyPrint draws as
    it does; a list written with commas is a list (WeasyPrint's to place letter by letter)."""
    import_weasyprint()
    assert not svgtext.enabled
    with svgtext.active():
        assert svgtext.enabled
    assert not svgtext.enabled
    listed = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="60pt">'
        b'<text x="10,60" y="20">AB</text></svg>'
    )
    ours, stock = stock_and_ours(listed)
    assert ours == stock
