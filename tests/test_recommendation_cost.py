"""A recommendation that keeps a checkpoint worse than the run's best says what that costs
and why it is still the advice (issue 13; shipped histories/2_l2_batchnorm)."""

from __future__ import annotations

from reporter.analysis import analyze
from reporter.config import Options
from reporter.history import load
from reporter.i18n import messages
from reporter.sentences import recommendation_text
from reporter.summary import build_summary

from .conftest import ROOT


def test_the_cost_of_keeping_epoch_10_is_stated_with_its_reason() -> None:
    (run,) = load(ROOT / "histories" / "2_l2_batchnorm.pkl")
    analysis = analyze(run)
    rec = analysis.recommendation
    assert (rec.kind, rec.keep_index, round(rec.keep_value or 0, 4)) == ("stop", 9, 0.1834)
    assert rec.params["best_epoch"] == 28 and round(rec.params["best_value"], 4) == 0.1632
    assert round(rec.params["cost"], 4) == 0.0201 and round(rec.params["cost_pct"], 1) == 11.0
    text = recommendation_text(rec, messages(), run.axis)
    assert "epoch 28 (val_loss = 0.1632), 0.0201 (11.0%) better" in text.en
    assert "after the stop point (epoch 13)" in text.en
    assert "에포크 28에서 저장한 것(val_loss = 0.1632)" in text.ko and "0.0201만큼(11.0%)" in text.ko
    summary = build_summary(analysis, Options(), messages())["recommendation"]
    assert summary["best_after_stop"] == {
        "epoch": 28,
        "value": rec.params["best_value"],
        "cost": rec.params["cost"],
        "cost_pct": rec.params["cost_pct"],
    }
    assert summary["text"]["en"] == text.en


def test_no_cost_is_claimed_when_the_advised_checkpoint_is_the_best() -> None:
    (run,) = load(ROOT / "histories" / "1_l2.pkl")
    rec = analyze(run).recommendation
    assert rec.monitor is not None and rec.keep_value == min(run[rec.monitor].values)
    assert "best_epoch" not in rec.params
    assert "better than the one advised" not in recommendation_text(rec, messages()).en
