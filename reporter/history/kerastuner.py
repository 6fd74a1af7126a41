"""Turn a Keras Tuner ``trial.json`` into a clear refusal: it is not a training history.

Keras Tuner writes one ``trial.json`` per trial (``<project>/trial_<id>/trial.json``):
the trial's hyperparameters, its ``score`` and ``best_step``, and for each metric the
*best* observation only (``metrics.metrics.<name>.observations``: one value at one
step). There is no per-epoch curve to report; the message says so and where the curves
are.
"""

from __future__ import annotations

import json
from typing import Any

from reporter.errors import HistoryError
from reporter.history.formats import Format
from reporter.history.model import History
from reporter.history.text import head_text

KEYS = ('"trial_id"', '"hyperparameters"', '"metrics"')


def looks_trial(data: bytes, path: str) -> bool:
    head = head_text(data, 65536)
    return head.lstrip("\ufeff \t\r\n").startswith("{") and all(k in head for k in KEYS)


def refuse_trial(data: bytes, path: str, run: str | None = None) -> list[History]:
    facts = ""
    try:
        obj: Any = json.loads(data.decode("utf-8-sig"))
        names = ", ".join(obj["metrics"]["metrics"])
        facts = f" (trial {obj.get('trial_id')}: {names}; score {obj.get('score')}"
        facts += f" at step {obj.get('best_step')})"
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        pass
    raise HistoryError(
        "a Keras Tuner trial.json holds one best value per metric for one trial"
        + facts
        + ", not an epoch history",
        path=path,
        hint="report the trial's training history instead (model.fit's History saved as JSON, "
        "a CSVLogger file or TensorBoard logs)",
    )


TRIAL = Format(
    "kerastuner-trial",
    "Keras Tuner trial.json: refused, it holds one best value per metric",
    refuse_trial,
    looks_trial,
)
