"""XGBoost and LightGBM early stopping: the replays against the libraries' own decisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reporter.analysis.boosting import (
    lightgbm_early_stopping,
    lightgbm_maximize,
    xgboost_early_stopping,
    xgboost_maximize,
)

ORACLES = Path(__file__).parent / "data" / "boosting_oracles.json"
CASES = json.loads(ORACLES.read_text("utf-8"))["cases"]
XGB = [c for c in CASES if c["case"].startswith("xgboost")]
LGB = [c for c in CASES if c["case"].startswith("lightgbm")]


def _stop_agrees(stop: int | None, case: dict) -> bool:
    ran, planned = case["rounds_run"], case["params"]["num_boost_round"]
    if ran < planned:
        return stop == ran - 1
    return stop is None or stop == ran - 1  # a stop on the last round looks like the end


def test_the_oracles_cover_enough_cases() -> None:
    assert len(XGB) >= 100 and len(LGB) >= 100
    assert any(c["rounds_run"] == c["params"]["num_boost_round"] for c in XGB + LGB)
    assert {c["params"]["first_metric_only"] for c in LGB} == {True, False}
    assert {len(c["evals_result"]) for c in XGB} == {1, 2, 3}
    maximized = {xgboost_maximize(c["params"]["eval_metric"][-1]) for c in XGB}
    assert maximized == {True, False}


@pytest.mark.parametrize("case", XGB, ids=[c["case"] for c in XGB])
def test_xgboost_replay_equals_xgboost(case: dict) -> None:
    p = case["params"]
    d = xgboost_early_stopping(
        case["evals_result"], p["early_stopping_rounds"], p["maximize"], p["min_delta"]
    )
    assert d.keep_index == case["best_iteration"]
    assert d.params["best_iteration"] == case["best_iteration"]
    assert _stop_agrees(d.stop_index, case)


@pytest.mark.parametrize("case", LGB, ids=[c["case"] for c in LGB])
def test_lightgbm_replay_equals_lightgbm(case: dict) -> None:
    p = case["params"]
    d = lightgbm_early_stopping(
        case["evals_result"],
        p["stopping_rounds"],
        p["first_metric_only"],
        p["min_delta"],
        train_sets=[p["train_set"]] if p["train_set"] else ["training"],
    )
    assert d.params["best_iteration"] == case["best_iteration"]  # LightGBM counts from 1
    assert d.keep_index == case["best_iteration"] - 1
    assert _stop_agrees(d.stop_index, case)


def test_directions_follow_the_libraries() -> None:
    assert xgboost_maximize("auc") and xgboost_maximize("ndcg@5") and xgboost_maximize("map")
    assert not xgboost_maximize("mape") and not xgboost_maximize("logloss")
    assert not xgboost_maximize("error")
    assert lightgbm_maximize("auc") and lightgbm_maximize("average_precision")
    assert not lightgbm_maximize("binary_logloss") and not lightgbm_maximize("map")


def test_xgboost_watches_the_last_set_and_metric() -> None:
    evals = {"train": {"auc": [0.5, 0.6, 0.7, 0.8]}, "val": {"logloss": [1.0, 0.5, 0.6, 0.7], "auc": [0.5, 0.9, 0.8, 0.7]}}
    d = xgboost_early_stopping(evals, 2)
    assert (d.params["data_name"], d.params["metric_name"], d.params["maximize"]) == ("val", "auc", True)
    assert (d.stop_index, d.keep_index, d.best) == (3, 1, 0.9)


def test_lightgbm_skips_the_training_set_and_stops_on_the_first_to_fire() -> None:
    evals = {
        "training": {"l2": [3.0, 2.0, 1.0, 0.5, 0.2]},
        "valid_0": {"l2": [3.0, 2.0, 2.5, 2.6, 2.7], "auc": [0.5, 0.6, 0.7, 0.8, 0.85]},
    }
    d = lightgbm_early_stopping(evals, 2)
    assert (d.stop_index, d.keep_index, d.params["stopped_by"]) == (3, 1, "valid_0's l2")
    only_train = lightgbm_early_stopping({"training": evals["training"]}, 2)
    assert only_train.stop_index is None and only_train.keep_index is None
