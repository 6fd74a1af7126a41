"""Keras EarlyStopping, replayed: the 400 oracle cases decided by real Keras, and tables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reporter.analysis import keras_early_stopping
from reporter.errors import ConfigError

from .conftest import ORACLES, need

FIELDS = ("epochs_run", "stop_fired", "stopped_epoch", "best_epoch", "restored_from", "best")


def oracle_cases() -> list[dict[str, Any]]:
    path = ORACLES / "keras_early_stopping.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["cases"]  # type: ignore[no-any-return]


def test_all_400_keras_oracle_cases_match() -> None:
    need(ORACLES / "keras_early_stopping.json")
    cases = oracle_cases()
    assert len(cases) == 400
    mismatches = []
    for i, case in enumerate(cases):
        got = keras_early_stopping(
            case["values"], monitor=case["monitor"], **case["params"]
        ).as_dict()
        diff = {f: (got[f], case["keras"][f]) for f in FIELDS if got[f] != case["keras"][f]}
        if diff:
            mismatches.append((i, diff))
    assert mismatches == []


# Hand-written from keras/src/callbacks/early_stopping.py, so the semantics are pinned
# even where ../shared is absent.
TABLE = [
    # values, params, (epochs_run, stop_fired, stopped_epoch, best_epoch, restored_from, best)
    ([1.0, 0.9, 0.95, 0.97], {"patience": 2}, (4, True, 3, 1, None, 0.9)),
    (
        [1.0, 0.9, 0.95, 0.97],
        {"patience": 2, "restore_best_weights": True},
        (4, True, 3, 1, 1, 0.9),
    ),
    ([1.0, 1.0, 1.0], {"patience": 1}, (2, True, 1, 0, None, 1.0)),  # ties do not improve
    ([1.0, 0.99, 0.98], {"patience": 1, "min_delta": 0.05}, (2, True, 1, 0, None, 1.0)),
    (
        [0.5, 0.6, 0.7],
        {"patience": 0, "mode": "max", "monitor": "val_acc"},
        (3, False, 0, 2, None, 0.7),
    ),
    ([1.0, 0.9, 0.8, 0.7], {"patience": 1, "baseline": 0.5}, (4, False, 0, 3, None, 0.7)),
    ([1.0, 1.1, 1.2], {"patience": 1, "baseline": 0.5}, (2, True, 1, 0, None, 1.0)),
    ([1.0, 2.0, 3.0, 0.5], {"patience": 1, "start_from_epoch": 2}, (4, False, 0, 3, None, 0.5)),
    ([1.0], {"patience": 0}, (1, False, 0, 0, None, 1.0)),  # epoch 0 never stops
    ([], {"patience": 0}, (0, False, 0, 0, None, None)),
    (
        [1.0, 2.0],
        {"patience": 1, "start_from_epoch": 5, "restore_best_weights": True},
        (2, False, 0, 0, None, None),
    ),
]


@pytest.mark.parametrize(("values", "params", "want"), TABLE)
def test_keras_table(values: list[float], params: dict[str, Any], want: tuple[Any, ...]) -> None:
    got = keras_early_stopping(values, **params).as_dict()
    assert tuple(got[f] for f in FIELDS) == want


def test_auto_mode_follows_keras_names() -> None:
    assert keras_early_stopping([1.0], monitor="val_loss").mode == "min"
    assert keras_early_stopping([1.0], monitor="val_accuracy").mode == "max"
    with pytest.raises(ConfigError, match="mode"):
        keras_early_stopping([1.0], monitor="val_frobnicate")
