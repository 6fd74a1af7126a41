"""Turn the monitored series, the Keras replay and the run's shape into one recommendation.

Where to stop and which checkpoint to keep, with the confidence and the doubts that lowered
it; the situations met on the way (still improving, late recovery, metrics that disagree)
come back as findings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from reporter.analysis.curves import noise_scale
from reporter.analysis.facts import Confidence, Finding, Recommendation, RecommendationKind
from reporter.analysis.findings import conflicting_metric, loss_disagrees
from reporter.analysis.series import best_index, better, on_positions, plateau_start
from reporter.analysis.stopping import StopDecision
from reporter.history.model import History
from reporter.metrics import Catalog, Direction


def recommend(
    history: History,
    catalog: Catalog,
    monitor: str | None,
    mode: Direction | None,
    train: str | None,
    stopping: StopDecision | None,
    patience: int,
    min_delta: float,
    diverged: Finding | None,
    smoothed: Mapping[str, Any],
    ex: Any,
) -> tuple[Recommendation, list[Finding]]:
    """One recommendation from the raw and smoothed monitor, the Keras replay and the run's shape.

    The stop point is where a patient early-stopping callback would have fired on the
    TensorBoard-smoothed monitor (so one noisy epoch does not decide): ``patience`` epochs
    after the smoothed curve last improved by more than ``min_delta``. The checkpoint is the
    best raw epoch up to that point, as ``restore_best_weights`` would keep it.
    """
    situations: list[Finding] = []
    no_finite = (
        monitor is not None
        and mode is not None
        and best_index(history[monitor].values, mode) is None
    )
    if monitor is None or mode is None or stopping is None or stopping.best is None or no_finite:
        facts: dict[str, Any] = {"monitor": monitor} if no_finite else {}
        key = "rec.no_finite" if no_finite else "rec.no_validation"
        rec = Recommendation(
            "no_validation", monitor, mode, None, None, None, history.n_epochs, None, key, facts
        )
        return rec, situations
    v = history[monitor].values
    n = int(v.shape[0])
    s = smoothed[monitor]
    doubts: list[str] = []
    base: dict[str, Any] = {
        "monitor": monitor,
        "patience": patience,
        "epochs": n,
        "min_delta": min_delta,
    }

    if diverged is not None and diverged.metric in (monitor, train):
        bad = int(np.searchsorted(history[monitor].x, diverged.epochs[0]))
        bad = min(bad, n - 1)
        keep = best_index(v, mode, max(bad - 1, 0))
        if keep is None:  # nothing finite before the divergence: no checkpoint worth keeping
            params = dict(base, stop_epoch=ex(bad), metric=diverged.metric)
            rec = Recommendation(
                "diverged",
                monitor,
                mode,
                bad,
                None,
                None,
                n,
                patience,
                "rec.diverged_no_keep",
                params,
                "medium",
                ("divergence",),
            )
            return rec, situations
        params = dict(
            base,
            keep_epoch=ex(keep),
            value=float(v[keep]),
            stop_epoch=ex(bad),
            metric=diverged.metric,
            saved=n - (bad + 1),
            saved_pct=100.0 * (n - (bad + 1)) / n,
        )
        return (
            Recommendation(
                "diverged",
                monitor,
                mode,
                bad,
                keep,
                float(v[keep]),
                n,
                patience,
                "rec.diverged",
                params,
                "medium",
                ("divergence",),
            ),
            situations,
        )

    # The smoothed curve has converged at the first epoch after which it never gets better
    # by more than the raw curve's usual epoch-to-epoch change (or min_delta, if larger):
    # drifting along a noisy plateau is not progress.
    noise = noise_scale(v)
    # values near the float limits overflow the noise estimate: fall back to min_delta alone
    threshold = max(abs(min_delta), noise) if math.isfinite(noise) else abs(min_delta)
    smooth_best = plateau_start(s, mode, threshold)
    raw_best = best_index(v, mode)
    assert raw_best is not None
    conflict = (
        conflicting_metric(history, catalog, monitor, mode, raw_best, patience, ex)
        if "loss" in monitor.lower()
        else loss_disagrees(history, catalog, monitor, ex)
    )
    if conflict is not None:
        situations.append(conflict)
        doubts.append("conflicting_metrics")
    if raw_best >= n - 2:  # the raw curve reached its best in the last two epochs: not converged
        keep = raw_best
        rec = Recommendation(
            "continue",
            monitor,
            mode,
            None,
            keep,
            float(v[keep]),
            n,
            patience,
            "rec.continue",
            dict(base, last_epoch=ex(n - 1), keep_epoch=ex(keep), value=float(v[keep])),
            "high" if not doubts else "medium",
            tuple(doubts),
        )
        situations.append(
            Finding(
                "still_improving",
                "finding.still_improving",
                {"monitor": monitor, "epoch": ex(n - 1), "value": float(v[-1])},
                metric=monitor,
                epochs=(ex(n - 1),),
            )
        )
        return rec, situations

    stop = smooth_best + patience
    if stop > n - 1:
        keep = raw_best
        rec_kind: RecommendationKind = "keep_best"
        stop_index: int | None = None
        key = "rec.keep_best"
        params = dict(
            base, keep_epoch=ex(keep), value=float(v[keep]), since_epoch=ex(min(smooth_best, n - 1))
        )
    else:
        best_so_far = best_index(v, mode, stop)
        keep = best_so_far if best_so_far is not None else raw_best
        rec_kind, stop_index = "stop", stop
        params = dict(
            base,
            keep_epoch=ex(keep),
            value=float(v[keep]),
            stop_epoch=ex(stop),
            since_epoch=ex(smooth_best),
            quiet=stop - smooth_best,
            threshold=threshold,
            saved=n - (stop + 1),
            saved_pct=100.0 * (n - (stop + 1)) / n,
        )
        key = "rec.stop"
        tv = on_positions(history[train], history[monitor].x) if train is not None else np.zeros(0)
        if train is not None and stop < tv.shape[0]:  # a shorter train log says nothing here
            a, b = tv[smooth_best], tv[stop]
            change = 100.0 * (b - a) / abs(a) if a != 0 else math.nan
            if math.isfinite(change):
                tmode = catalog.metric(train).direction or "min"
                improving = change < 0 if tmode == "min" else change > 0
                params.update(train=train, train_change=change)
                key = "rec.stop_train_improving" if improving else "rec.stop_train_worsening"
        if keep != raw_best and better(float(v[raw_best]), float(v[keep]), mode):
            # the run's best came after the stop point: say what keeping this checkpoint costs
            cost = abs(float(v[keep]) - float(v[raw_best]))
            params.update(
                best_epoch=ex(raw_best),
                best_value=float(v[raw_best]),
                cost=cost,
                cost_pct=100.0 * cost / abs(float(v[keep])) if v[keep] else 0.0,
            )

    # What the plain callback would have done, and what it would have missed.
    if stopping.stop_fired and stopping.restored_from is not None:
        k_stop, k_keep = stopping.stopped_epoch, stopping.restored_from
        later = best_index(v[k_stop + 1 :], mode) if k_stop + 1 < n else None
        if later is not None:
            j = k_stop + 1 + later
            gain = abs(float(v[j]) - float(v[k_keep]))
            scale = noise_scale(v)
            if (
                better(float(v[j]), float(v[k_keep]), mode)
                and gain > max(scale, abs(min_delta))
                and gain > 0.05 * abs(float(v[k_keep]))
            ):
                situations.append(
                    Finding(
                        "late_recovery",
                        "finding.late_recovery",
                        {
                            "monitor": monitor,
                            "patience": patience,
                            "keras_stop": ex(k_stop),
                            "keras_keep": ex(k_keep),
                            "keras_value": float(v[k_keep]),
                            "later_epoch": ex(j),
                            "later_value": float(v[j]),
                            "gain_pct": 100.0 * gain / abs(float(v[k_keep])) if v[k_keep] else 0.0,
                        },
                        metric=monitor,
                        epochs=(ex(k_stop), ex(j)),
                    )
                )
                doubts.append("late_recovery")
        if stop_index is not None and abs(k_stop - stop_index) > patience:
            doubts.append("policies_disagree")

    scale = noise_scale(v)
    first = v[np.isfinite(v)][0]
    if abs(first - v[raw_best]) > 0 and scale > 0.5 * abs(first - v[raw_best]):
        doubts.append("noisy")
    confidence: Confidence = "high" if not doubts else "medium" if len(doubts) == 1 else "low"
    return (
        Recommendation(
            rec_kind,
            monitor,
            mode,
            stop_index,
            keep,
            float(v[keep]),
            n,
            patience,
            key,
            params,
            confidence,
            tuple(doubts),
        ),
        situations,
    )
