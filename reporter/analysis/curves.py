"""Turn metric curves into named shapes: overfitting onset, degradation windows, divergence.

Each detector is a pure function over float arrays (NaN = gap) with its
thresholds as keyword arguments, so tests can drive them with tiny series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reporter.analysis.facts import Finding
from reporter.analysis.series import xnum
from reporter.history.model import History
from reporter.metrics import Catalog

Array = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Overfitting:
    """Validation loss rose past its minimum by more than ``alpha`` % (Prechelt's GL)
    while training loss was still below its value at that minimum."""

    best_index: int
    onset_index: int
    gl: float
    max_gl: float
    train_change_pct: float


def generalization_loss(val: Array) -> Array:
    """Prechelt's GL(t) = 100 · (E_va(t) / min_{t'≤t} E_va(t') − 1); NaN where undefined."""
    out = np.full(val.shape, np.nan)
    best = np.inf
    for i, v in enumerate(val):
        if np.isfinite(v):
            best = min(best, v)
        if np.isfinite(v) and np.isfinite(best) and best > 0:
            out[i] = 100.0 * (v / best - 1.0)
    return out


def rolling_median(v: Array, half: int = 1) -> Array:
    """Centred median over ``2·half+1`` epochs (fewer at the ends), ignoring gaps."""
    out = np.full(v.shape, np.nan)
    for i in range(v.shape[0]):
        win = v[max(0, i - half) : i + half + 1]
        win = win[np.isfinite(win)]
        if win.size:
            out[i] = float(np.median(win))
    return out


def overfitting_onset(val: Array, train: Array, alpha: float = 5.0) -> Overfitting | None:
    """First epoch after the validation minimum where the *sustained* generalisation loss
    exceeds ``alpha`` % while the training loss is still below its value at the minimum.

    GL is taken on a centred 3-epoch median of the validation loss, so one noisy epoch
    (a spike inside a plateau) does not count as overfitting; the reported GL and best
    epoch are those of the raw curve.
    """
    finite = np.isfinite(val)
    if finite.sum() < 3 or np.nanmin(val) <= 0:
        return None
    smooth = rolling_median(val)
    s_opt = int(np.nanargmin(np.where(np.isfinite(smooth), smooth, np.inf)))
    s_best = float(smooth[s_opt])
    t_opt = int(np.nanargmin(np.where(finite, val, np.inf)))
    best = float(val[t_opt])
    after = val[t_opt + 1 :]
    max_gl = float(np.nanmax(100.0 * (after / best - 1.0))) if np.isfinite(after).any() else 0.0
    ref = min(t_opt, s_opt)
    for t in range(max(t_opt, s_opt) + 1, val.shape[0]):
        if not np.isfinite(smooth[t]) or 100.0 * (smooth[t] / s_best - 1.0) <= alpha:
            continue
        if not (
            t < len(train)
            and np.isfinite(train[t])
            and np.isfinite(train[ref])
            and train[t] < train[ref]
        ):
            continue
        change = 100.0 * (train[t] - train[ref]) / abs(train[ref]) if train[ref] != 0 else 0.0
        gl = 100.0 * (val[t] / best - 1.0) if np.isfinite(val[t]) else float("nan")
        return Overfitting(t_opt, t, float(gl), max_gl, float(change))
    return None


@dataclass(frozen=True)
class Window:
    """Consecutive epochs (0-based, inclusive) in which most validation metrics got worse."""

    start_index: int
    end_index: int
    n_worse: int
    n_metrics: int
    severity: float
    worst_metrics: tuple[str, ...]


def _noise_scale(v: Array) -> float:
    d = np.abs(np.diff(v))
    d = d[np.isfinite(d)]
    if d.size == 0:
        return 0.0
    scale = float(np.median(d))
    return scale if scale > 0 else float(np.mean(d))


def degradation_windows(
    history: History,
    catalog: Catalog,
    reference_x: Array | None = None,
    lookback: int = 4,
    min_share: float = 0.6,
    min_severity: float = 1.5,
    min_metrics: int = 3,
) -> list[Window]:
    """Epochs where at least ``min_share`` of the validation metrics fall below their
    recent level (median of the previous ``lookback`` epochs) by a median of
    ``min_severity`` times their usual epoch-to-epoch change."""
    rows: list[tuple[str, Array, float]] = []
    if reference_x is None:
        reference_x = max((s.x for s in history.series.values()), key=len, default=np.zeros(0))
    n = int(reference_x.shape[0])
    for name, series in history.series.items():
        metric = catalog.metric(name)
        if (
            metric.val != name
            or metric.kind != "quality"
            or metric.direction is None
            or len(series) != n
            or not np.array_equal(series.x, reference_x)
        ):
            continue
        scale = _noise_scale(series.values)
        if scale > 0:
            sign = 1.0 if metric.direction == "max" else -1.0
            rows.append((name, series.values * sign, scale))
    if len(rows) < min_metrics or n < 4:
        return []
    names = [r[0] for r in rows]
    signed = np.vstack([r[1] for r in rows])
    scales = np.array([r[2] for r in rows])[:, None]
    degraded: list[tuple[int, int, float, Array]] = []
    for t in range(2, n):
        ref = np.nanmedian(signed[:, max(0, t - lookback) : t], axis=1)
        z = (signed[:, t] - ref) / scales[:, 0]
        ok = np.isfinite(z)
        if ok.sum() < min_metrics:
            continue
        share = float(np.mean(z[ok] < 0))
        severity = float(-np.median(z[ok]))
        if share >= min_share and severity >= min_severity:
            degraded.append((t, int(np.sum(z[ok] < 0)), severity, np.where(ok, z, np.inf)))
    windows: list[Window] = []
    for t, worse, severity, z in degraded:
        order = np.argsort(z)[:3]
        worst = tuple(names[i] for i in order)
        if windows and windows[-1].end_index == t - 1:
            w = windows[-1]
            windows[-1] = Window(
                w.start_index,
                t,
                max(w.n_worse, worse),
                len(names),
                max(w.severity, severity),
                w.worst_metrics if w.severity >= severity else worst,
            )
        else:
            windows.append(Window(t, t, worse, len(names), severity, worst))
    return windows


def divergence(history: History, catalog: Catalog) -> Finding | None:
    """The first loss curve that turns NaN/inf, explodes (10× its minimum) or runs away below 0."""
    for name, series in history.series.items():
        metric = catalog.metric(name)
        if metric.direction != "min" or "loss" not in metric.base.lower():
            continue
        v = series.values
        finite = np.isfinite(v)
        if not finite.any():
            continue
        first = int(np.argmax(finite))
        bad = np.flatnonzero(~finite[first:])
        if bad.size:
            i = first + int(bad[0])
            x = xnum(series.x[i])
            return Finding(
                "divergence",
                "finding.divergence_nan",
                {"metric": name, "epoch": x},
                metric=name,
                epochs=(x,),
            )
        fin = v[finite]
        lo = float(np.min(fin))
        if lo > 0 and fin[-1] > 10 * lo and fin[-1] > fin[0]:
            i = int(np.flatnonzero(v > 10 * lo)[0])
            x = xnum(series.x[i])
            return Finding(
                "divergence",
                "finding.divergence_explode",
                {"metric": name, "epoch": x, "value": float(v[i]), "min": lo},
                metric=name,
                epochs=(x,),
            )
        if fin[-1] < 0 and abs(fin[-1]) > 10 * max(abs(fin[0]), 1e-12) and fin[-1] < fin[0]:
            i = int(np.flatnonzero(v < 0)[0])
            x = xnum(series.x[i])
            return Finding(
                "divergence",
                "finding.divergence_negative",
                {"metric": name, "epoch": x, "value": float(fin[-1])},
                metric=name,
                epochs=(x,),
            )
    return None


@dataclass(frozen=True)
class LrDrop:
    """The learning rate fell by at least 30 % between two points (0-based ``index`` is after)."""

    series: str
    index: int
    x: float
    before: float
    after: float


def lr_drops(history: History, catalog: Catalog, ratio: float = 0.7) -> list[LrDrop]:
    """Step drops of every learning-rate series (``lr``, ``learning_rate``, ``lr-AdamW`` ...)."""
    drops = []
    for name, series in history.series.items():
        if catalog.metric(name).kind != "schedule":
            continue
        v = series.values
        for i in range(1, v.shape[0]):
            if not (
                np.isfinite(v[i])
                and np.isfinite(v[i - 1])
                and v[i - 1] > 0
                and v[i] <= ratio * v[i - 1]
            ):
                continue
            # a step drop (ReduceLROnPlateau, MultiStep): the rate was flat just before it,
            # unlike the last steps of a decay schedule running to zero
            flat_before = (
                i < 2 or not np.isfinite(v[i - 2]) or v[i - 2] <= 0 or v[i - 1] / v[i - 2] >= 0.95
            )
            if flat_before:
                drops.append(LrDrop(name, i, float(series.x[i]), float(v[i - 1]), float(v[i])))
        if drops:
            break  # one schedule is enough (optimisers often log one per parameter group)
    return drops


def noise_scale(v: Array) -> float:
    """Typical epoch-to-epoch change of a curve (median absolute difference)."""
    return _noise_scale(v)
