"""The user's own run 6 (reconstructed from their plots) must reach the user's own conclusions.

../shared/histories-seed/README.md, experiment 6: "all metrics share a bad interval: around
epoch 20 the loss rises and the other metrics get worse; this is effectively partial
overfitting, so training should end before epoch 20." The author's epochs are the 0-based
x axis of their plots; ours are 1-based (Keras's "Epoch 21/30" is their 20).
"""

from __future__ import annotations

from .conftest import Rendered, squash_text


def test_recommends_stopping_before_epoch_20(seed6_report: Rendered) -> None:
    rec = seed6_report.summary["recommendation"]
    assert rec["kind"] == "stop" and rec["monitor"] == "val_loss"
    assert rec["keep_index"] < 20 and rec["stop_index"] <= 20


def test_names_the_bad_interval_around_epoch_20(seed6_report: Rendered) -> None:
    findings = {f["code"]: f for f in seed6_report.summary["findings"]}
    window = findings["degradation_window"]
    assert 20 in [e - 1 for e in window["epochs"]]  # 0-based 20 lies inside the window
    assert window["facts"]["worse"] >= 0.6 * window["facts"]["total"]
    onset = findings["overfitting_onset"]
    assert 19 <= onset["epochs"][1] - 1 <= 21


def test_the_pdf_says_so_in_both_languages(seed6_report: Rendered) -> None:
    flat = squash_text(seed6_report.text)
    assert "부분적인과적합" in flat and "partialoverfitting" in flat
    assert "과적합신호" in flat and "Overfitting:" in flat
