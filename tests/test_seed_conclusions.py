"""The user's seven runs (../shared/histories-seed): the findings agree with the author's own
written conclusions in that folder's README, one test per run. The author's epochs are the
0-based x axis of their plots; ours are 1-based."""

from __future__ import annotations

import pytest

from reporter.analysis import Analysis, analyze
from reporter.history import load

from .conftest import SEED, need


def run(stem: str) -> Analysis:
    (h,) = load(need(SEED / f"{stem}.json"))
    return analyze(h)


def codes(a: Analysis) -> set[str]:
    return {f.code for f in a.findings}


def finding(a: Analysis, code: str) -> object:
    return next(f for f in a.findings if f.code == code)


def test_0_vanilla_overfits_after_the_first_epochs() -> None:
    # "validation loss decreases only in the first epochs and increases afterwards ...
    #  judged by the loss alone, this can be called overfitting"; "recall did not drop"
    a = run("0_NLP_vanilla_model")
    onset = finding(a, "overfitting_onset")
    assert onset.params["best_epoch"] <= 3  # type: ignore[attr-defined]
    assert a.recommendation.kind == "stop" and a.recommendation.keep_index <= 2  # type: ignore[operator]
    assert "conflicting_metrics" in codes(a)  # loss up, the classification metrics held


def test_1_fewer_nodes_behaves_like_run_0() -> None:
    a, b = run("1_NLP_wtih_less_Nodes"), run("0_NLP_vanilla_model")
    assert "overfitting_onset" in codes(a)
    assert abs(a.recommendation.keep_index - b.recommendation.keep_index) <= 1  # type: ignore[operator]


def test_2_with_verbs_still_overfits_but_less() -> None:
    # "trend very similar to the previous run, but the validation-loss increase is slightly smaller"
    a, prev = run("2_NLP_with_v"), run("1_NLP_wtih_less_Nodes")
    assert "overfitting_onset" in codes(a)
    assert a.overfitting is not None and prev.overfitting is not None
    assert a.overfitting.max_gl < prev.overfitting.max_gl


def test_3_regularized_needs_more_epochs() -> None:
    # "the validation loss decreases continuously ... 30 epochs are not enough; train longer"
    a = run("3_NLP_Regularized")
    assert a.recommendation.kind == "continue" and a.recommendation.keep_index == 29
    assert "still_improving" in codes(a) and "overfitting_onset" not in codes(a)


def test_4_mlp_does_not_learn_and_predicts_class_4_only() -> None:
    # "training loss actually increases and validation loss stays at a large constant value";
    # "only class 4 has recall constantly equal to 1"
    a = run("4_NLP_MLP")
    assert finding(a, "not_learning").key == "finding.not_learning_flat"  # type: ignore[attr-defined]
    assert finding(a, "single_class").params["cls"] == 4  # type: ignore[attr-defined]
    assert "overfitting_onset" not in codes(a)


def test_5_regularized_mlp_plateaus_without_overfitting() -> None:
    # "validation loss decreases slightly and then stays constant, so overfitting was prevented"
    a = run("5_NLP_MLP_Regularized")
    assert "overfitting_onset" not in codes(a) and "still_improving" not in codes(a)
    assert a.recommendation.kind == "stop" and a.recommendation.keep_index <= 10  # type: ignore[operator]


def test_6_batchnorm_partial_overfitting_around_epoch_20() -> None:
    # "around epoch 20 the loss rises and the other metrics get worse; partial overfitting,
    #  so training should end before epoch 20"
    a = run("6_NLP_MLP_Regularized_L2_BM")
    window = finding(a, "degradation_window")
    assert 21 in window.epochs  # type: ignore[attr-defined]  # their 0-based epoch 20
    assert a.recommendation.keep_index < 20 and a.recommendation.stop_index <= 20  # type: ignore[operator]
    assert a.recommendation.confidence == "high"


@pytest.mark.parametrize(
    "stem", ["0_NLP_vanilla_model", "3_NLP_Regularized", "6_NLP_MLP_Regularized_L2_BM"]
)
def test_per_class_families_are_found(stem: str) -> None:
    a = run(stem)
    assert [f.key for f in a.catalog.families if f.kind == "per_class"] == ["recall", "prec", "F1"]
