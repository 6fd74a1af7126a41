"""Lightning and Hugging Face early stopping, written as tables from their documented rules.

Lightning ``EarlyStopping._evaluate_stopping_criteria``: non-finite → stop (check_finite);
stopping_threshold reached → stop; divergence_threshold passed → stop; improvement by more
than min_delta → reset; else wait += 1 and stop at patience. ModelCheckpoint keeps the first
strictly best value. Hugging Face ``EarlyStoppingCallback.check_metric_value`` compares with
the Trainer's best_metric *before* this evaluation, needs an improvement larger than
early_stopping_threshold; the Trainer then updates best_metric on any strict improvement.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from reporter.analysis import hf_early_stopping, lightning_early_stopping
from reporter.errors import ConfigError

NAN = math.nan

LIGHTNING = [
    # values, params, (stop_index, keep_index, reason)
    ([1.0, 0.9, 0.9, 0.95], {"patience": 2}, (3, 1, "patience")),  # a tie is no improvement
    ([1.0, 0.97, 0.96, 0.9], {"patience": 2, "min_delta": 0.05}, (2, 2, "patience")),
    ([1.0, NAN, 0.5], {"patience": 3}, (1, 0, "not_finite")),
    ([1.0, NAN, 0.5], {"patience": 3, "check_finite": False}, (None, 2, None)),
    (
        [1.0, 0.6, 0.4, 0.3],
        {"patience": 3, "stopping_threshold": 0.5},
        (2, 2, "stopping_threshold"),
    ),
    ([1.0, 1.5, 2.5], {"patience": 5, "divergence_threshold": 2.0}, (2, 0, "divergence_threshold")),
    ([0.1, 0.2, 0.2, 0.1], {"patience": 2, "mode": "max"}, (3, 1, "patience")),
    (
        [0.1, 0.2, 0.3],
        {"patience": 1, "mode": "max", "stopping_threshold": 0.25},
        (2, 2, "stopping_threshold"),
    ),
    ([], {"patience": 1}, (None, None, None)),
]


@pytest.mark.parametrize(("values", "params", "want"), LIGHTNING)
def test_lightning(values: list[float], params: dict[str, Any], want: tuple[Any, ...]) -> None:
    d = lightning_early_stopping(values, **params)
    assert (d.stop_index, d.keep_index, d.reason) == want
    assert d.policy == "lightning"


def test_lightning_rejects_auto_mode() -> None:
    with pytest.raises(ConfigError):
        lightning_early_stopping([1.0], mode="auto")  # type: ignore[arg-type]


HF = [
    # values, params, (stop_index, keep_index, best)
    ([1.0, 0.9, 0.9, 0.95], {"early_stopping_patience": 2}, (3, 1, 0.9)),
    # the threshold gates the counter, not the Trainer's best_metric
    (
        [1.0, 0.97, 0.93, 0.90],
        {"early_stopping_patience": 2, "early_stopping_threshold": 0.05},
        (2, 2, 0.93),
    ),
    ([1.0, NAN, NAN], {"early_stopping_patience": 2}, (2, 0, 1.0)),
    (
        [0.5, 0.6, 0.55, 0.58],
        {"metric_for_best_model": "accuracy", "early_stopping_patience": 2},
        (3, 1, 0.6),
    ),
    (
        [0.5, 0.4, 0.3],
        {"metric_for_best_model": "wer", "greater_is_better": False, "early_stopping_patience": 1},
        (None, 2, 0.3),
    ),
    ([1.0, 1.0], {"early_stopping_patience": 1}, (1, 0, 1.0)),
]


@pytest.mark.parametrize(("values", "params", "want"), HF)
def test_huggingface(values: list[float], params: dict[str, Any], want: tuple[Any, ...]) -> None:
    d = hf_early_stopping(values, **params)
    assert (d.stop_index, d.keep_index, d.best) == want


def test_huggingface_greater_is_better_defaults_from_the_name() -> None:
    assert hf_early_stopping([1.0], "eval_loss").params["greater_is_better"] is False
    assert hf_early_stopping([1.0], "accuracy").params["greater_is_better"] is True
