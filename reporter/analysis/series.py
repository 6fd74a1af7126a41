"""Turn a series' values and positions into the small facts every analysis step asks for:
the x value of an index, the best position, the final value, "is better", a plateau.

One helper per idea, so that no two modules answer the same question differently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reporter.analysis.facts import Best
from reporter.history.model import History, Series
from reporter.metrics import Direction


def x_at(xs: np.ndarray[Any, Any], index: int | None) -> float | int | None:
    """The x value (epoch or step, as displayed) at position ``index``; ``None`` for none."""
    return None if index is None else xnum(xs[index])


def best_index(
    values: np.ndarray[Any, Any], mode: Direction, upto: int | None = None
) -> int | None:
    """The first position of the best finite value (up to ``upto``), ``None`` if none is."""
    v = values[: (upto + 1) if upto is not None else None]
    finite = np.isfinite(v)
    if not finite.any():
        return None
    masked = np.where(finite, v, np.inf if mode == "min" else -np.inf)
    return int(np.argmin(masked) if mode == "min" else np.argmax(masked))


def best_of(
    name: str, values: np.ndarray[Any, Any], x: np.ndarray[Any, Any], mode: Direction
) -> Best | None:
    """Where ``values`` were best: the first position of the best finite value, or ``None``."""
    index = best_index(values, mode)
    if index is None:
        return None
    return Best(name, index, float(x[index]), float(values[index]), mode)


def better(a: float, b: float, mode: Direction) -> bool:
    """Whether ``a`` is strictly better than ``b`` for a metric going ``mode``."""
    return a < b if mode == "min" else a > b


def final(values: np.ndarray[Any, Any]) -> float | None:
    """The last finite value, ``None`` if there is none."""
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else None


def xnum(x: float) -> float | int:
    """An x value for display: 18 rather than 18.0 (the x of an index is ``xnum(xs[i])``)."""
    return int(x) if float(x).is_integer() else float(x)


def on_positions(series: Series, xs: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``series`` read at the positions ``xs`` of another series (the monitor's).

    Where both were logged at the same positions, the values as they are. Otherwise each
    position gets the mean of the values logged since the previous one, (x[i-1], x[i]]: a
    training loss logged every few iterations becomes the training loss of each epoch (or
    of each evaluation interval), as Keras averages it over the epoch. NaN where nothing
    was logged in an interval.
    """
    if series.x.shape == xs.shape and np.array_equal(series.x, xs):
        return series.values
    out = np.full(xs.shape, np.nan)
    finite = np.isfinite(series.values)
    sx, sv = series.x[finite], series.values[finite]
    prev = -np.inf
    for i, x in enumerate(xs):
        inside = (sx > prev) & (sx <= x)
        if inside.any():
            out[i] = float(np.mean(sv[inside]))
        prev = x
    return out


def positions(history: History, monitor: str | None) -> np.ndarray[Any, Any]:
    """The x values that indices of this run refer to: the monitor's, else the longest series'."""
    if monitor is not None:
        return history[monitor].x
    longest = max(history.series.values(), key=len, default=None)
    return longest.x if longest is not None else np.zeros(0)


def plateau_start(smooth: np.ndarray[Any, Any], mode: Direction, threshold: float) -> int:
    """First index after which no later value improves on it by more than ``threshold``."""
    sign = 1.0 if mode == "min" else -1.0
    v = sign * smooth
    finite = np.isfinite(v)
    later_best = np.full(v.shape, np.inf)
    running = np.inf
    for i in range(v.shape[0] - 1, -1, -1):
        later_best[i] = running
        if finite[i]:
            running = min(running, v[i])
    for i in range(v.shape[0]):
        if finite[i] and v[i] - later_best[i] <= threshold:
            return i
    return int(v.shape[0]) - 1
