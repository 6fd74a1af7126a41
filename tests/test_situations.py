"""Every situation the analysis names, on a real file from ../shared/histories-real and on a
small synthetic series written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reporter.analysis import Analysis, analyze
from reporter.history import load
from reporter.history.model import History, epoch_series

from .conftest import REAL, need


def real(name: str) -> Analysis:
    (run,) = load(need(REAL / name))[-1:]
    return analyze(run)


def synthetic(**series: list[float]) -> Analysis:
    return analyze(
        History("s", Path("s.json"), {k: epoch_series(k, v) for k, v in series.items()}, "test")
    )


def codes(a: Analysis) -> dict[str, object]:
    return {f.code: f for f in a.findings}


# ----------------------------------------------------------------------------- real files

REAL_CASES = [
    # file, the situation it must show
    ("keras_csvlogger__Agusbs98__Interface_of_automatic-ecg-diagnosis__training.log", "divergence"),
    ("lightning_csv__Andreus00__WSDS__lightning_logs_version_2_metrics_NaN.csv", "divergence"),
    (
        "keras_json__VivakaNand__Satellite-Imagery-Semantic-Segmentation-U-Net-Model__model_history.json",
        "still_improving",
    ),
    (
        "keras_json__Hassan-Younas18__sketch-to-face-cgan__training_history_GAN_noval.json",
        "no_validation",
    ),
    ("keras_pickle__nderus__HistoDL__trainHistoryDict.pickle", "no_validation"),
    (
        "keras_json__Anmol123433__Animal-Classification-100classes-__training_history.json",
        "lr_drop",
    ),
    (
        "keras_pickle__WhiteTeaDragon__SingularValues__CC_data_n_2_trainHistoryDict.pickle",
        "late_recovery",
    ),
    # val_acc at chance (1/3) while training accuracy reaches 1.0: the held-out side never
    # learned (before issue 20 this run was read as overfitting with conflicting metrics)
    ("keras_json__tariksetia__QuickDraw__model_history.json", "held_out_not_learning"),
    (
        "hf_trainer_state__P4P4N1CK__whisper-large-v2-japanese-5k-steps__trainer_state.json",
        "conflicting_metrics",
    ),
    ("mlflow__AttentionSeekers__CNNtention__run_217673c0", "degradation_window"),
]


@pytest.mark.parametrize(("name", "code"), REAL_CASES)
def test_real_file_shows_the_situation(name: str, code: str) -> None:
    assert code in codes(real(name))


def test_divergence_on_real_files_is_the_right_kind() -> None:
    ecg = real("keras_csvlogger__Agusbs98__Interface_of_automatic-ecg-diagnosis__training.log")
    assert codes(ecg)["divergence"].key == "finding.divergence_negative"  # type: ignore[attr-defined]
    assert ecg.recommendation.kind == "diverged"
    wsds = real("lightning_csv__Andreus00__WSDS__lightning_logs_version_2_metrics_NaN.csv")
    assert codes(wsds)["divergence"].key == "finding.divergence_nan"  # type: ignore[attr-defined]


def test_no_validation_still_reports_training() -> None:
    gan = real("keras_json__Hassan-Younas18__sketch-to-face-cgan__training_history_GAN_noval.json")
    assert gan.recommendation.kind == "no_validation" and gan.recommendation.stop_index is None
    assert {"G_loss", "D_loss"} <= set(gan.bests)


def test_conflict_says_which_metric_is_followed() -> None:
    whisper = real(
        "hf_trainer_state__P4P4N1CK__whisper-large-v2-japanese-5k-steps__trainer_state.json"
    )
    f = codes(whisper)["conflicting_metrics"]
    assert f.params["monitor"] == "eval_wer" and f.params["loss"] == "eval_loss"  # type: ignore[attr-defined]
    assert whisper.recommendation.monitor == "eval_wer"
    anmol = real("keras_json__Anmol123433__Animal-Classification-100classes-__training_history.json")
    assert anmol.recommendation.monitor == "val_loss"


def test_lr_drops_are_found_and_marked() -> None:
    a = real("keras_json__Anmol123433__Animal-Classification-100classes-__training_history.json")
    assert [d.series for d in a.lr_drops] and all(d.after < d.before for d in a.lr_drops)


# ----------------------------------------------------------------------------- synthetic


def test_synthetic_lr_drop() -> None:
    lr = [1e-3] * 10 + [1e-4] * 10
    val = list(np.r_[np.linspace(1, 0.6, 10), np.linspace(0.5, 0.45, 10)])
    a = synthetic(loss=list(np.linspace(1, 0.2, 20)), val_loss=val, lr=lr)
    f = codes(a)["lr_drop"]
    assert f.epochs == (11,) and f.params["helped"] == 1  # type: ignore[attr-defined]


def test_synthetic_late_recovery() -> None:
    # a plateau that a patience-3 callback gives up on, then a second descent (double descent)
    val = [1.0, 0.7, 0.6, 0.61, 0.62, 0.63, 0.62, 0.61, 0.5, 0.4, 0.3, 0.25, 0.24, 0.25, 0.26, 0.27]
    a = synthetic(loss=list(np.linspace(1, 0.1, 16)), val_loss=val)
    f = codes(a)["late_recovery"]
    assert f.params["keras_stop"] == 6 and f.params["later_epoch"] == 13  # type: ignore[attr-defined]
    # the checkpoint is the run's best, after the recovery; so is the rerun stop, so the
    # recovery raises no doubt about the advice (it does about a patience-3 callback)
    r = a.recommendation
    assert r.keep_index == 12 and r.stop_index is not None and r.stop_index >= 12
    assert "late_recovery" not in r.doubts


def test_synthetic_conflicting_metrics() -> None:
    val_loss = [1.0, 0.6, 0.5, 0.55, 0.6, 0.66, 0.7, 0.75, 0.8, 0.85]
    val_acc = [0.5, 0.7, 0.75, 0.78, 0.8, 0.82, 0.83, 0.84, 0.85, 0.86]
    a = synthetic(
        loss=list(np.linspace(1, 0.1, 10)),
        val_loss=val_loss,
        val_acc=val_acc,
        acc=list(np.linspace(0.5, 1, 10)),
    )
    f = codes(a)["conflicting_metrics"]
    assert f.params["metric"] == "val_acc" and f.epochs == (3, 10)  # type: ignore[attr-defined]
    assert a.recommendation.monitor == "val_loss" and a.recommendation.confidence != "high"


def test_synthetic_not_learning_and_single_class() -> None:
    series = {"loss": [1.2, 1.3, 1.35, 1.4, 1.4, 1.41], "val_loss": [2.0] * 6}
    for k in range(3):
        series["val_recall" + ("" if k == 0 else f"_{k}")] = [1.0 if k == 2 else 0.0] * 6
    a = synthetic(**series)
    assert codes(a)["not_learning"].key == "finding.not_learning_flat"  # type: ignore[attr-defined]
    assert codes(a)["single_class"].params["cls"] == 2  # type: ignore[attr-defined]


def test_smoothing_lets_one_noisy_epoch_not_decide() -> None:
    # one bad epoch (a spike) inside a steady descent: the raw Keras callback with patience 1
    # stops there; the smoothed consensus does not
    val = [1.0, 0.8, 0.65, 0.9, 0.55, 0.5, 0.46, 0.43, 0.41, 0.40, 0.395, 0.39]
    from reporter.config import Options

    a = analyze(
        History(
            "s",
            Path("s"),
            {
                "loss": epoch_series("loss", list(np.linspace(1, 0.1, 12))),
                "val_loss": epoch_series("val_loss", val),
            },
            "t",
        ),
        Options(patience=1),
    )
    assert a.stopping is not None and a.stopping.stopped_epoch == 3
    r = a.recommendation
    assert r.keep_index == 11 and (r.stop_index is None or r.stop_index > 6)
