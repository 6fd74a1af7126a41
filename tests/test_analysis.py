"""Analysis on small synthetic runs written here: best epochs, overfitting, windows, advice."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reporter.analysis import analyze, best_of
from reporter.analysis.curves import generalization_loss, overfitting_onset
from reporter.config import Options, default_patience
from reporter.history.model import History, epoch_series


def run(**series: list[float]) -> History:
    return History(
        "synthetic",
        Path("synthetic.json"),
        {k: epoch_series(k, v) for k, v in series.items()},
        "test",
    )


def test_best_of_takes_first_finite_extreme() -> None:
    v = np.array([np.nan, 0.5, 0.2, 0.2, np.inf])
    x = np.arange(1, 6, dtype=float)
    b = best_of("val_loss", v, x, "min")
    assert b is not None and (b.index, b.epoch, b.value) == (2, 3.0, 0.2)
    b = best_of("val_acc", np.array([0.1, 0.9, 0.9]), np.arange(1, 4.0), "max")
    assert b is not None and b.index == 1
    assert best_of("x", np.array([np.nan, np.nan]), np.arange(1, 3.0), "min") is None


def test_generalization_loss_is_prechelts_definition() -> None:
    gl = generalization_loss(np.array([1.0, 0.5, 0.6, 0.4, 0.8]))
    np.testing.assert_allclose(gl, [0.0, 0.0, 20.0, 0.0, 100.0])


def test_overfitting_onset_needs_a_sustained_rise_while_training_improves() -> None:
    val = np.array([1.0, 0.6, 0.5, 0.52, 0.6, 0.7, 0.8, 0.9])
    train = np.array([1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1])
    o = overfitting_onset(val, train)
    assert o is not None and o.best_index == 2 and o.onset_index == 4
    assert round(o.gl, 6) == 20.0 and o.train_change_pct < 0
    # one spike inside a plateau is noise, not overfitting
    plateau = np.array([1.0, 0.6, 0.5, 0.51, 0.58, 0.505, 0.51, 0.5])
    assert overfitting_onset(plateau, train) is None
    # training loss rising too: not overfitting (the model stopped learning)
    assert overfitting_onset(val, train[::-1].copy()) is None


def test_degradation_window_found_where_most_metrics_drop_together() -> None:
    rng = np.random.default_rng(0)
    n = 30
    series: dict[str, list[float]] = {"loss": list(np.linspace(1, 0.1, n))}
    base = np.linspace(0.5, 0.9, n)
    for k in range(5):
        v = base + rng.normal(0, 0.005, n)
        v[20:22] -= 0.15  # every class drops in epochs 21-22
        series["val_recall" + ("" if k == 0 else f"_{k}")] = list(v)
    vl = np.linspace(1.0, 0.3, n) + rng.normal(0, 0.005, n)
    vl[20:22] += 0.4
    series["val_loss"] = list(vl)
    a = analyze(run(**series))
    assert [(w.start_index, w.end_index) for w in a.windows] == [(20, 21)]
    codes = [f.code for f in a.findings]
    assert "degradation_window" in codes
    f = next(f for f in a.findings if f.code == "degradation_window")
    assert f.epochs == (21, 22) and f.params["span"] == "21–22"


def test_recommendation_kinds() -> None:
    falling = [1.0 / (i + 1) for i in range(20)]
    a = analyze(run(loss=falling, val_loss=falling))
    assert a.recommendation.kind == "continue" and a.recommendation.keep_index == 19
    assert "still_improving" in [f.code for f in a.findings]

    u = [1.0, 0.5, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65]
    a = analyze(run(loss=falling[:10], val_loss=u))
    r = a.recommendation
    # use the best checkpoint (epoch 3); a rerun stops one epoch after the gains ended there
    assert (r.kind, r.keep_index, r.stop_index) == ("stop", 2, 3)
    assert r.epochs_saved == 10 - (r.stop_index + 1)
    assert r.key == "rec.use_best_stop_free" and r.confidence == "high"
    assert "train_kept_improving" in [f.code for f in a.findings]  # the loss kept falling
    # the Keras replay is a policy row, not the headline
    assert a.stopping is not None and a.stopping.stopped_epoch == 2 + default_patience(10)

    # the run's best came late: it is the checkpoint to use, and the rerun stop costs a little
    late = [1.0, 0.6, 0.45, 0.40, 0.38, 0.37, 0.365, 0.362, 0.361, 0.3605]
    r = analyze(run(loss=falling[:10], val_loss=late)).recommendation
    assert (r.kind, r.keep_index, r.key) == ("stop", 9, "rec.use_best_stop_at")
    assert r.stop_index is not None and r.stop_index < 9 and 0 < r.params["cost"] < 0.02

    a = analyze(run(loss=falling))
    assert a.recommendation.kind == "no_validation"
    assert "no_validation" in [f.code for f in a.findings]

    # the gains end only at the very end: nothing to save by stopping earlier
    end = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.2, 0.45, 0.3]
    r = analyze(run(loss=falling[:10], val_loss=end), Options(patience=20)).recommendation
    assert r.kind == "keep_best" and r.keep_index == 7 and r.stop_index is None


def test_monitor_choice_and_direction_flags() -> None:
    h = run(loss=[1.0, 0.5, 0.4], val_acc=[0.2, 0.9, 0.5])
    a = analyze(h)
    assert a.recommendation.monitor == "val_acc" and a.recommendation.mode == "max"
    a = analyze(run(frob=[1.0, 2.0], val_frob=[3.0, 1.0]), Options(directions={"frob": "min"}))
    assert a.recommendation.monitor == "val_frob" and a.bests["val_frob"].index == 1


def test_divergence_is_named() -> None:
    a = analyze(run(loss=[1.0, 0.5, float("nan"), float("nan")]))
    assert [f.key for f in a.findings if f.code == "divergence"] == ["finding.divergence_nan"]
    a = analyze(run(loss=[-3.4e4, -1e5, -1e6, -6.5e7], val_loss=[-1e4, -1e6, -1e7, -1.3e8]))
    assert "finding.divergence_negative" in [f.key for f in a.findings]
    a = analyze(run(loss=[1.0, 0.5, 0.4, 9.0], val_loss=[1.0, 0.6, 0.5, 0.6]))
    assert "finding.divergence_explode" in [f.key for f in a.findings]
