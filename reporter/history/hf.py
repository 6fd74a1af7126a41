"""Turn a Hugging Face ``trainer_state.json`` into a run on a step axis.

``log_history`` interleaves training entries (``loss``, ``learning_rate``,
``grad_norm`` ...) and evaluation entries (``eval_*``); each key becomes a series
over the ``step`` at which it was logged, and the ``epoch`` logged beside it
gives the step → epoch map shown on the plots. The Trainer's own verdict —
``best_metric``, ``best_model_checkpoint``/``best_global_step`` — is kept as run
info so the report can cross-check it. Several evaluation sets
(``eval_g0_loss``, ``eval_g1_loss`` ...) form families.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError
from reporter.history.formats import Format
from reporter.history.keras import load_json
from reporter.history.model import History, Note, Series, logged_series, note
from reporter.history.runs import select
from reporter.history.text import head_text

SUMMARY_KEYS = {
    "train_runtime",
    "train_samples_per_second",
    "train_steps_per_second",
    "total_flos",
    "train_loss",
}
STATE_KEYS = (
    "best_metric",
    "best_model_checkpoint",
    "best_global_step",
    "global_step",
    "max_steps",
    "num_train_epochs",
    "epoch",
    "eval_steps",
    "logging_steps",
    "save_steps",
    "train_batch_size",
)


def looks_hf(data: bytes, path: str) -> bool:
    head = head_text(data, 65536)
    return '"log_history"' in head or (b"log_history" in data and data.lstrip()[:1] == b"{")


def read_hf(data: bytes, path: str, run: str | None = None) -> list[History]:
    obj, warnings = load_json(data, path)
    if not isinstance(obj, dict) or not isinstance(obj.get("log_history"), list):
        raise HistoryError(
            "not a trainer_state.json: no log_history list",
            path=path,
            hint="use the trainer_state.json that Trainer writes into each checkpoint folder",
        )
    log = obj["log_history"]
    notes: list[Note] = list(warnings)
    points: dict[str, list[tuple[float, float]]] = {}
    step_epoch: list[tuple[float, float]] = []
    info: dict[str, str] = {}
    fallback = 0
    for i, entry in enumerate(log):
        if not isinstance(entry, dict):
            raise HistoryError(
                f"log_history[{i}] is a {type(entry).__name__}, not an object",
                path=path,
                where=f"log_history[{i}]",
                hint="the file was edited or damaged; use the one Trainer wrote",
            )
        step = entry.get("step")
        if not isinstance(step, int | float) or isinstance(step, bool):
            step, fallback = float(i), fallback + 1
        epoch = entry.get("epoch")
        if isinstance(epoch, int | float) and not isinstance(epoch, bool):
            step_epoch.append((float(step), float(epoch)))
        if "train_runtime" in entry:  # the closing summary entry
            for k in entry:  # in the file's order (a set's order changes between runs)
                if k in SUMMARY_KEYS:
                    info[k] = str(entry[k])
            continue
        for key, value in entry.items():
            if key in ("step", "epoch") or isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                points.setdefault(key, []).append((float(step), float(value)))
            elif value is None:
                points.setdefault(key, []).append((float(step), math.nan))
    if fallback:
        notes.append(note("warn.hf_no_step", count=fallback))
    if not points:
        raise HistoryError(
            "no metrics found (log_history is empty)",
            path=path,
            hint="nothing was logged yet; check logging_steps and eval_strategy",
        )
    series: dict[str, Series] = {}
    for key, pts in points.items():
        series[key] = logged_series(
            key, [p[0] for p in pts], [p[1] for p in pts], "step", notes, _eval_group(key, points)
        )
    for k in STATE_KEYS:
        if obj.get(k) is not None:
            info[k] = str(obj[k])
    callbacks = obj.get("stateful_callbacks")
    if isinstance(callbacks, dict) and isinstance(callbacks.get("EarlyStoppingCallback"), dict):
        args = callbacks["EarlyStoppingCallback"].get("args", {})
        for k in ("early_stopping_patience", "early_stopping_threshold"):
            if k in args:
                info[k] = str(args[k])
    chosen = _metric_for_best_model(series, info)
    if chosen is not None:
        info["metric_for_best_model"] = chosen
    se = sorted(step_epoch)
    epoch_at_step = (np.array([s for s, _ in se]), np.array([e for _, e in se])) if se else None
    name = Path(path).stem
    if name == "trainer_state":
        name = Path(path).parent.name or name
    hist = History(
        name,
        Path(path),
        series,
        "hf-trainer-state",
        info,
        tuple(dict.fromkeys(notes)),
        "step",
        epoch_at_step,
        best_checkpoint=best_checkpoint_step(info),
    )
    return select([hist], run, path)


_GROUP = re.compile(r"^eval_([A-Za-z0-9]+)_(.+)$")


def _eval_group(key: str, points: dict[str, Any]) -> str | None:
    """``g0`` for ``eval_g0_loss`` when at least two eval sets log at least two same metrics."""
    m = _GROUP.match(key)
    if not m:
        return None
    by_group: dict[str, set[str]] = {}
    for k in points:
        g = _GROUP.match(k)
        if g:
            by_group.setdefault(g.group(1), set()).add(g.group(2))
    group, metric = m.groups()
    peers = [
        g for g, metrics in by_group.items() if g != group and len(metrics & by_group[group]) >= 2
    ]
    return (
        group
        if peers and metric in set.intersection(*(by_group[g] for g in [group, *peers]))
        else None
    )


def best_checkpoint_step(info: dict[str, str] | Any) -> float | None:
    """The step of the Trainer's best checkpoint: ``best_global_step`` or ``checkpoint-N``."""
    if info.get("best_global_step") not in (None, "None"):
        return float(info["best_global_step"])
    m = re.search(r"checkpoint-(\d+)", str(info.get("best_model_checkpoint", "")))
    return float(m.group(1)) if m else None


def _metric_for_best_model(series: dict[str, Series], info: dict[str, str]) -> str | None:
    """The eval series the Trainer ranked checkpoints by: the one that holds ``best_metric``
    at the best checkpoint's step (or anywhere, when the step is unknown)."""
    try:
        best = float(info["best_metric"])
    except (KeyError, ValueError):
        return None
    step = best_checkpoint_step(info)
    hits = []
    for name, s in series.items():
        if not name.startswith("eval_") or name.endswith(("_runtime", "_per_second")):
            continue
        at = np.flatnonzero(s.x == step) if step is not None else np.arange(len(s))
        if any(math.isclose(float(s.values[i]), best, rel_tol=1e-9, abs_tol=1e-12) for i in at):
            hits.append(name)
    return hits[0] if len(hits) == 1 else None


TRAINER_STATE = Format(
    "hf-trainer-state",
    "a Hugging Face trainer_state.json",
    read_hf,
    looks_hf,
)
