"""export.import_weasyprint: the fontTools parts WeasyPrint binds but a report never uses are
imported only when used, and still work when they are."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

SCRIPT = r"""
import json, sys
from reporter.export import import_weasyprint, html_to_pdf, DEFERRED
import_weasyprint()
import weasyprint.pdf.fonts as fonts
state = {"after_import": [n for n in DEFERRED if n in sys.modules]}
page = '<html lang="ko"><body><p>학습 결과 보고서 Training report 똠</p></body></html>'
if sys.argv[1] == "fonttools":  # WeasyPrint's path without HarfBuzz-Subset
    fonts.harfbuzz_subset = None
pdf = html_to_pdf(page, {})
state["after_pdf"] = [n for n in DEFERRED if n in sys.modules]
state["harfbuzz_subset"] = sys.argv[1] != "fonttools" and fonts.harfbuzz_subset is not None
state["pages"], state["warnings"] = pdf.pages, pdf.warnings
from io import BytesIO
from pypdf import PdfReader
state["text"] = PdfReader(BytesIO(pdf.data)).pages[0].extract_text()
from fontTools.ttLib import TTFont
from reporter.assets import lite_font
try:  # the stand-in forwards to fontTools' own function, which wants a variable font
    fonts.instantiateVariableFont(TTFont(str(lite_font())), {"wght": 400})
except Exception as exc:
    state["instancer"] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(state))
"""


def run(mode: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    state: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return state


def test_what_a_report_does_not_use_is_not_imported() -> None:
    state = run("harfbuzz")
    assert state["after_import"] == []
    if state["harfbuzz_subset"]:  # fonts subset in C: fontTools' subsetter never loads
        assert state["after_pdf"] == []
    assert state["pages"] == 1 and state["warnings"] == []
    assert "학습 결과 보고서" in str(state["text"]) and "똠" in str(state["text"])
    assert "fvar" in str(state["instancer"])  # the real instancer answered


def test_the_deferred_subsetter_works_when_it_is_used() -> None:
    state = run("fonttools")
    assert "fontTools.subset" in state["after_pdf"]  # imported on first use …
    assert state["pages"] == 1  # … and it subset the fonts
    assert "학습 결과 보고서" in str(state["text"]) and "똠" in str(state["text"])


def test_streams_serialised_once_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """export._serialized_once keeps each stream's bytes while the PDF is written: the file is
    the one pydyf writes when it builds them twice (the page, a figure, an attachment)."""
    import contextlib

    import pydyf

    from reporter import export
    from reporter.drawing import box

    page = (
        '<html lang="ko"><body><p>학습 결과 보고서 Training report</p>'
        '<img src="asset:fig/0.svg" alt="a box"></body></html>'
    )
    figures = {"asset:fig/0.svg": box((2.0, 1.0))}
    attached = (export.Attached("data.json", b'{"loss": [1, 0.5]}' * 500, "Data", "numbers"),)
    built: list[int] = []
    original = pydyf.Stream.data

    def counted(stream: object) -> bytes:
        built.append(id(stream))
        return original.fget(stream)  # type: ignore[attr-defined,no-any-return]

    monkeypatch.setattr(pydyf.Stream, "data", property(counted))
    once = export.html_to_pdf(page, figures, attached).data
    assert len(built) == len(set(built))  # no stream built twice while writing

    @contextlib.contextmanager
    def twice() -> object:
        yield lambda *_: None

    monkeypatch.setattr(export, "_serialized_once", twice)
    built.clear()
    plain = export.html_to_pdf(page, figures, attached).data
    assert len(built) > len(set(built))  # pydyf's own way: every stream built twice
    assert once == plain


def test_a_large_attachment_round_trips_compressed_once() -> None:
    """A history over LARGE_STREAM bytes is compressed at zlib level 6 (not pydyf's 9), once:
    it comes back out of the PDF byte for byte, and the PDF is the same every time."""
    import zlib
    from io import BytesIO

    from pypdf import PdfReader

    from reporter import export

    history = b"".join(b'{"step": %d, "loss": %.6f},\n' % (i, 1 / (i + 1)) for i in range(60_000))
    assert len(history) > export.LARGE_STREAM
    attached = (export.Attached("source-long.json", history, "Source", "the history"),)
    page = '<html lang="en"><body><p>a long run</p></body></html>'
    first = export.html_to_pdf(page, {}, attached).data
    assert export.html_to_pdf(page, {}, attached).data == first
    files = PdfReader(BytesIO(first)).attachments
    assert files["source-long.json"] == [history]
    at_six, at_nine = len(zlib.compress(history, 6)), len(zlib.compress(history, 9))
    assert at_six != at_nine
    assert b"/Length %d" % at_six in first and b"/Length %d" % at_nine not in first
