"""Turn a monitored series into the decision an early-stopping callback would have made.

:func:`keras_early_stopping` replays ``keras.callbacks.EarlyStopping`` (Keras 3)
epoch by epoch, with its exact rules for ``mode="auto"``, ``min_delta``,
``baseline``, ``start_from_epoch`` and ``restore_best_weights``. Epochs here are
0-based positions in ``values``, as in Keras's own attributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from reporter.errors import ConfigError
from reporter.metrics import direction_of

Mode = Literal["min", "max"]


@dataclass(frozen=True)
class StopDecision:
    """What the callback did; field names and meanings follow Keras's attributes."""

    monitor: str
    mode: Mode
    patience: int
    min_delta: float
    baseline: float | None
    start_from_epoch: int
    restore_best_weights: bool
    epochs_run: int
    stop_fired: bool
    stopped_epoch: int
    best_epoch: int
    restored_from: int | None
    best: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def keras_auto_mode(monitor: str) -> Mode:
    """Resolve ``mode="auto"`` as Keras does: ``loss``-named monitors minimise.

    Keras otherwise asks the compiled model's metric objects for their
    direction; without a model we use the same names Keras's built-in metrics
    carry (accuracy, AUC, precision, recall ... go up).
    """
    base = monitor.removeprefix("val_")
    if base == "loss":
        return "min"
    direction = direction_of(base)
    if direction is None:
        raise ConfigError(
            f"cannot tell whether {monitor!r} should be minimised or maximised; "
            "pass mode='min' or mode='max'"
        )
    return direction


def keras_early_stopping(
    values: Sequence[float],
    monitor: str = "val_loss",
    min_delta: float = 0,
    patience: int = 0,
    mode: str = "auto",
    baseline: float | None = None,
    restore_best_weights: bool = False,
    start_from_epoch: int = 0,
) -> StopDecision:
    """Replay Keras ``EarlyStopping`` over ``values`` (one per epoch) and return its decision."""
    if mode not in ("auto", "min", "max"):
        mode = "auto"  # Keras warns and falls back to auto
    resolved: Mode = keras_auto_mode(monitor) if mode == "auto" else mode  # type: ignore[assignment]
    delta = abs(min_delta)
    if resolved == "min":
        delta = -delta

    def improved(current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if resolved == "min":
            return current - delta < reference
        return current - delta > reference

    wait = 0
    best: float | None = None
    best_epoch = 0
    have_weights = False
    stopped_epoch = 0
    stop = False
    epochs_run = 0
    for epoch, raw in enumerate(values):
        epochs_run = epoch + 1
        current = None if raw is None else float(raw)
        if current is None or epoch < start_from_epoch:
            continue
        if restore_best_weights and not have_weights:
            have_weights = True
            best_epoch = epoch
        wait += 1
        if improved(current, best):
            best = current
            best_epoch = epoch
            if restore_best_weights:
                have_weights = True
            if baseline is None or improved(current, baseline):
                wait = 0
            continue
        if wait >= patience and epoch > 0:
            stopped_epoch = epoch
            stop = True
            break
    restored = best_epoch if (restore_best_weights and have_weights) else None
    return StopDecision(
        monitor=monitor,
        mode=resolved,
        patience=patience,
        min_delta=abs(min_delta),
        baseline=baseline,
        start_from_epoch=start_from_epoch,
        restore_best_weights=restore_best_weights,
        epochs_run=epochs_run,
        stop_fired=stop,
        stopped_epoch=stopped_epoch,
        best_epoch=best_epoch,
        restored_from=restored,
        best=None if best is None or math.isnan(best) else best,
    )


@dataclass(frozen=True)
class PolicyDecision:
    """Where a tool's early-stopping callback would have stopped and which checkpoint it keeps.

    ``stop_index`` is the 0-based check (epoch or evaluation) after which training stops,
    ``None`` when it never fires; ``keep_index`` is the check whose weights the tool's usual
    best-checkpoint mechanism would keep by then; ``reason`` is a short code
    (``patience``, ``not_finite``, ``stopping_threshold``, ``divergence_threshold``).
    """

    policy: str
    stop_index: int | None
    keep_index: int | None
    best: float | None
    reason: str | None
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first_best(values: Sequence[float], upto: int, mode: Mode) -> tuple[int | None, float | None]:
    """First strictly-best finite value among ``values[:upto+1]`` (how ModelCheckpoint and
    the Trainer's ``best_metric`` replace a checkpoint: only on a strict improvement)."""
    best_i: int | None = None
    best: float | None = None
    for i, v in enumerate(values[: upto + 1]):
        if v is None or not math.isfinite(v):
            continue
        if best is None or (v < best if mode == "min" else v > best):
            best_i, best = i, float(v)
    return best_i, best


def keras_policy(d: StopDecision) -> PolicyDecision:
    """A Keras ``EarlyStopping`` replay (with ``restore_best_weights=True``) as a
    :class:`PolicyDecision`, next to the other tools' policies."""
    return PolicyDecision(
        "keras",
        d.stopped_epoch if d.stop_fired else None,
        d.restored_from,
        d.best,
        "patience" if d.stop_fired else None,
        {
            "monitor": d.monitor,
            "mode": d.mode,
            "patience": d.patience,
            "min_delta": d.min_delta,
            "baseline": d.baseline,
            "start_from_epoch": d.start_from_epoch,
            "restore_best_weights": d.restore_best_weights,
        },
    )


def lightning_early_stopping(
    values: Sequence[float],
    monitor: str = "val_loss",
    min_delta: float = 0.0,
    patience: int = 3,
    mode: Mode = "min",
    check_finite: bool = True,
    stopping_threshold: float | None = None,
    divergence_threshold: float | None = None,
) -> PolicyDecision:
    """Replay PyTorch Lightning's ``EarlyStopping`` over one value per validation check.

    The rules of ``_evaluate_stopping_criteria``, in order: a non-finite value stops
    (``check_finite``); reaching ``stopping_threshold`` stops; passing
    ``divergence_threshold`` the wrong way stops; an improvement by more than
    ``min_delta`` over the best score resets the wait; otherwise the wait grows and
    stops once it reaches ``patience``. The kept checkpoint is what
    ``ModelCheckpoint(monitor, mode)`` would hold at the stop.
    """
    if mode not in ("min", "max"):
        raise ConfigError(f"Lightning EarlyStopping mode must be min or max, got {mode!r}")

    def better(a: float, b: float) -> bool:
        return a < b if mode == "min" else a > b

    delta = abs(min_delta) if mode == "max" else -abs(min_delta)
    best = math.inf if mode == "min" else -math.inf
    wait = 0
    stop: int | None = None
    reason: str | None = None
    for i, raw in enumerate(values):
        current = math.nan if raw is None else float(raw)
        if check_finite and not math.isfinite(current):
            stop, reason = i, "not_finite"
        elif stopping_threshold is not None and better(current, stopping_threshold):
            stop, reason = i, "stopping_threshold"
        elif divergence_threshold is not None and better(-current, -divergence_threshold):
            stop, reason = i, "divergence_threshold"
        elif better(current - delta, best):
            best, wait = current, 0
        else:
            wait += 1
            if wait >= patience:
                stop, reason = i, "patience"
        if stop is not None:
            break
    last = stop if stop is not None else len(values) - 1
    keep, kept = _first_best(values, last, mode)
    return PolicyDecision(
        "lightning",
        stop,
        keep,
        kept,
        reason,
        {
            "monitor": monitor,
            "mode": mode,
            "patience": patience,
            "min_delta": abs(min_delta),
            "check_finite": check_finite,
            "stopping_threshold": stopping_threshold,
            "divergence_threshold": divergence_threshold,
        },
    )


def hf_early_stopping(
    values: Sequence[float],
    metric_for_best_model: str = "loss",
    early_stopping_patience: int = 1,
    early_stopping_threshold: float = 0.0,
    greater_is_better: bool | None = None,
) -> PolicyDecision:
    """Replay Hugging Face ``EarlyStoppingCallback`` over one value per evaluation.

    At each evaluation the callback compares the value with the Trainer's
    ``state.best_metric`` *as it stood before this evaluation*: it resets its counter
    only on an improvement larger than ``early_stopping_threshold``, otherwise counts,
    and stops once the counter reaches ``early_stopping_patience``. The Trainer then
    updates ``best_metric``/``best_model_checkpoint`` on any strict improvement (no
    threshold). ``greater_is_better`` defaults as in ``TrainingArguments``: false when
    the metric name ends with ``loss``.
    """
    if greater_is_better is None:
        greater_is_better = not metric_for_best_model.endswith("loss")
    mode: Mode = "max" if greater_is_better else "min"

    def better(a: float, b: float) -> bool:
        return a > b if greater_is_better else a < b

    best: float | None = None
    best_i: int | None = None
    counter = 0
    stop: int | None = None
    for i, raw in enumerate(values):
        current = math.nan if raw is None else float(raw)
        if best is None or (
            better(current, best) and abs(current - best) > early_stopping_threshold
        ):
            counter = 0
        else:
            counter += 1
        if best is None or better(current, best):
            best, best_i = current, i
        if counter >= early_stopping_patience:
            stop = i
            break
    return PolicyDecision(
        "huggingface",
        stop,
        best_i,
        None if best is None or math.isnan(best) else best,
        "patience" if stop is not None else None,
        {
            "metric_for_best_model": metric_for_best_model,
            "greater_is_better": greater_is_better,
            "early_stopping_patience": early_stopping_patience,
            "early_stopping_threshold": early_stopping_threshold,
            "mode": mode,
        },
    )
