"""XGBoost and LightGBM early stopping: the replays against the libraries' own decisions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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
    evals = {
        "train": {"auc": [0.5, 0.6, 0.7, 0.8]},
        "val": {"logloss": [1.0, 0.5, 0.6, 0.7], "auc": [0.5, 0.9, 0.8, 0.7]},
    }
    d = xgboost_early_stopping(evals, 2)
    assert (d.params["data_name"], d.params["metric_name"], d.params["maximize"]) == (
        "val",
        "auc",
        True,
    )
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


# ----------------------------------------------------------------------------- reading the logs

from reporter.analysis import analyze  # noqa: E402
from reporter.config import Options  # noqa: E402
from reporter.errors import HistoryError  # noqa: E402
from reporter.history import load  # noqa: E402

from .conftest import SHARED, need  # noqa: E402

XGB_SKLEARN = {
    "validation_0": {"logloss": [0.6, 0.5, 0.4, 0.35, 0.3, 0.28]},
    "validation_1": {"logloss": [0.62, 0.55, 0.52, 0.53, 0.54, 0.56]},
}
LGB_SKLEARN = {
    "training": {"binary_logloss": [0.6, 0.5, 0.4, 0.3, 0.2], "auc": [0.7, 0.8, 0.85, 0.9, 0.95]},
    "valid_1": {
        "binary_logloss": [0.62, 0.55, 0.57, 0.58, 0.59],
        "auc": [0.7, 0.75, 0.76, 0.77, 0.78],
    },
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


def _policies(run) -> dict[str, object]:
    a = analyze(run, Options(patience=2))
    return {p.policy: p for p in a.policies}


def test_xgboost_sklearn_evals_result_is_one_paired_run(tmp_path: Path) -> None:
    (run,) = load(_write(tmp_path, "evals_result.json", json.dumps(XGB_SKLEARN)))
    assert run.format == "xgboost" and run.axis == "step"
    assert list(run.series) == ["train_logloss", "val_logloss"]
    assert run.monitor == "val_logloss" and run.numbering == "boosting.xgboost"
    assert run["val_logloss"].x.tolist() == [0, 1, 2, 3, 4, 5]  # rounds from 0, as XGBoost
    assert "validation_0 taken as the training data" in run.info["eval sets"]
    xgb = _policies(run)["XGBoost early_stopping_rounds"]
    assert (xgb.stop_index, xgb.keep_index) == (4, 2)
    assert "LightGBM early_stopping" not in _policies(run)


def test_lightgbm_sklearn_evals_result_counts_from_one(tmp_path: Path) -> None:
    (run,) = load(_write(tmp_path, "evals.json", json.dumps(LGB_SKLEARN)))
    assert run.format == "lightgbm" and run.numbering == "boosting.lightgbm"
    assert set(run.series) == {"train_binary_logloss", "train_auc", "val_binary_logloss", "val_auc"}
    assert run["val_auc"].x.tolist() == [1, 2, 3, 4, 5]
    assert run.directions["val_auc"] == "max" and run.directions["val_binary_logloss"] == "min"
    assert run.monitor == "val_binary_logloss"  # the first metric of the first held-out set
    lgb = _policies(run)["LightGBM early_stopping"]
    assert (lgb.stop_index, lgb.keep_index, lgb.params["best_iteration"]) == (3, 1, 2)


def test_custom_set_names_and_a_third_set(tmp_path: Path) -> None:
    evals = {
        "train": {"rmse": [3.0, 2.0, 1.0]},
        "val": {"rmse": [3.1, 2.5, 2.4]},
        "test": {"rmse": [3.2, 2.6, 2.7]},
    }
    (run,) = load(_write(tmp_path, "evals_result.json", json.dumps(evals)))
    assert run.format == "boosting"  # rmse and these names are both libraries'
    assert set(run.series) == {"train_rmse", "val-rmse", "val_rmse"}
    assert run.roles == {"val-rmse": "val"} and run.monitor == "val_rmse"
    assert set(_policies(run)) >= {"XGBoost early_stopping_rounds", "LightGBM early_stopping"}


def test_keras_runs_keyed_by_name_stay_keras(tmp_path: Path) -> None:
    runs = {
        "a": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]},
        "b": {"loss": [1.0, 0.4], "val_loss": [1.2, 0.8]},
    }
    got = load(_write(tmp_path, "runs.json", json.dumps(runs)))
    assert [r.format for r in got] == ["keras-json", "keras-json"]


XGB_CONSOLE = """\
[0]\tvalidation_0-logloss:0.66\tvalidation_1-logloss:0.67
Will train until validation_1-logloss hasn't improved in 2 rounds.
[1]\tvalidation_0-logloss:0.60\tvalidation_1-logloss:0.63
[2]\tvalidation_0-logloss:0.55\tvalidation_1-logloss:0.61
[3]\tvalidation_0-logloss:0.50\tvalidation_1-logloss:0.62
[4]\tvalidation_0-logloss:0.45\tvalidation_1-logloss:0.63
Stopping. Best iteration:
[2]\tvalidation_0-logloss:0.55\tvalidation_1-logloss:0.61
"""
LGB_CONSOLE = """\
[LightGBM] [Info] Number of positive: 50, number of negative: 50
Training until validation scores don't improve for 2 rounds
[1]\ttraining's binary_logloss: 0.6\tvalid_1's binary_logloss: 0.65
[2]\ttraining's binary_logloss: 0.5\tvalid_1's binary_logloss: 0.6
[3]\ttraining's binary_logloss: 0.4\tvalid_1's binary_logloss: 0.62
[4]\ttraining's binary_logloss: 0.3\tvalid_1's binary_logloss: 0.63
Early stopping, best iteration is:
[2]\ttraining's binary_logloss: 0.5\tvalid_1's binary_logloss: 0.6
"""


def test_xgboost_console_log(tmp_path: Path) -> None:
    (run,) = load(_write(tmp_path, "train.log", XGB_CONSOLE))
    assert run.format == "xgboost" and run["val_logloss"].x.tolist() == [0, 1, 2, 3, 4]
    assert (
        run.info["early_stopping_rounds (log)"] == "2" and run.info["best iteration (log)"] == "2"
    )
    assert run.warnings == ()  # the repeated best line is not a duplicate round
    xgb = _policies(run)["XGBoost early_stopping_rounds"]
    assert (xgb.stop_index, xgb.keep_index, xgb.params["early_stopping_rounds"]) == (4, 2, 2)


def test_lightgbm_console_log(tmp_path: Path) -> None:
    (run,) = load(_write(tmp_path, "lgb.txt", LGB_CONSOLE))
    assert run.format == "lightgbm" and run["val_binary_logloss"].x.tolist() == [1, 2, 3, 4]
    assert run.info["best iteration (log)"] == "2"
    lgb = _policies(run)["LightGBM early_stopping"]
    assert (lgb.stop_index, lgb.params["best_iteration"]) == (3, 2)


def test_boosting_errors_are_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = _write(tmp_path, "evals.json", json.dumps({"validation_0": {"logloss": [0.5, "x"]}}))
    with pytest.raises(HistoryError) as err:
        load(bad, fmt="boosting-json")
    assert "evals.json" in str(err.value) and "\n" not in str(err.value)
    empty = _write(tmp_path, "x.log", "nothing here\n")
    with pytest.raises(HistoryError, match="no evaluation lines") as err:
        load(empty, fmt="boosting-log")
    assert "x.log" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.shared
def test_real_xgboost_evals_result_matches_provenance() -> None:
    src = need(
        SHARED
        / "histories-wild"
        / "xgb__Ojas1584__Property_Classification__results_evals_result.json"
    )
    (run,) = load(src)
    assert run.format == "xgboost" and list(run.series) == ["train_mlogloss", "val_mlogloss"]
    v = run["val_mlogloss"].values
    assert len(v) == 487 and int(np.nanargmin(v)) == 406 and v[406] == 0.2643029967184231
    assert run["val_mlogloss"].x[406] == 406  # boosting round 406, 0-based
    a = analyze(run, Options())
    assert a.monitor_choice is not None and a.monitor_choice.name == "val_mlogloss"
    assert any(p.policy == "XGBoost early_stopping_rounds" for p in a.policies)


UNKNOWN = {"train": {"rmse": [3.0, 2.0, 1.5, 1.2]}, "val": {"rmse": [3.1, 2.5, 2.6, 2.7]}}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("evals", "policy", "keep", "en", "ko"),
    [
        (
            XGB_SKLEARN,
            "XGBoost early_stopping_rounds",
            2,
            "counted from 0 as XGBoost prints it",
            "XGBoost의 early_stopping_rounds 옵션이",
        ),
        (
            LGB_SKLEARN,
            "LightGBM early_stopping",
            1,
            "counted from 1 as LightGBM prints it",
            "LightGBM의 early_stopping 콜백은",
        ),
        (
            UNKNOWN,
            "LightGBM early_stopping",
            1,
            "LightGBM's best_iteration is one more",
            "어느 라이브러리(XGBoost 또는 LightGBM)에서",
        ),
    ],
    ids=["xgboost", "lightgbm", "unknown"],
)
def test_boosting_report_shows_the_library_policy_and_numbering(
    tmp_path: Path, evals: dict, policy: str, keep: int, en: str, ko: str
) -> None:
    from .conftest import render_one, squash_text
    from .korean import wrong_particles

    src = tmp_path / "in" / "evals_result.json"
    src.parent.mkdir()
    src.write_text(json.dumps(evals), "utf-8")
    r = render_one(src, tmp_path / "out", "--patience", "2")
    text = squash_text(r.text)
    assert squash_text(policy) in text
    assert squash_text(en) in text and squash_text(ko) in text
    rows = {p["policy"]: p for p in r.summary["policies"]}
    assert rows[policy]["keep_index"] == keep
    assert wrong_particles(r.text) == []
