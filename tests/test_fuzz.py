"""Property tests: every reader survives arbitrary bytes, and the analysis keeps its promises.

Budgets here are small so that the suite stays fast; ``make fuzz`` (scripts/fuzz.py)
runs the same properties for minutes per reader.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.analysis import analyze
from reporter.analysis.stopping import (
    hf_early_stopping,
    keras_early_stopping,
    lightning_early_stopping,
)
from reporter.config import Options

from . import fuzzing
from .test_analysis import run as history

FAST = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("target", fuzzing.READERS)
def test_readers_return_runs_or_a_project_error(target: str) -> None:
    strategy, check = fuzzing.reader_property(target)
    budget = 40 if target == "mlflow-sqlite" else 150  # a database per example is slow

    @settings(FAST, max_examples=budget)
    @given(strategy)
    def prop(data: object) -> None:
        check(data)

    prop()


def test_the_harness_catches_a_hang_a_blow_up_and_a_foreign_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The harness itself can fail: otherwise the properties above prove nothing."""
    with pytest.raises(fuzzing.Finding, match="still running"), fuzzing.bounded(seconds=0.2):
        while True:
            pass
    with pytest.raises(fuzzing.Finding, match="allocated"), fuzzing.bounded(peak=1024 * 1024):
        np.ones(1_000_000)
    from reporter.history import FORMATS, Format

    monkeypatch.setitem(
        FORMATS, "keras-json", Format("boom", lambda d, p: True, lambda d, p, r: [1 / 0])
    )
    with pytest.raises(fuzzing.Finding, match="ZeroDivisionError"):
        fuzzing.read("keras-json", b"{}", "x.json")


# ----------------------------------------------------------------------------- analysis

VALUE = st.one_of(
    st.floats(-1e3, 1e3),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 0.0]),
)
SERIES = st.lists(VALUE, min_size=1, max_size=40)
ACCURACY = st.lists(st.floats(0, 1) | st.just(math.nan), max_size=40)


@FAST
@given(SERIES, SERIES, ACCURACY)
def test_analysis_invariants(loss: list[float], val: list[float], acc: list[float]) -> None:
    series = {"loss": loss, "val_loss": val}
    if acc:
        series["val_accuracy"] = acc
    a = analyze(history(**series))
    for name, best in a.bests.items():
        values = np.asarray(series[name], dtype=np.float64)
        finite = values[np.isfinite(values)]
        assert math.isfinite(best.value) and values[best.index] == best.value
        target = finite.min() if best.mode == "min" else finite.max()
        assert best.value == target
        assert best.index == int(np.flatnonzero(values == target)[0])  # the first best
    for name, values in series.items():
        if not np.isfinite(values).any():
            assert name not in a.bests
    rec = a.recommendation
    n = len(series[rec.monitor]) if rec.monitor else a.history.n_epochs
    for i in (rec.stop_index, rec.keep_index):
        assert i is None or 0 <= i < n
    if rec.keep_index is not None and rec.monitor:
        v = np.asarray(series[rec.monitor], dtype=np.float64)
        assert math.isfinite(v[rec.keep_index])
        if rec.kind != "diverged":  # the checkpoint to use is the run's best
            best = (
                np.nanmin(v[np.isfinite(v)]) if rec.mode == "min" else np.nanmax(v[np.isfinite(v)])
            )
            assert v[rec.keep_index] == best
    for p in a.policies:
        assert p.stop_index is None or 0 <= p.stop_index < n
        assert p.keep_index is None or 0 <= p.keep_index < n


@FAST
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=40), st.integers(0, 6))
def test_keras_stops_at_the_first_epoch_its_definition_says(
    values: list[float], patience: int
) -> None:
    """EarlyStopping(mode=min, min_delta=0): stop at the first epoch e > 0 that is not a new
    minimum and comes ``patience`` or more epochs after the last new minimum."""
    d = keras_early_stopping(values, "val_loss", patience=patience, mode="min")
    expected = None
    last = 0
    for e, v in enumerate(values):
        if e == 0 or v < min(values[:e]):
            last = e
        elif e - last >= patience:
            expected = e
            break
    assert d.stop_fired == (expected is not None)
    if expected is not None:
        assert d.stopped_epoch == expected
    seen = values[: (expected if expected is not None else len(values) - 1) + 1]
    assert d.best == min(seen) and d.best_epoch == seen.index(min(seen))


@FAST
@given(
    st.lists(st.floats(-10, 10) | st.just(math.nan), min_size=1, max_size=40),
    st.integers(1, 6),
    st.floats(0, 0.5),
)
def test_lightning_stops_on_a_non_finite_value_or_after_patience_checks(
    values: list[float], patience: int, min_delta: float
) -> None:
    d = lightning_early_stopping(values, patience=patience, min_delta=min_delta, mode="min")
    first_nan = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
    if d.reason == "not_finite":
        assert d.stop_index == first_nan
        return
    assert first_nan is None or (d.stop_index is not None and d.stop_index < first_nan)
    if d.stop_index is None:
        return
    s = d.stop_index
    assert d.reason == "patience"
    # the last `patience` checks did not beat the best before them by more than min_delta,
    # in Lightning's own float arithmetic (current - (-min_delta) < best): 0.5 + -3.5e-221
    # rounds to 0.5, so that tiny step is no improvement there either
    best_before = min(values[: s - patience + 1])
    assert all(v + min_delta >= best_before for v in values[s - patience + 1 : s + 1])
    assert values[d.keep_index] == min(values[: s + 1])


@FAST
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=40), st.integers(1, 6))
def test_huggingface_keeps_the_trainers_best_and_stops_after_patience(
    values: list[float], patience: int
) -> None:
    d = hf_early_stopping(values, "eval_loss", early_stopping_patience=patience)
    end = d.stop_index if d.stop_index is not None else len(values) - 1
    assert d.keep_index == values[: end + 1].index(min(values[: end + 1]))
    if d.stop_index is not None:
        s = d.stop_index
        assert s >= patience
        assert all(v >= min(values[: s - patience + 1]) for v in values[s - patience + 1 : s + 1])


@FAST
@given(st.lists(VALUE, min_size=2, max_size=30), st.integers(0, 5))
def test_recommendation_stays_inside_the_run_under_any_options(
    val: list[float], patience: int
) -> None:
    a = analyze(
        history(loss=[1.0] * len(val), val_loss=val), Options(patience=patience, min_delta=0.0)
    )
    rec = a.recommendation
    for i in (rec.stop_index, rec.keep_index):
        assert i is None or 0 <= i < len(val)
