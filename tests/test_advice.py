"""Advice an expert would sign: the checkpoint to use is the best one the run has, a rerun
stops where the useful gains ended, a noise-sized new best is a plateau, and a run whose
held-out side never learned gets that diagnosis instead of checkpoint advice.

The real runs below were read blind by three practitioners (per-epoch numbers only); each
test pins their answer and says why."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from reporter.analysis import Analysis, analyze
from reporter.analysis.findings import softmax_twice_floor
from reporter.config import Options
from reporter.history import load
from reporter.history.model import History, epoch_series
from reporter.i18n import messages
from reporter.summary import build_summary

from .conftest import REAL, ROOT, SEED, need


def real(name: str) -> Analysis:
    (h,) = load(need(REAL / name))[:1]
    return analyze(h)


def run(**series: list[float]) -> History:
    return History("t", Path("t.json"), {k: epoch_series(k, v) for k, v in series.items()}, "t")


def codes(a: Analysis) -> dict[str, object]:
    return {f.code: f for f in a.findings}


def epoch(a: Analysis, index: int | None) -> int | None:
    return None if index is None else int(a.history[a.recommendation.monitor or ""].x[index])


# ----------------------------------------------------------------------------- the two answers


def test_shipped_batchnorm_run_uses_its_best_checkpoint() -> None:
    # before: "keep epoch 10 (0.1834)" although epoch 28 reached 0.1632
    a = analyze(load(ROOT / "histories" / "2_l2_batchnorm.pkl")[0])
    r = a.recommendation
    assert epoch(a, r.keep_index) == 28 and r.keep_value == pytest.approx(0.1632, abs=1e-4)
    assert r.kind == "stop" and 9 <= epoch(a, r.stop_index) <= 12  # type: ignore[operator]
    assert r.params["cost"] > 0 and r.key == "rec.use_best_stop_at"  # a rerun would pay for it
    s = build_summary(a, Options(), messages())
    assert s["recommendation"]["checkpoint"]["epoch"] == 28
    assert s["recommendation"]["rerun_stop"]["epoch"] == epoch(a, r.stop_index)
    assert s["recommendation"]["rerun_stop"]["cost"] == pytest.approx(r.params["cost"])


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "best", "stop"),
    [
        # the experts keep the best checkpoint the run has and say separately where a rerun
        # could have stopped
        (
            "keras_json__rupamkgp__telco-customer-churn-prediction_ANN__model_history.json",
            29,
            (18, 21),
        ),
        ("keras_csvlogger__AhmedZ41__cnn-sleep-apnea-xai__training_log.csv", 45, (27, 31)),
        # ends on its best by a hair after a long flat stretch: converged, stop around 16
        (
            "keras_json__Anmol123433__Animal-Classification-100classes-__training_history.json",
            19,
            (15, 17),
        ),
        # the same, stop around 7 (and a loss floor that gives away a double softmax)
        ("keras_pickle__tairtahar__batchnorm__trainHistoryDict.pickle", 10, (6, 8)),
    ],
)
def test_real_runs_get_the_experts_checkpoint_and_stop(
    name: str, best: int, stop: tuple[int, int]
) -> None:
    a = real(name)
    r = a.recommendation
    assert r.kind == "stop", r.key  # not "continue": a noise-sized new best is a plateau
    assert epoch(a, r.keep_index) == best
    assert stop[0] <= epoch(a, r.stop_index) <= stop[1]  # type: ignore[operator]
    assert "still_improving" not in codes(a)


@pytest.mark.shared
def test_quickdraw_did_not_learn() -> None:
    # val_acc sits at exactly 1/3 for 999 of 1000 epochs while training accuracy reaches 1.0:
    # no checkpoint is worth keeping; debug labels and split
    a = real("keras_json__tariksetia__QuickDraw__model_history.json")
    r = a.recommendation
    assert r.kind == "did_not_learn" and r.keep_index is None and r.stop_index is None
    f = codes(a)["held_out_not_learning"]
    assert f.params["chance"] == 3 and f.params["metric"] == "val_acc"  # type: ignore[attr-defined]
    assert f.params["train_learned"] and f.params["train_best"] == 1.0  # type: ignore[attr-defined]
    s = build_summary(a, Options(), messages())
    assert s["recommendation"]["checkpoint"] is None
    assert "labels" in s["recommendation"]["text"]["en"]
    assert "레이블" in s["recommendation"]["text"]["ko"]


@pytest.mark.shared
def test_softmax_applied_twice_is_named_from_the_numbers() -> None:
    a = real("keras_pickle__tairtahar__batchnorm__trainHistoryDict.pickle")
    f = codes(a)["double_softmax"]
    assert f.params["classes"] == 10  # type: ignore[attr-defined]
    assert f.params["floor"] == pytest.approx(math.log(math.e + 9) - 1)  # type: ignore[attr-defined]


@pytest.mark.shared
def test_no_real_history_gets_a_diagnosis_it_does_not_deserve() -> None:
    raised: dict[str, set[str]] = {}
    for path in sorted([*need(REAL).iterdir(), *need(SEED).glob("*.json")]):
        if path.suffix == ".md":
            continue
        try:
            runs = load(path)
        except Exception:  # refused files are the bad-input suite's business
            continue
        for h in runs:
            a = analyze(h)
            for code in ("double_softmax", "held_out_not_learning"):
                if code in codes(a):
                    raised.setdefault(code, set()).add(
                        path.name.split("__")[1] if "__" in path.name else path.stem
                    )
    assert raised == {
        "double_softmax": {"tairtahar"},
        "held_out_not_learning": {"tariksetia", "4_NLP_MLP"},
    }


@pytest.mark.shared
def test_seed_run_4_learned_nothing_on_either_side() -> None:
    (h,) = load(need(SEED / "4_NLP_MLP.json"))
    r = analyze(h).recommendation
    assert r.kind == "did_not_learn" and r.key == "rec.nothing_learned"


# ----------------------------------------------------------------------------- synthetic cases


FALL = [1.0 / (i + 1) for i in range(20)]


def test_a_hair_of_a_new_best_after_a_flat_stretch_is_a_plateau() -> None:
    flat = [1.0, 0.7, 0.55, 0.5, 0.48, 0.47, 0.471, 0.469, 0.472, 0.468, 0.47, 0.4679]
    a = analyze(run(loss=FALL[:12], val_loss=flat))
    assert a.recommendation.kind == "stop" and a.recommendation.keep_index == 11
    steady = [1.0 - 0.05 * i for i in range(12)]  # a clear trend to the end: still improving
    assert analyze(run(loss=FALL[:12], val_loss=steady)).recommendation.kind == "continue"


def test_near_equal_checkpoints_are_named() -> None:
    v = [1.0, 0.6, 0.5, 0.41, 0.40, 0.405, 0.401, 0.47, 0.5, 0.55, 0.6, 0.65]
    a = analyze(run(loss=FALL[:12], val_loss=v))
    r = a.recommendation
    assert epoch(a, r.keep_index) == 5 and r.params["near_epochs"] == [4, 6, 7]
    text = build_summary(a, Options(), messages())["recommendation"]["text"]
    assert "epoch 4, 6, 7" in text["en"] and "에포크: 4, 6, 7" in text["ko"]


def test_held_out_at_chance_or_never_better_than_its_start() -> None:
    acc = [0.2 + 0.04 * i for i in range(20)]
    chance = [0.25] * 19 + [0.26]
    a = analyze(
        run(loss=FALL, acc=acc, val_loss=[1.4 - 0.01 * i for i in range(20)], val_acc=chance)
    )
    assert a.recommendation.kind == "did_not_learn"
    assert codes(a)["held_out_not_learning"].params["chance"] == 4  # type: ignore[attr-defined]
    worse = [0.5 + 0.01 * i for i in range(20)]  # never better than epoch 1, training improves
    a = analyze(run(loss=FALL, val_loss=worse))
    f = codes(a)["held_out_not_learning"]
    assert f.key == "finding.held_out_never_better" and a.recommendation.kind == "did_not_learn"  # type: ignore[attr-defined]
    # a held-out accuracy stuck at 1.0 learned everything: no diagnosis
    done = analyze(
        run(
            loss=FALL,
            acc=acc,
            val_loss=[0.1] + [0.05 - 0.001 * i for i in range(19)],
            val_acc=[1.0] * 20,
        )
    )
    assert "held_out_not_learning" not in codes(done)


def test_double_softmax_floor_for_five_classes() -> None:
    floor = softmax_twice_floor(5)
    loss = [1.5, 1.3, 1.2, floor * 1.01, floor * 1.005, floor * 1.004, floor * 1.004]
    acc = [0.5, 0.8, 0.9, 0.97, 0.98, 0.985, 0.99]
    a = analyze(run(loss=loss, accuracy=acc))
    assert codes(a)["double_softmax"].params["classes"] == 5  # type: ignore[attr-defined]
    healthy = analyze(run(loss=[1.5, 0.8, 0.4, 0.2, 0.1, 0.08, 0.07], accuracy=acc))
    assert "double_softmax" not in codes(healthy)


def test_ultralytics_tie_uses_the_epoch_best_pt_holds(tmp_path: Path) -> None:
    text = (
        "epoch,time,train/loss,metrics/accuracy_top1,metrics/accuracy_top5,val/loss,lr/pg0\n"
        "1,1,1.0,0.5,0.9,1.1,0.001\n2,2,0.8,1.0,1.0,0.9,0.001\n3,3,0.7,0.9,1.0,0.8,0.001\n"
        "4,4,0.6,1.0,1.0,0.7,0.001\n5,5,0.5,0.95,1.0,0.7,0.001\n6,6,0.5,0.95,1.0,0.7,0.001\n"
    )
    p = tmp_path / "results.csv"
    p.write_text(text, "utf-8")
    a = analyze(load(p)[0])
    assert a.recommendation.monitor == "fitness" and epoch(a, a.recommendation.keep_index) == 4
