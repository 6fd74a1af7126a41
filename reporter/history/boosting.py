"""Turn XGBoost and LightGBM evaluation logs into one run on a boosting-round axis.

Two sources are read, each as the libraries write it:

- ``evals_result`` saved as JSON: ``{set: {metric: [one value per round]}}``. XGBoost's
  sklearn API names the sets ``validation_0``, ``validation_1`` ...; ``xgb.train`` uses the
  names given in ``evals`` (often ``train``/``val``); LightGBM's sklearn API names them
  ``training`` (the training data) and ``valid_0``, ``valid_1`` ...
- The console lines people save: XGBoost ``[12]\\tvalidation_0-logloss:0.31\\t...`` (from
  ``xgb.cv`` also ``mean+std``), LightGBM ``[12]\\ttraining's binary_logloss: 0.3\\t...``.
  The line that repeats the best iteration after "Best iteration is:" is not a new round.

Framework conventions: XGBoost counts rounds from 0 (it prints ``[0]``, and
``best_iteration`` is 0-based); LightGBM prints ``[1]`` for the first iteration and its
``best_iteration`` counts from 1. The x axis follows the library that wrote the log.
Which library wrote a JSON file is told by its set and metric names (``validation_0``,
``logloss``, ``mlogloss`` are XGBoost's; ``training``, ``valid_0``, ``binary_logloss``,
``l2`` LightGBM's); when the names do not tell, both libraries' stopping rules are shown.

Sets are paired train vs held-out: a set named like the training data (``train``,
``training``, ``dtrain``) becomes ``train_<metric>``; the set early stopping watches (XGBoost:
the last one) becomes ``val_<metric>``; any other set keeps the library's own name
``<set>-<metric>`` and is held out. With XGBoost's ``validation_0`` … ``validation_N`` and no
set named for training, ``validation_0`` is the training data when it ends better than the
last set (the usual ``eval_set=[(X_train, y_train), (X_val, y_val)]``), and the report says
so. The monitored series is the one the library's early stopping watches.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError
from reporter.history.formats import Format
from reporter.history.keras import load_json
from reporter.history.model import Direction, History, Note, Role, Series, logged_series
from reporter.history.runs import select
from reporter.history.text import decode_text, head_text
from reporter.metrics import (
    lightgbm_maximize,
    xgboost_maximize,
)

Evals = dict[str, dict[str, list[float]]]

TRAIN_NAMES = ("train", "training", "dtrain", "train_set", "trn")
XGB_SET = re.compile(r"^validation_\d+$")
LGB_SET = re.compile(r"^(valid_\d+|training)$")
XGB_METRICS = {
    "logloss",
    "mlogloss",
    "error",
    "merror",
    "aucpr",
    "rmsle",
    "mphe",
    "cox-nloglik",
    "poisson-nloglik",
    "gamma-nloglik",
    "gamma-deviance",
    "tweedie-nloglik",
    "interval-regression-accuracy",
    "aft-nloglik",
    "pre",
}
LGB_METRICS = {
    "binary_logloss",
    "multi_logloss",
    "binary_error",
    "multi_error",
    "l1",
    "l2",
    "l2_root",
    "average_precision",
    "auc_mu",
    "cross_entropy",
    "kullback_leibler",
    "huber",
    "fair",
    "poisson",
    "quantile",
    "gamma",
    "gamma_deviance",
    "tweedie",
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
}
SHARED_METRICS = {"rmse", "mae", "mape", "auc", "map", "ndcg"}
KNOWN_METRICS = XGB_METRICS | LGB_METRICS | SHARED_METRICS
SET_NAME = re.compile(
    r"^(validation_\d+|valid_\d+|training|train|val|valid|validation|eval|test|dtrain|dval"
    r"|dvalid|dtest|holdout|dev)$",
    re.IGNORECASE,
)
KERAS_KEYS = {"loss", "accuracy", "acc", "lr", "learning_rate"}

ROW = re.compile(r"^\[(\d+)\]\t(.+?)\s*$")
_NUM = r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf))"
# XGBoost: "[12]\tvalidation_0-logloss:0.31" (xgb.cv: "train-logloss:0.31+0.01")
XGB_ITEM = re.compile(r"^([^\t:']+?)-([^\t]+):" + _NUM + r"(?:\+[-+0-9.eE]+)?$")
# LightGBM: "[12]\ttraining's binary_logloss: 0.3\tvalid_1's binary_logloss: 0.35"
LGB_ITEM = re.compile(r"^(.+?)'s ([^:\t]+): ?" + _NUM + r"(?: \+ [-+0-9.eE]+)?$")
XGB_ROUNDS = re.compile(r"hasn't improved in (\d+) rounds")
LGB_ROUNDS = re.compile(r"scores don't improve for (\d+) rounds")


# ----------------------------------------------------------------------------- recognising


def _number(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def evals_shape(obj: object) -> bool:
    """``{set: {metric: [numbers]}}`` with every set evaluated on the same metrics for the same
    rounds, named as the boosting libraries name sets or metrics (not a dict of Keras runs)."""
    if not isinstance(obj, dict) or not obj:
        return False
    metrics: set[str] | None = None
    lengths: set[int] = set()
    for inner in obj.values():
        if not isinstance(inner, dict) or not inner:
            return False
        for values in inner.values():
            if not isinstance(values, list) or not values or not all(map(_number, values)):
                return False
            lengths.add(len(values))
        if metrics is None:
            metrics = set(inner)
        elif set(inner) != metrics:
            return False
    assert metrics is not None
    if len(lengths) != 1 or metrics & KERAS_KEYS:
        return False
    if any(m.startswith(("val_", "valid_", "validation_", "train_", "test_")) for m in metrics):
        return False
    known = all(m in KNOWN_METRICS or m.split("@")[0] in KNOWN_METRICS for m in metrics)
    return known or all(SET_NAME.match(s) for s in obj)


def looks_evals_json(data: bytes, path: str) -> bool:
    if head_text(data, 200).lstrip("\ufeff \t\r\n")[:1] != "{" or len(data) > 64 << 20:
        return False
    try:
        return evals_shape(json.loads(data.decode("utf-8-sig")))
    except (ValueError, RecursionError):
        return False


def _log_kind(line: str) -> str | None:
    row = ROW.match(line)
    if row is None:
        return None
    cells = row.group(2).split("\t")
    if all(XGB_ITEM.match(c.strip()) for c in cells):
        return "xgboost"
    if all(LGB_ITEM.match(c.strip()) for c in cells):
        return "lightgbm"
    return None


def looks_console(data: bytes, path: str) -> bool:
    """Two evaluation lines of one library (one if the file has no more lines)."""
    lines = head_text(data, 16384).splitlines()
    kinds = [k for k in map(_log_kind, lines[:-1] or lines) if k]
    return len(kinds) >= min(2, len(lines)) and len(set(kinds)) == 1


# ----------------------------------------------------------------------------- reading


def _library(evals: Mapping[str, Mapping[str, Any]]) -> str:
    sets, metrics = set(evals), {m for ms in evals.values() for m in ms}
    xgb = any(XGB_SET.match(s) for s in sets) or bool(metrics & XGB_METRICS)
    lgb = any(LGB_SET.match(s) for s in sets) or bool(metrics & LGB_METRICS)
    return "xgboost" if xgb and not lgb else "lightgbm" if lgb and not xgb else ""


def _maximize(metric: str, library: str) -> bool:
    if library == "xgboost":
        return xgboost_maximize(metric)
    if library == "lightgbm":
        return lightgbm_maximize(metric)
    return xgboost_maximize(metric) or lightgbm_maximize(metric)


def _ends_better(a: list[float], b: list[float], up: bool) -> bool:
    last_a, last_b = a[-1], b[-1]
    if not (math.isfinite(last_a) and math.isfinite(last_b)):
        return False
    return last_a > last_b if up else last_a < last_b


def _layout(evals: Evals, library: str) -> tuple[dict[str, Role], str, list[str]]:
    """Each set's role, the watched held-out set, and notes on what was assumed."""
    sets = list(evals)
    roles: dict[str, Role] = {
        s: "train" if s.lower() in TRAIN_NAMES or s.lower().startswith("train") else "val"
        for s in sets
    }
    assumed: list[str] = []
    held = [s for s in sets if roles[s] == "val"]
    if "train" not in roles.values() and len(sets) > 1 and sets[0] == "validation_0":
        metric = list(evals[sets[-1]])[-1]
        if _ends_better(
            evals[sets[0]][metric], evals[sets[-1]][metric], _maximize(metric, library)
        ):
            roles[sets[0]] = "train"
            held = held[1:]
            assumed.append("validation_0 taken as the training data (it ends better)")
    watched = held[-1] if held else sets[-1]
    return roles, watched, assumed


def _history(
    evals: Evals,
    xs: np.ndarray,
    path: str,
    library: str,
    notes: list[Note],
    info: dict[str, str],
    rounds: int | None = None,
) -> History:
    roles_by_set, watched, assumed = _layout(evals, library)
    series: dict[str, Series] = {}
    roles: dict[str, Role] = {}
    directions: dict[str, Direction] = {}
    layout: list[list[str]] = []
    first_train = next((s for s in evals if roles_by_set[s] == "train"), None)
    for set_name, metrics in evals.items():
        for metric, values in metrics.items():
            if set_name == watched:
                name = f"val_{metric}"
            elif set_name == first_train:
                name = f"train_{metric}"
            else:
                name = f"{set_name}-{metric}"
                roles[name] = roles_by_set[set_name]
            series[name] = logged_series(name, xs[: len(values)], values, "step", notes)
            directions[name] = "max" if _maximize(metric, library) else "min"
            layout.append([set_name, metric, name])
    sets = [s for s in evals if s != watched and s != first_train]
    info["eval sets"] = "; ".join(
        [f"{first_train} → train_*"] * (first_train is not None)
        + [f"{watched} → val_*"]
        + [f"{s} → {s}-* ({roles_by_set[s]})" for s in sets]
        + assumed
    )
    if library == "lightgbm":
        checked = [row for row in layout if roles_by_set[row[0]] != "train"] or layout
        monitor, why = checked[0][2], "boosting.monitor_lightgbm"
        set_name, metric = checked[0][0], checked[0][1]
    else:
        metric = list(evals[watched])[-1]
        monitor, set_name = f"val_{metric}", watched
        why = "boosting.monitor_xgboost" if library else "boosting.monitor_unknown"
    facts: dict[str, Any] = {"set": set_name, "metric": metric, "library": library, "evals": layout}
    facts["train_sets"] = [s for s in evals if roles_by_set[s] == "train"]
    if rounds is not None:
        facts["rounds"] = rounds
    src = Path(path)
    return History(
        src.stem,
        src,
        series,
        {"xgboost": "xgboost", "lightgbm": "lightgbm"}.get(library, "boosting"),
        info,
        tuple(dict.fromkeys(notes)),
        "step",
        numbering=f"boosting.{library or 'unknown'}",
        monitor=monitor,
        monitor_why=why,
        monitor_facts=facts,
        roles=roles,
        directions=directions,
    )


def read_evals_json(data: bytes, path: str, run: str | None = None) -> list[History]:
    obj, warnings = load_json(data, path)
    if not evals_shape(obj):
        raise HistoryError(
            "not an XGBoost/LightGBM evals_result: expected {set: {metric: [one number per "
            "round]}} with the same metrics and rounds for every set",
            path=path,
            hint='an evals_result looks like {"validation_0": {"logloss": [0.6, 0.5]}}',
        )
    assert isinstance(obj, dict)
    evals: Evals = {
        s: {m: [math.nan if v is None else float(v) for v in vs] for m, vs in ms.items()}
        for s, ms in obj.items()
    }
    library = _library(evals)
    n = len(next(iter(next(iter(evals.values())).values())))
    start = 1 if library == "lightgbm" else 0
    xs = np.arange(start, start + n, dtype=np.float64)
    notes = list(warnings)
    return select([_history(evals, xs, path, library, notes, {})], run, path)


def read_console(data: bytes, path: str, run: str | None = None) -> list[History]:
    text = decode_text(data, path)
    rows: dict[int, dict[tuple[str, str], float]] = {}
    library = ""
    info: dict[str, str] = {}
    rounds: int | None = None
    skip_next = False
    for line in text.splitlines():
        m = XGB_ROUNDS.search(line) or LGB_ROUNDS.search(line)
        if m:
            rounds = int(m.group(1))
            info["early_stopping_rounds (log)"] = m.group(1)
        if "best iteration" in line.lower():
            skip_next = True  # "Stopping. Best iteration:" / "best iteration is:" + a repeat
            continue
        kind = _log_kind(line)
        if kind is None:
            continue
        if skip_next:
            skip_next = False
            info["best iteration (log)"] = line.split("]", 1)[0].lstrip("[")
            continue
        library = library or kind
        if kind != library:
            continue
        head, _, rest = line.partition("]")
        item = XGB_ITEM if kind == "xgboost" else LGB_ITEM
        row = rows.setdefault(int(head.lstrip("[")), {})
        for cell in rest.strip("\t\r\n ").split("\t"):
            got = item.match(cell.strip())
            if got:
                row[(got.group(1), got.group(2))] = float(got.group(3))
    if not rows:
        raise HistoryError(
            "no evaluation lines ([0]\\tvalidation_0-logloss:0.5 or "
            "[1]\\tvalid_0's l2: 0.5) in this log",
            path=path,
        )
    order = list(dict.fromkeys(k for r in rows.values() for k in r))
    xs_all = np.array(sorted(rows), dtype=np.float64)
    evals: Evals = {}
    for set_name, metric in order:
        evals.setdefault(set_name, {})[metric] = [
            rows[int(x)].get((set_name, metric), math.nan) for x in xs_all
        ]
    notes: list[Note] = []
    hist = _history(evals, xs_all, path, library, notes, info, rounds)
    return select([hist], run, path)


EVALS_JSON = Format(
    "boosting-json",
    "XGBoost/LightGBM evals_result saved as JSON",
    read_evals_json,
    looks_evals_json,
)
CONSOLE = Format(
    "boosting-log",
    "XGBoost/LightGBM console evaluation lines ([0]\\tvalidation_0-logloss:0.5)",
    read_console,
    looks_console,
)
