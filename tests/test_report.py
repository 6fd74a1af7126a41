"""The finished report, checked on its real output: PDF text, fonts, summary numbers, pages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from reporter.history.safepickle import safe_loads

from .conftest import ROOT, Rendered


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_holds_both_languages_korean_first(baseline_report: Rendered) -> None:
    text = baseline_report.text
    s = baseline_report.summary
    flat = squash(text)
    for lang in ("ko", "en"):
        assert squash(s["recommendation"]["text"][lang]) in flat
        for finding in s["findings"]:
            assert squash(finding["text"][lang]) in flat, finding["code"]
    assert flat.index(squash(s["recommendation"]["text"]["ko"])) < flat.index(
        squash(s["recommendation"]["text"]["en"])
    )
    for heading in (
        "학습결과보고서",
        "Trainingreport",
        "권장사항",
        "Recommendation",
        "지표별최적값",
        "Bestvaluepermetric",
        "클래스별recall",
        "Per-classrecall",
        "매크로평균",
        "Macroaverages",
    ):
        assert heading in flat, heading


def test_every_metric_name_is_in_the_pdf(baseline_report: Rendered) -> None:
    history = safe_loads((ROOT / "histories" / "0_baseline.pkl").read_bytes())
    flat = squash(baseline_report.text)
    missing = [name for name in history if name not in flat]
    assert missing == []


def test_only_the_bundled_hangul_font_is_used_and_embedded(baseline_report: Rendered) -> None:
    from fontTools.ttLib import TTFont

    from reporter.assets import font_files, lite_font

    reader = PdfReader(str(baseline_report.pdf))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            fonts[font["/BaseFont"]] = descendant["/FontDescriptor"].get_object()
    # the bundled NanumGothic, as its everyday subset (ReporterHangul) and in full
    assert fonts and all(name.endswith(("+ReporterHangul", "+NanumGothic")) for name in fonts)
    assert all("/FontFile2" in d for d in fonts.values())  # embedded, not referenced
    # every character the PDF shows has a glyph in that font (no tofu boxes)
    cmap = TTFont(str(lite_font())).getBestCmap()
    assert set(cmap) <= set(TTFont(str(font_files()["regular"])).getBestCmap())
    shown = {c for c in baseline_report.text if not c.isspace()}
    assert sorted(c for c in shown if ord(c) not in cmap) == []
    assert re.search(r"[\uac00-\ud7a3]", baseline_report.text)


def test_only_its_own_data_attached_and_no_warnings(baseline_report: Rendered) -> None:
    reader = PdfReader(str(baseline_report.pdf))
    attached = {k: v[0] for k, v in reader.attachments.items()}
    assert set(attached) == {"summary.json", "source-0_baseline.pkl"}
    assert attached["summary.json"] == (baseline_report.folder / "summary.json").read_bytes()
    assert attached["source-0_baseline.pkl"] == (ROOT / "histories" / "0_baseline.pkl").read_bytes()
    assert baseline_report.stderr == ""
    assert re.fullmatch(r".* -> .*report\.pdf \(\d+ pages\)\n", baseline_report.stdout)


def _direction(name: str) -> str:
    return "min" if "loss" in name else "max"


def test_summary_numbers_equal_an_independent_computation(baseline_report: Rendered) -> None:
    history = safe_loads((ROOT / "histories" / "0_baseline.pkl").read_bytes())
    s = baseline_report.summary
    assert s["epochs"] == 30 and s["run"] == "0_baseline" and s["format"] == "keras-pickle"
    assert set(s["metrics"]) == set(history)
    for name, values in history.items():
        v = np.asarray(values, dtype=np.float64)
        i = int(np.argmin(v) if _direction(name) == "min" else np.argmax(v))
        m = s["metrics"][name]
        assert (m["best_index"], m["best_epoch"], m["mode"]) == (i, i + 1, _direction(name)), name
        assert m["best_value"] == pytest.approx(float(v[i]), rel=0, abs=0)
    # Keras EarlyStopping(patience=3, restore_best_weights=True) on val_loss, by hand
    val = np.asarray(history["val_loss"], dtype=np.float64)
    best, wait, stopped = np.inf, 0, None
    for epoch, value in enumerate(val):
        wait += 1
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        elif wait >= 3 and epoch > 0:
            stopped = epoch
            break
    es = s["early_stopping"]
    assert es["patience"] == 3 and es["monitor"] == "val_loss"
    assert (es["stopped_index"], es["restored_index"]) == (stopped, best_epoch)
    assert (es["stopped_epoch"], es["restored_epoch"]) == (stopped + 1, best_epoch + 1)
    # the two answers, by hand: the checkpoint is the first best epoch; a rerun stops one
    # epoch after the centred 3-epoch median last improved by more than the median step
    med = [float(np.median(val[max(0, i - 1) : i + 2])) for i in range(30)]
    step = float(np.median(np.abs(np.diff(val))))
    ended = next(i for i in range(30) if all(med[i] - later <= step for later in med[i + 1 :]))
    stop = ended + 1
    keep = int(np.argmin(val))
    rec = s["recommendation"]
    assert (rec["stop_epoch"], rec["keep_epoch"]) == (stop + 1, keep + 1)
    assert rec["checkpoint"]["epoch"] == keep + 1 and rec["rerun_stop"]["epoch"] == stop + 1
    assert rec["epochs_saved"] == 30 - (stop + 1)
    assert rec["compute_saved_pct"] == pytest.approx(100 * (30 - (stop + 1)) / 30)
    policies = {p["policy"]: p for p in s["policies"]}
    assert (
        policies["keras"]["stop_index"] == stopped and policies["keras"]["keep_index"] == best_epoch
    )


def test_pages_render_and_are_a4(baseline_report: Rendered) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(baseline_report.pdf))
    try:
        assert len(pdf) >= 4
        for i in range(len(pdf)):
            w, h = pdf[i].get_size()
            assert (round(w), round(h)) == (595, 842)  # A4 in points
        image = np.asarray(pdf[1].render(scale=0.5).to_pil().convert("L"))
        ink = (image < 200).mean()
        assert 0.02 < ink < 0.5  # a figure page: drawn, not blank, not black
    finally:
        pdf.close()


HOSTILE = {
    '<img src="file:///etc/passwd">': [0.9, 0.5, 0.4],
    '<link rel=attachment href="file:///etc/hostname">': [0.1, 0.2, 0.3],
    "val_$\\frac{$": [0.3, 0.2, 0.1],
    "{{ 7*7 }}": [1.0, 2.0, 3.0],
    "<style>@import url(http://169.254.169.254/x)</style>": [0.5, 0.4, 0.6],
    "똠방각하_정확도": [0.2, 0.3, 0.4],  # 똠 is outside KS X 1001: drawn from the full font
}


@pytest.fixture(scope="module")
def hostile_render() -> tuple[bytes, list[str], str]:
    from reporter.config import Options
    from reporter.export import html_to_pdf
    from reporter.history.model import History, epoch_series
    from reporter.i18n import messages
    from reporter.pipeline import analyze, build_context
    from reporter.plots import draw
    from reporter.render import render_html

    series = {
        "loss": epoch_series("loss", [1.0, 0.6, 0.5]),
        "val_loss": epoch_series("val_loss", [1.1, 0.7, 0.65]),
    }
    series |= {k: epoch_series(k, v) for k, v in HOSTILE.items()}
    h = History("<b>run</b> {{ 7*7 }}", Path("hostile.json"), series, "test")
    a = analyze(h, Options(directions={k: "max" for k in HOSTILE}))
    plots = draw(a, "both", messages())
    urls = [f"asset:fig/{i}.svg" for i in range(len(plots))]
    html = render_html(build_context(a, urls, messages()), "both")
    result = html_to_pdf(html, dict(zip(urls, [p.svg for p in plots], strict=True)))
    assert result.warnings == []
    return result.data, result.fetched, html


def test_hostile_names_show_literally_and_fetch_nothing(
    hostile_render: tuple[bytes, list[str], str], tmp_path: Path
) -> None:
    data, fetched, html = hostile_render
    assert fetched and all(url.startswith("asset:") for url in fetched)
    assert '<img src="file:' not in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "49" not in re.findall(r"\{\{ 7\*7 \}\}|49", html)
    pdf = tmp_path / "h.pdf"
    pdf.write_bytes(data)
    reader = PdfReader(str(pdf))
    assert dict(reader.attachments) == {}
    flat = squash("\n".join(p.extract_text() for p in reader.pages))
    for name in HOSTILE:
        assert squash(name)[:30] in flat, name
    fonts = {
        f.get_object()["/BaseFont"]
        for page in reader.pages
        for f in page["/Resources"].get("/Font", {}).values()
    }
    assert any(f.endswith("+NanumGothic") for f in fonts), fonts  # the fallback was used


def test_a_refused_fetch_stops_the_render() -> None:
    from reporter.errors import RenderError
    from reporter.export import html_to_pdf

    with pytest.raises(RenderError, match="refused to fetch 'file:///etc/passwd'"):
        html_to_pdf('<html><body><img src="file:///etc/passwd"></body></html>', {})
