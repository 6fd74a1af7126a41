"""Turn train/validation curves into Prechelt's stopping criteria and TensorBoard's smoothing.

Prechelt, "Early Stopping — But When?" (1998): GL_α stops when the generalisation loss
exceeds α %; PQ_α when GL divided by the training progress over the last strip of k
epochs exceeds α (checked at strip ends only); UP_s when the validation error rose in s
successive strips. TensorBoard's scalar dashboard draws a debiased exponential moving
average with weight 0.6 by default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from reporter.analysis.curves import generalization_loss

Array = np.ndarray[Any, np.dtype[np.float64]]
TENSORBOARD_WEIGHT = 0.6


def tensorboard_smooth(values: Array, weight: float = TENSORBOARD_WEIGHT) -> Array:
    """TensorBoard's debiased EMA: non-finite points pass through and are not accumulated;
    a constant series is returned unchanged."""
    v = np.asarray(values, dtype=np.float64)
    out = v.copy()
    finite = np.isfinite(v)
    if not finite.any() or (np.all(v[finite] == v[finite][0]) and finite.all()):
        return out
    last, count = 0.0, 0
    for i, x in enumerate(v):
        if not np.isfinite(x):
            continue
        last = last * weight + (1 - weight) * x
        count += 1
        debias = 1.0 - weight**count if weight != 1 else 1.0
        out[i] = last / debias
    return out


def training_progress(train: Array, t: int, k: int) -> float:
    """P_k(t) = 1000 · (Σ_{t-k+1..t} E_tr / (k · min_{t-k+1..t} E_tr) − 1), in per mille."""
    strip = train[t - k + 1 : t + 1]
    strip = strip[np.isfinite(strip)]
    if strip.size == 0 or np.min(strip) <= 0:
        return float("nan")
    return float(1000.0 * (np.sum(strip) / (strip.size * np.min(strip)) - 1.0))


@dataclass(frozen=True)
class Criterion:
    """One criterion: its name (``GL5``), the 0-based epoch it first fires at (or ``None``)."""

    name: str
    index: int | None
    value: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def prechelt(
    val: Array,
    train: Array | None,
    alpha_gl: float = 5.0,
    alpha_pq: float = 3.0,
    strips: int = 3,
    k: int = 5,
) -> list[Criterion]:
    """GL_α, PQ_α and UP_s for a minimised validation error (and training error for PQ)."""
    gl = generalization_loss(val)
    out = []
    hit = np.flatnonzero(np.nan_to_num(gl, nan=-1.0) > alpha_gl)
    out.append(
        Criterion(
            f"GL{alpha_gl:g}",
            int(hit[0]) if hit.size else None,
            float(gl[hit[0]]) if hit.size else None,
        )
    )
    pq_index: int | None = None
    pq_value: float | None = None
    if train is not None and len(train) == len(val):
        for t in range(k - 1, len(val), k):
            p = training_progress(train, t, k)
            if np.isfinite(gl[t]) and np.isfinite(p) and p > 0 and gl[t] / p > alpha_pq:
                pq_index, pq_value = t, float(gl[t] / p)
                break
    out.append(Criterion(f"PQ{alpha_pq:g}", pq_index, pq_value))
    up_index: int | None = None
    run = 0
    for t in range(2 * k - 1, len(val), k):
        if np.isfinite(val[t]) and np.isfinite(val[t - k]) and val[t] > val[t - k]:
            run += 1
            if run >= strips:
                up_index = t
                break
        else:
            run = 0
    out.append(Criterion(f"UP{strips}", up_index, None))
    return out
