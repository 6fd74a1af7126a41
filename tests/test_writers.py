"""Writers: the archival, tagged PDF with its data attached, the self-contained HTML page,
the same bytes for the same input, and a report PDF read back as a history."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from reporter.history import load

from .conftest import ROOT, SEED, need, pdf_text, render_cli

BASELINE = ROOT / "histories" / "0_baseline.pkl"


@dataclass
class Written:
    folder: Path
    again: Path  # the same history rendered a second time, into another folder


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    a, b = tmp_path_factory.mktemp("w1"), tmp_path_factory.mktemp("w2")
    for out in (a, b):
        result = render_cli([str(BASELINE), "--to", "pdf,html"], out)
        assert result.exit_code == 0, result.output
    return Written(a / "0_baseline", b / "0_baseline")


def test_every_output_has_the_same_bytes_twice(written: Written) -> None:
    for name in ("report.pdf", "report.html", "summary.json"):
        assert (written.folder / name).read_bytes() == (written.again / name).read_bytes(), name


def test_pdf_is_pdfa_3a_tagged_with_metadata(written: Written) -> None:
    reader = PdfReader(str(written.folder / "report.pdf"))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
    assert "0_baseline" in xmp and "reporter" in xmp  # title, description: run and tool
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    assert root["/Lang"] == "ko"
    assert "/OutputIntents" in root
    # figures carry alternative text naming what they show and their key numbers
    alts = re.findall(rb"/Alt \(([^)]*)\)", (written.folder / "report.pdf").read_bytes())
    assert alts or _alt_in_structure(reader)


def _alt_in_structure(reader: PdfReader) -> bool:
    seen = 0
    stack = [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack and seen < 20000:
        node = stack.pop()
        seen += 1
        if (
            hasattr(node, "get")
            and node.get("/S") == "/Figure"
            and "val_loss" in str(node.get("/Alt", ""))
        ):
            return True
        kids = node.get("/K") if hasattr(node, "get") else None
        if kids is None:
            continue
        for kid in kids if isinstance(kids, list) else [kids]:
            obj = kid.get_object() if hasattr(kid, "get_object") else kid
            if hasattr(obj, "get"):
                stack.append(obj)
    return False


def test_summary_and_source_travel_inside_the_pdf(written: Written) -> None:
    reader = PdfReader(str(written.folder / "report.pdf"))
    attached = {k: v[0] for k, v in reader.attachments.items()}
    assert attached["summary.json"] == (written.folder / "summary.json").read_bytes()
    assert attached["source-0_baseline.pkl"] == BASELINE.read_bytes()
    relations = {
        str(f.get_object()["/F"]): str(f.get_object()["/AFRelationship"])
        for f in reader.trailer["/Root"]["/AF"]
    }
    assert relations == {"summary.json": "/Data", "source-0_baseline.pkl": "/Source"}


def test_a_report_pdf_is_a_history(written: Written, tmp_path: Path) -> None:
    (run,) = load(written.folder / "report.pdf")
    assert (
        (run.name == "0_baseline"
        and run.source == Path("histories/0_baseline.pkl"))
        or str(run.source).endswith("0_baseline.pkl")
    )
    result = render_cli([str(written.folder / "report.pdf"), "--to", "pdf,html"], tmp_path)
    assert result.exit_code == 0, result.output
    again = tmp_path / "0_baseline"
    assert (again / "summary.json").read_bytes() == (written.folder / "summary.json").read_bytes()
    assert "Rendered again with the current version" in pdf_text(again / "report.pdf").replace(
        "\n", " "
    )


def test_source_left_out_on_request_is_said_on_page_1(tmp_path: Path) -> None:
    result = render_cli([str(BASELINE), "--no-attach-source"], tmp_path)
    assert result.exit_code == 0
    pdf = tmp_path / "0_baseline" / "report.pdf"
    assert set(PdfReader(str(pdf)).attachments) == {"summary.json"}
    assert "--no-attach-source" in pdf_text(pdf)
    with pytest.raises(Exception, match="no history attached"):
        load(pdf)


def test_html_is_self_contained(written: Written) -> None:
    html = (written.folder / "report.html").read_text("utf-8")
    assert len(html.encode()) < 1_000_000
    assert "<script" not in html.lower() and "asset:" not in html
    urls = re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    outside = [u for u in urls if not u.strip("'\"").startswith(("data:", "#"))]
    assert outside == [] and "data:font/ttf;base64," in html
    summary = json.loads((written.folder / "summary.json").read_text("utf-8"))
    sections = len(summary["families"])
    assert html.count("<svg") >= min(sections, 40)
    assert 'lang="ko"' in html and 'lang="en"' in html
    assert summary["recommendation"]["text"]["en"].split(".")[0] in html.replace("\n", " ")


def test_seed_shaped_html_is_under_a_megabyte(tmp_path: Path) -> None:
    src = need(SEED / "6_NLP_MLP_Regularized_L2_BM.json")
    result = render_cli([str(src), "--to", "html"], tmp_path)
    assert result.exit_code == 0, result.output
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    assert (folder / "report.html").stat().st_size < 1_000_000
    assert not (folder / "report.pdf").exists() and (folder / "summary.json").exists()


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium here (.ci/run installs Debian's chromium)")


CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
]


@pytest.mark.slow
def test_browser_draws_hangul_with_the_embedded_font_and_the_figures(
    written: Written, tmp_path: Path
) -> None:
    browser = chromium()
    page = written.folder / "report.html"
    printed = tmp_path / "printed.pdf"
    shot = tmp_path / "phone.png"
    env = {**os.environ, "HOME": str(tmp_path)}
    common = [*CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(
        [browser, *common, "--no-pdf-header-footer", f"--print-to-pdf={printed}", page.as_uri()],
        check=True, capture_output=True, timeout=120, env=env,
    )  # fmt: skip
    subprocess.run(
        [browser, *common, "--window-size=400,1400", f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120, env=env,
    )  # fmt: skip
    reader = PdfReader(str(printed))
    fonts = set()
    for p in reader.pages:
        for f in (p.get("/Resources", {}).get("/Font", {}) or {}).values():
            fonts.add(str(f.get_object().get("/BaseFont", "")))
    assert any("ReporterHangul" in f or "NanumGothic" in f for f in fonts), fonts
    text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in reader.pages))
    assert "권장사항" in text and "Recommendation" in text
    assert "에포크/epoch" in text  # an axis label inside an inline SVG figure
    import numpy as np
    from PIL import Image

    with Image.open(shot) as image:
        grey = np.asarray(image.convert("L"))
    assert (grey < 128).mean() > 0.01
