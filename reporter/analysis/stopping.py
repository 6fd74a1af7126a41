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
    from reporter.metrics import direction_of  # local: metrics imports nothing from here

    base = monitor.removeprefix("val_")
    if base == "loss":
        return "min"
    direction = direction_of(base)
    if direction is None:
        raise ConfigError(
            f"cannot tell whether {monitor!r} should be minimised or maximised; "
            "pass mode='min' or mode='max'")
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
        monitor=monitor, mode=resolved, patience=patience, min_delta=abs(min_delta),
        baseline=baseline, start_from_epoch=start_from_epoch,
        restore_best_weights=restore_best_weights, epochs_run=epochs_run, stop_fired=stop,
        stopped_epoch=stopped_epoch, best_epoch=best_epoch, restored_from=restored,
        best=None if best is None or math.isnan(best) else best,
    )
