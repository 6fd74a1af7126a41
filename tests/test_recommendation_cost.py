"""A recommendation never advises a checkpoint worse than one the run has (issue 13's
shipped histories/2_l2_batchnorm, issue 20's two answers); what the advice costs is the
price of the *rerun* stop, stated in numbers and in both languages."""

from __future__ import annotations

from reporter.analysis import analyze
from reporter.config import Options
from reporter.history import load
from reporter.i18n import messages
from reporter.sentences import recommendation_text
from reporter.summary import build_summary

from .conftest import ROOT


def test_the_best_checkpoint_is_advised_and_the_rerun_stop_says_its_cost() -> None:
    (run,) = load(ROOT / "histories" / "2_l2_batchnorm.pkl")
    analysis = analyze(run)
    rec = analysis.recommendation
    assert (rec.kind, rec.keep_index, round(rec.keep_value or 0, 4)) == ("stop", 27, 0.1632)
    assert rec.stop_index is not None and rec.stop_index < rec.keep_index
    at_stop = min(run["val_loss"].values[: rec.stop_index + 1])
    assert (
        rec.params["cost"] == at_stop - 0.1632
        or abs(rec.params["cost"] - (at_stop - rec.keep_value)) < 1e-12
    )  # type: ignore[operator]
    text = recommendation_text(rec, messages(), run.axis)
    assert "Use the checkpoint from epoch 28 (val_loss = 0.1632), the best of this run" in text.en
    assert f"Next time, stop at epoch {rec.stop_index + 1}" in text.en
    assert f"costs {rec.params['cost']:.3g} ({rec.params['cost_pct']:.1f}%)" in text.en
    assert "에포크 28에서 저장한 체크포인트(val_loss = 0.1632)를 사용하세요" in text.ko
    summary = build_summary(analysis, Options(), messages())["recommendation"]
    assert summary["checkpoint"]["epoch"] == 28
    assert summary["rerun_stop"]["cost"] == rec.params["cost"]
    assert summary["text"]["en"] == text.en


def test_no_cost_is_claimed_when_training_should_go_on() -> None:
    (run,) = load(ROOT / "histories" / "1_l2.pkl")
    rec = analyze(run).recommendation
    assert rec.kind == "continue" and rec.stop_index is None
    assert rec.monitor is not None and rec.keep_value == min(run[rec.monitor].values)
    assert "costs" not in recommendation_text(rec, messages()).en
