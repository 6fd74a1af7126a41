"""Turn a gradient-boosting evaluation log into the decisions XGBoost's and LightGBM's early
stopping would have made.

Both replays follow the libraries' own callbacks line by line and are checked against the
real libraries on every case in ``tests/data/boosting_oracles.json`` (written by
``scripts/boosting_oracles.py``). ``evals`` is the ``evals_result`` shape both libraries
share: ``{set name: {metric name: [one value per boosting round]}}`` in the order the
library evaluated them (dicts keep it; the JSON files keep it too). Rounds are 0-based
positions, as XGBoost's ``best_iteration`` counts them; LightGBM's ``best_iteration``
attribute counts from 1 and is given in ``params`` as LightGBM reports it.

- XGBoost ``early_stopping_rounds`` (``xgboost.callback.EarlyStopping``): watches one
  series, the *last* metric of the *last* evaluation set unless ``metric_name`` /
  ``data_name`` say otherwise. ``maximize=None`` decides the direction from the metric's
  name: names starting with ``auc``, ``aucpr``, ``pre``, ``map``, ``ndcg`` (and their
  ``@`` forms) go up, except ``mape``; everything else goes down. The first round is the
  first best; a later round is an improvement when it beats the last best by more than
  ``min_delta``; training stops at the round where ``rounds`` evaluations in a row did not
  improve. ``best_iteration`` is the last improving round (0-based).
- LightGBM ``early_stopping(stopping_rounds, first_metric_only, min_delta)``
  (``lightgbm.callback._EarlyStoppingCallback``): tracks a best round for *every* set and
  metric, checks them in order and stops at the first that has not improved (by more than
  ``min_delta``) for ``stopping_rounds`` rounds; the training set is never checked (by
  name: LightGBM's ``training``, or the name the training data was given), and with
  ``first_metric_only`` only the first metric of the first set is. The direction is the
  metric's own: ``auc*``, ``ndcg@``, ``map@``, ``average_precision`` go up. When the log
  ends without a stop, the best round is that of the first checked series (LightGBM's
  final-iteration rule).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from reporter.analysis.stopping import PolicyDecision
from reporter.metrics import (
    LGB_TRAIN_NAMES,
    lightgbm_maximize,
    xgboost_maximize,
)

Evals = Mapping[str, Mapping[str, Sequence[float]]]


def _value(raw: float | None) -> float:
    return math.nan if raw is None else float(raw)


def xgboost_early_stopping(
    evals: Evals,
    rounds: int,
    maximize: bool | None = None,
    min_delta: float = 0.0,
    data_name: str | None = None,
    metric_name: str | None = None,
) -> PolicyDecision:
    """Replay XGBoost's ``EarlyStopping`` callback (``early_stopping_rounds=rounds``)."""
    data = data_name if data_name is not None else list(evals)[-1]
    metric = metric_name if metric_name is not None else list(evals[data])[-1]
    up = xgboost_maximize(metric) if maximize is None else maximize
    values = [_value(v) for v in evals[data][metric]]
    best: float | None = None
    best_i: int | None = None
    wait = 0
    stop: int | None = None
    for i, v in enumerate(values):
        # the first round is the first best; NaN never improves
        if best is None or ((v - min_delta > best) if up else (best - min_delta > v)):
            best, best_i, wait = v, i, 0
        else:
            wait += 1
        if wait >= rounds:
            stop = i
            break
    return PolicyDecision(
        "XGBoost early_stopping_rounds",
        stop,
        best_i,
        None if best is None or math.isnan(best) else best,
        "patience" if stop is not None else None,
        {
            "data_name": data,
            "metric_name": metric,
            "maximize": up,
            "early_stopping_rounds": rounds,
            "min_delta": min_delta,
            "best_iteration": best_i,
        },
    )


def lightgbm_early_stopping(
    evals: Evals,
    stopping_rounds: int,
    first_metric_only: bool = False,
    min_delta: float = 0.0,
    train_sets: Sequence[str] = LGB_TRAIN_NAMES,
) -> PolicyDecision:
    """Replay LightGBM's ``early_stopping`` callback over a whole log."""
    order = [(s, m) for s, metrics in evals.items() for m in metrics]
    first_metric = order[0][1] if order else ""
    checked = [
        k
        for k, (s, m) in enumerate(order)
        if s not in train_sets and not (first_metric_only and m != first_metric)
    ]
    params: dict[str, Any] = {
        "stopping_rounds": stopping_rounds,
        "first_metric_only": first_metric_only,
        "min_delta": min_delta,
        "checked": [f"{order[k][0]}'s {order[k][1]}" for k in checked],
    }
    if not checked:  # "Only training set found, disabling early stopping."
        return PolicyDecision("LightGBM early_stopping", None, None, None, None, params)
    series = [[_value(v) for v in evals[s][m]] for s, m in order]
    up = [lightgbm_maximize(m) for _, m in order]
    n = min(len(v) for v in series)
    best = [-math.inf if u else math.inf for u in up]
    best_iter = [0] * len(order)
    stop: int | None = None
    fired: int | None = None
    for it in range(n):
        for k in range(len(order)):
            v = series[k][it]
            if it == 0 or (v > best[k] + min_delta if up[k] else v < best[k] - min_delta):
                best[k], best_iter[k] = v, it
        for k in checked:  # the same order as the callback's loop; the first to fire stops
            if it - best_iter[k] >= stopping_rounds:
                stop, fired = it, k
                break
        if stop is not None:
            break
    k = fired if fired is not None else checked[0]  # LightGBM's final-iteration rule
    keep = best_iter[k] if n else None
    value = series[k][keep] if keep is not None else None
    params["stopped_by" if fired is not None else "best_of"] = f"{order[k][0]}'s {order[k][1]}"
    params["best_iteration"] = None if keep is None else keep + 1  # LightGBM counts from 1
    return PolicyDecision(
        "LightGBM early_stopping",
        stop,
        keep,
        None if value is None or math.isnan(value) else value,
        "patience" if stop is not None else None,
        params,
    )


def policies(history: Any, patience: int, min_delta: float) -> list[PolicyDecision]:
    """The boosting libraries' replays for a run read from a boosting log (else none), with
    the rounds the log states, else the report's patience, as ``early_stopping_rounds`` /
    ``stopping_rounds``."""
    facts = getattr(history, "monitor_facts", {}) or {}
    layout = facts.get("evals")
    if not layout:
        return []
    evals: dict[str, dict[str, list[float]]] = {}
    for set_name, metric, series in layout:
        if series in history:
            evals.setdefault(set_name, {})[metric] = history[series].values.tolist()
    if not evals:
        return []
    library = facts.get("library", "")
    patience = int(facts.get("rounds", patience))  # the log's own early_stopping_rounds
    rows = []
    if library in ("xgboost", ""):
        rows.append(xgboost_early_stopping(evals, patience, min_delta=abs(min_delta)))
    if library in ("lightgbm", ""):
        train = tuple(facts.get("train_sets", ())) or LGB_TRAIN_NAMES
        rows.append(
            lightgbm_early_stopping(evals, patience, min_delta=abs(min_delta), train_sets=train)
        )
    return rows
