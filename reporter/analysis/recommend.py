"""Turn the monitored series, the Keras replay and the run's shape into one recommendation.

A finished run asks two questions, and the recommendation answers both:

- *use this checkpoint*: the best epoch of the monitored series the run has (the first one
  with the best value), with the other epochs that are within the run's own epoch-to-epoch
  noise of it;
- *next time, stop here*: the first epoch after the useful gains ended — the centred
  3-epoch median of the monitor never again improves by more than its usual step (or
  ``min_delta``, if larger) — with what stopping there would have cost in the monitored
  value and saved in compute.

A run is *still improving* only when its last epochs beat what came before by more than
that noise, or keep a clear trend; a new best by a noise-sized step is a plateau. A run
whose held-out side never learned (a held-out metric constant or at chance for most of the
run, or never better than its first epoch while training improves) gets that diagnosis and
no checkpoint advice. Keras's ``EarlyStopping`` replay stays a policy row and a source of
doubts, not the headline. The situations met on the way come back as findings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from reporter.analysis.curves import noise_scale, rolling_median
from reporter.analysis.facts import Confidence, Finding, Recommendation, RecommendationKind
from reporter.analysis.findings import conflicting_metric, held_out_not_learning, loss_disagrees
from reporter.analysis.series import best_index, better, on_positions, plateau_start
from reporter.analysis.stopping import StopDecision
from reporter.history.model import History
from reporter.metrics import Catalog, Direction

STILL_IMPROVING = 1.5  # the last epochs must beat the run before them by 1.5× its usual step
NEAR_SHOWN = 5  # near-equal epochs named in the sentence (summary.json has them all)


@dataclass(frozen=True)
class Inputs:
    """What the recommendation is made from."""

    history: History
    catalog: Catalog
    monitor: str | None
    mode: Direction | None
    train: str | None
    stopping: StopDecision | None
    patience: int
    min_delta: float
    diverged: Finding | None
    ex: Any  # index -> x value as displayed


def recommend(i: Inputs) -> tuple[Recommendation, list[Finding]]:
    """The recommendation and the findings met on the way."""
    situations: list[Finding] = []
    h, monitor, mode = i.history, i.monitor, i.mode
    no_finite = (
        monitor is not None and mode is not None and best_index(h[monitor].values, mode) is None
    )
    if (
        monitor is None
        or mode is None
        or i.stopping is None
        or i.stopping.best is None
        or no_finite
    ):
        return (
            Recommendation(
                kind="no_validation",
                monitor=monitor,
                mode=mode,
                epochs_run=h.n_epochs,
                key="rec.no_finite" if no_finite else "rec.no_validation",
                params={"monitor": monitor} if no_finite else {},
            ),
            situations,
        )
    v = h[monitor].values
    n = int(v.shape[0])
    base: dict[str, Any] = {"monitor": monitor, "patience": i.patience, "epochs": n}

    if i.diverged is not None and i.diverged.metric in (monitor, i.train):
        return _diverged(i, v, n, base), situations

    not_learning = held_out_not_learning(h, i.catalog, monitor, mode, i.train, i.ex)
    if not_learning is not None:
        situations.append(not_learning)
        return (
            Recommendation(
                kind="did_not_learn",
                monitor=monitor,
                mode=mode,
                epochs_run=n,
                patience=i.patience,
                key="rec.nothing_learned"
                if _nothing_learned(not_learning)
                else "rec.did_not_learn",
                params=dict(base, **not_learning.params),
                confidence="high",
            ),
            situations,
        )

    noise = noise_scale(v)
    # values near the float limits overflow the noise estimate: fall back to min_delta alone
    threshold = max(abs(i.min_delta), noise) if math.isfinite(noise) else abs(i.min_delta)
    best = _framework_best(h, monitor, best_index(v, mode))
    doubts: list[str] = []
    conflict = (
        conflicting_metric(h, i.catalog, monitor, mode, best, i.patience, i.ex)
        if "loss" in monitor.lower()
        else loss_disagrees(h, i.catalog, monitor, i.ex)
    )
    if conflict is not None:
        situations.append(conflict)
        doubts.append("conflicting_metrics")

    checkpoint = dict(
        keep_epoch=i.ex(best),
        value=float(v[best]),
        **_near(v, best, threshold, i.ex),
    )
    if _still_improving(v, mode, best, threshold, n):
        situations.append(
            Finding(
                "still_improving",
                "finding.still_improving",
                {"monitor": monitor, "epoch": i.ex(n - 1), "value": float(v[-1])},
                metric=monitor,
                epochs=(i.ex(n - 1),),
            )
        )
        return (
            Recommendation(
                kind="continue",
                monitor=monitor,
                mode=mode,
                keep_index=best,
                keep_value=float(v[best]),
                epochs_run=n,
                patience=i.patience,
                key="rec.continue",
                params=dict(base, last_epoch=i.ex(n - 1), **checkpoint),
                confidence="high" if not doubts else "medium",
                doubts=tuple(doubts),
            ),
            situations,
        )

    # next time, stop here: the epoch after the useful gains ended (a centred median does
    # not lag the way an exponential average does)
    ended = plateau_start(rolling_median(v), mode, threshold)
    stop = min(ended + 1, n - 1)
    kind: RecommendationKind = "stop" if stop < n - 1 else "keep_best"
    params = dict(base, **checkpoint, since_epoch=i.ex(ended), threshold=threshold)
    stop_index: int | None = None
    key = "rec.keep_best"
    if kind == "stop":
        stop_index = stop
        reached = best_index(v, mode, stop)
        at_stop = float(v[reached]) if reached is not None else math.nan
        cost = abs(at_stop - float(v[best])) if reached is not None else math.nan
        params.update(
            stop_epoch=i.ex(stop),
            stop_value=at_stop,
            cost=cost,
            cost_pct=100.0 * cost / abs(float(v[best])) if v[best] else 0.0,
            saved=n - (stop + 1),
            saved_pct=100.0 * (n - (stop + 1)) / n,
        )
        key = "rec.use_best_stop_at" if cost > 0 else "rec.use_best_stop_free"
        train_change = _train_change(i, ended, stop)
        if train_change is not None:
            params.update(train=i.train, train_change=train_change[0])
            situations.append(
                Finding(
                    "train_kept_improving" if train_change[1] else "train_stalled",
                    "finding.train_kept_improving" if train_change[1] else "finding.train_stalled",
                    {
                        "monitor": monitor,
                        "train": i.train,
                        "since_epoch": i.ex(ended),
                        "last_epoch": i.ex(n - 1),
                        "train_change": train_change[0],
                    },
                    metric=i.train,
                    epochs=(i.ex(ended), i.ex(n - 1)),
                )
            )

    doubts += _policy_doubts(i, v, n, best, stop_index, threshold, situations)
    scale = noise_scale(v)
    first = v[np.isfinite(v)][0]
    if abs(first - v[best]) > 0 and scale > 0.5 * abs(first - v[best]):
        doubts.append("noisy")
    confidence: Confidence = "high" if not doubts else "medium" if len(doubts) == 1 else "low"
    return (
        Recommendation(
            kind=kind,
            monitor=monitor,
            mode=mode,
            stop_index=stop_index,
            keep_index=best,
            keep_value=float(v[best]),
            epochs_run=n,
            patience=i.patience,
            key=key,
            params=params,
            confidence=confidence,
            doubts=tuple(doubts),
        ),
        situations,
    )


def _nothing_learned(f: Finding) -> bool:
    """The training side, where there is one, did not learn either."""
    return bool(f.params.get("train")) and not f.params.get("train_learned", True)


def _framework_best(h: History, monitor: str, best: int | None) -> int:
    """The best position, or the framework's own best checkpoint where it ties with it (on a
    tie Ultralytics keeps the later epoch in best.pt: the file the user has)."""
    assert best is not None
    if h.best_checkpoint is None or h.monitor != monitor:
        return best
    v, x = h[monitor].values, h[monitor].x
    hits = np.flatnonzero(x == h.best_checkpoint)
    if hits.size and float(v[hits[0]]) == float(v[best]):
        return int(hits[0])
    return best


def _near(v: np.ndarray[Any, Any], best: int, threshold: float, ex: Any) -> dict[str, Any]:
    """Other epochs within the run's noise of the best one: as good, as far as it can tell."""
    near = [
        k for k in np.flatnonzero(np.isfinite(v) & (np.abs(v - v[best]) <= threshold)) if k != best
    ]
    shown = ", ".join(str(ex(int(k))) for k in near[:NEAR_SHOWN])
    if len(near) > NEAR_SHOWN:
        shown += f", … (+{len(near) - NEAR_SHOWN})"
    return {"near": shown, "near_count": len(near), "near_epochs": [ex(int(k)) for k in near]}


def _still_improving(
    v: np.ndarray[Any, Any], mode: Direction, best: int, threshold: float, n: int
) -> bool:
    """The best is in the last two epochs and the last few beat the run before them by more
    than its noise, or keep a clear trend: a new best by a noise-sized step is a plateau."""
    if best < n - 2:
        return False
    if n < 4:
        return True  # too short to tell a plateau from progress
    w = max(3, min(10, n // 4))
    sign = 1.0 if mode == "min" else -1.0
    before, recent = sign * v[: n - w], sign * v[n - w :]
    if not (np.isfinite(before).any() and np.isfinite(recent).any()):
        return True
    gain = float(np.nanmin(before) - np.nanmin(recent))
    ok = np.isfinite(recent)
    trend = 0.0
    if ok.sum() >= 3:
        slope = float(np.polyfit(np.flatnonzero(ok), recent[ok], 1)[0])
        trend = -slope * (w - 1)
    return gain > STILL_IMPROVING * threshold or trend > STILL_IMPROVING * threshold


def _train_change(i: Inputs, ended: int, stop: int) -> tuple[float, bool] | None:
    """How the training twin changed from where the held-out gains ended to the end of the
    run (%), and whether that was an improvement."""
    if i.train is None or i.monitor is None:
        return None
    tv = on_positions(i.history[i.train], i.history[i.monitor].x)
    last = int(tv.shape[0]) - 1
    if stop > last:  # a shorter train log says nothing here
        return None
    a, b = tv[ended], tv[last]
    change = 100.0 * (b - a) / abs(a) if a != 0 else math.nan
    if not math.isfinite(change):
        return None
    tmode = i.catalog.metric(i.train).direction or "min"
    return change, (change < 0 if tmode == "min" else change > 0)


def _policy_doubts(
    i: Inputs,
    v: np.ndarray[Any, Any],
    n: int,
    best: int,
    stop_index: int | None,
    threshold: float,
    situations: list[Finding],
) -> list[str]:
    """What the plain Keras callback would have done, and what it would have missed."""
    s = i.stopping
    doubts: list[str] = []
    if s is None or not s.stop_fired or s.restored_from is None:
        return doubts
    k_stop, k_keep = s.stopped_epoch, s.restored_from
    later = best_index(v[k_stop + 1 :], i.mode) if k_stop + 1 < n and i.mode else None
    if later is not None and i.mode is not None:
        j = k_stop + 1 + later
        gain = abs(float(v[j]) - float(v[k_keep]))
        if (
            better(float(v[j]), float(v[k_keep]), i.mode)
            and gain > max(noise_scale(v), abs(i.min_delta))
            and gain > 0.05 * abs(float(v[k_keep]))
        ):
            situations.append(
                Finding(
                    "late_recovery",
                    "finding.late_recovery",
                    {
                        "monitor": i.monitor,
                        "patience": i.patience,
                        "keras_stop": i.ex(k_stop),
                        "keras_keep": i.ex(k_keep),
                        "keras_value": float(v[k_keep]),
                        "later_epoch": i.ex(j),
                        "later_value": float(v[j]),
                        "gain_pct": 100.0 * gain / abs(float(v[k_keep])) if v[k_keep] else 0.0,
                    },
                    metric=i.monitor,
                    epochs=(i.ex(k_stop), i.ex(j)),
                )
            )
            if stop_index is not None and j > stop_index:
                doubts.append("late_recovery")  # the rerun stop would miss it too
    if stop_index is not None and abs(k_stop - stop_index) > i.patience:
        doubts.append("policies_disagree")
    return doubts


def _diverged(i: Inputs, v: np.ndarray[Any, Any], n: int, base: dict[str, Any]) -> Recommendation:
    """Stop before the divergence and keep the best checkpoint before it, if there is one."""
    assert i.diverged is not None and i.monitor is not None and i.mode is not None
    bad = min(int(np.searchsorted(i.history[i.monitor].x, i.diverged.epochs[0])), n - 1)
    keep = best_index(v, i.mode, max(bad - 1, 0))
    common: dict[str, Any] = dict(
        kind="diverged",
        monitor=i.monitor,
        mode=i.mode,
        stop_index=bad,
        epochs_run=n,
        patience=i.patience,
        confidence="medium",
        doubts=("divergence",),
    )
    if keep is None:  # nothing finite before the divergence: no checkpoint worth keeping
        params = dict(base, stop_epoch=i.ex(bad), metric=i.diverged.metric)
        return Recommendation(key="rec.diverged_no_keep", params=params, **common)
    params = dict(
        base,
        keep_epoch=i.ex(keep),
        value=float(v[keep]),
        stop_epoch=i.ex(bad),
        metric=i.diverged.metric,
        saved=n - (bad + 1),
        saved_pct=100.0 * (n - (bad + 1)) / n,
    )
    return Recommendation(
        key="rec.diverged", params=params, keep_index=keep, keep_value=float(v[keep]), **common
    )
