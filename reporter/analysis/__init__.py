"""Turn a :class:`History` into facts: best epochs, a stop decision, overfitting, findings.

Pure functions over the normalised model: nothing here reads files, draws or
knows about languages. Findings are codes with parameters; the message
catalog turns them into Korean and English sentences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from reporter.analysis import boosting  # issue 16: XGBoost/LightGBM replays
from reporter.analysis.criteria import Criterion, prechelt, tensorboard_smooth
from reporter.analysis.curves import (
    LrDrop,
    Overfitting,
    Window,
    degradation_windows,
    divergence,
    lr_drops,
    noise_scale,
    overfitting_onset,
)
from reporter.analysis.stopping import (
    PolicyDecision,
    StopDecision,
    hf_early_stopping,
    keras_auto_mode,
    keras_early_stopping,
    keras_policy,
    lightning_early_stopping,
)
from reporter.config import Options, default_patience
from reporter.errors import ConfigError, HistoryError
from reporter.history.model import History, Note, Series, note
from reporter.metrics import Catalog, Direction, discover
from reporter.naming import shorten

__all__ = [
    "Analysis",
    "Best",
    "Finding",
    "MonitorChoice",
    "PolicyDecision",
    "Recommendation",
    "StopDecision",
    "analyze",
    "best_of",
    "hf_early_stopping",
    "keras_auto_mode",
    "keras_early_stopping",
    "lightning_early_stopping",
]


@dataclass(frozen=True)
class Best:
    """Where a series reached its best value. ``epoch`` is the x value (1-based epochs)."""

    series: str
    index: int
    epoch: float
    value: float
    mode: Direction


@dataclass(frozen=True)
class Finding:
    """One observation, language-free: a stable ``code``, a message ``key`` and its facts."""

    code: str
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    metric: str | None = None
    epochs: tuple[float | int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "metric": self.metric,
            "epochs": list(self.epochs),
            "facts": {k: v for k, v in self.params.items()},
        }


RecommendationKind = Literal["stop", "keep_best", "continue", "no_validation", "diverged"]
Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Recommendation:
    """The consensus: which epoch to stop at and which checkpoint to keep (0-based), and why.

    ``key``/``params`` give the sentence; ``confidence`` comes with the facts that lowered
    it (``doubts``: codes such as ``late_recovery``, ``policies_disagree``, ``noisy``).
    """

    kind: RecommendationKind
    monitor: str | None
    mode: Direction | None
    stop_index: int | None
    keep_index: int | None
    keep_value: float | None
    epochs_run: int
    patience: int | None
    key: str
    params: Mapping[str, Any]
    confidence: Confidence = "high"
    doubts: tuple[str, ...] = ()

    @property
    def epochs_saved(self) -> int:
        if self.stop_index is None:
            return 0
        return self.epochs_run - (self.stop_index + 1)


@dataclass(frozen=True)
class MonitorChoice:
    """The monitored series and why it was chosen: a ``monitor.*`` message key and its facts."""

    name: str | None
    why: str
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Analysis:
    """Everything the report says about one run."""

    history: History
    catalog: Catalog
    bests: Mapping[str, Best]
    stopping: StopDecision | None
    overfitting: Overfitting | None
    windows: tuple[Window, ...]
    recommendation: Recommendation
    findings: tuple[Finding, ...]
    warnings: tuple[Note, ...]
    policies: tuple[PolicyDecision, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    smoothed: Mapping[str, Any] = field(default_factory=dict)
    lr_drops: tuple[LrDrop, ...] = ()
    monitor_choice: MonitorChoice | None = None


def best_of(
    name: str, values: np.ndarray[Any, Any], x: np.ndarray[Any, Any], mode: Direction
) -> Best | None:
    """The first position of the best finite value, or ``None`` if there is none."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    masked = np.where(finite, values, np.inf if mode == "min" else -np.inf)
    index = int(np.argmin(masked) if mode == "min" else np.argmax(masked))
    return Best(name, index, float(x[index]), float(values[index]), mode)


def _choose_monitor(history: History, catalog: Catalog, options: Options) -> MonitorChoice:
    if options.monitor is not None:
        if options.monitor not in history:
            raise HistoryError(
                f"monitor {options.monitor!r} is not in this history (it has: "
                + ", ".join(list(history.series)[:12])
                + ")",
                path=history.source,
            )
        return MonitorChoice(options.monitor, "monitor.option", {"monitor": options.monitor})
    preferred = history.info.get("metric_for_best_model")
    if preferred and preferred in history:
        return MonitorChoice(preferred, "monitor.hf_trainer", {"monitor": preferred})
    if history.monitor is not None and history.monitor in history and history.monitor_why:
        return MonitorChoice(
            history.monitor, history.monitor_why, {"monitor": history.monitor,
                                                   **history.monitor_facts}
        )
    if "val_loss" in history:
        return MonitorChoice("val_loss", "monitor.val_loss", {"monitor": "val_loss"})
    vals = [m for m in dict.fromkeys(catalog.metrics.values()) if m.val and m.kind == "quality"]
    for m in vals:
        if "loss" in m.base.lower() and m.direction == "min":
            return MonitorChoice(m.val, "monitor.held_out_loss", {"monitor": m.val})
    for m in vals:
        if m.direction is not None:
            return MonitorChoice(m.val, "monitor.held_out_first", {"monitor": m.val})
    return MonitorChoice(None, "monitor.none")


def _train_twin(catalog: Catalog, monitor: str) -> str | None:
    return catalog.metric(monitor).train


UNKNOWN_LISTED = 5
LONG_NAME = 120  # longer metric names are cut for display (with a hash) in the report


def _unknown_direction(bases: tuple[str, ...]) -> Finding:
    """One finding for every metric whose direction cannot be told from its name."""
    shown = ", ".join(shorten(b, 60) for b in bases[:UNKNOWN_LISTED])
    rest = len(bases) - UNKNOWN_LISTED
    return Finding(
        "unknown_direction",
        "finding.unknown_direction" if rest <= 0 else "finding.unknown_direction_many",
        {"metrics": shown, "example": shorten(bases[0], 60), "more": max(rest, 0)},
        metric=bases[0] if len(bases) == 1 else None,
    )


def analyze(
    history: History, options: Options | None = None, catalog: Catalog | None = None
) -> Analysis:
    """All facts about ``history`` under ``options``.

    Values near the float limits (±1e308) overflow in differences and ratios; those become
    inf/NaN, which every step treats as "not a finite value", so numpy's warnings are muted.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _analyze(history, options, catalog)


def _analyze(
    history: History, options: Options | None = None, catalog: Catalog | None = None
) -> Analysis:
    options = options or Options()
    catalog = catalog or discover(
        history.series,
        {**history.directions, **options.directions},
        {n: s.group for n, s in history.series.items() if s.group is not None},
        options.class_labels,
        history.roles,
    )
    warnings = list(history.warnings)
    findings: list[Finding] = []
    long_names = [n for n in history.series if len(n) > LONG_NAME]
    if long_names:
        warnings.append(note("warn.long_names", count=len(long_names), limit=LONG_NAME))

    bests: dict[str, Best] = {}
    for name, series in history.series.items():
        metric = catalog.metric(name)
        if metric.kind != "quality" or metric.direction is None:
            continue
        best = best_of(name, series.values, series.x, metric.direction)
        if best is None:
            warnings.append(note("warn.no_finite", metric=name))
        else:
            bests[name] = best

    if catalog.unknown_direction:
        findings.append(_unknown_direction(catalog.unknown_direction))

    choice = _choose_monitor(history, catalog, options)
    monitor = choice.name
    xs = positions(history, monitor)
    n = int(xs.shape[0])

    def ex(i: int) -> float | int:
        return xnum(xs[i])

    stopping: StopDecision | None = None
    overfit: Overfitting | None = None
    policies: list[PolicyDecision] = []
    criteria: list[Criterion] = []
    smoothed: dict[str, Any] = {}
    patience = options.patience if options.patience is not None else default_patience(n)
    mode: Direction | None = None
    train: str | None = None
    if monitor is not None:
        if options.mode != "auto":
            mode = options.mode
        else:
            mode = catalog.metric(monitor).direction
            if mode is None:
                raise ConfigError(
                    f"cannot tell whether {monitor!r} should go down or up; "
                    "pass --mode min or --mode max"
                )
        values = history[monitor].values
        smoothed[monitor] = tensorboard_smooth(values)
        stopping = keras_early_stopping(
            values.tolist(),
            monitor=monitor,
            min_delta=options.min_delta,
            patience=patience,
            mode=mode,
            baseline=options.baseline,
            restore_best_weights=True,
            start_from_epoch=options.start_from_epoch,
        )
        policies = [
            keras_policy(stopping),  # the replay above, not a second one
            lightning_early_stopping(values.tolist(), monitor, options.min_delta, patience, mode),
            hf_early_stopping(
                values.tolist(),
                monitor,
                patience,
                options.min_delta,
                greater_is_better=mode == "max",
            ),
        ]
        policies += boosting.policies(history, patience, options.min_delta)  # issue 16
        train = _train_twin(catalog, monitor)
        train_values = (
            on_positions(history[train], history[monitor].x) if train is not None else None
        )
        if mode == "min" and train_values is not None:
            overfit = overfitting_onset(values, train_values)
        if mode == "min":
            criteria = prechelt(values, train_values)

    windows = degradation_windows(history, catalog, xs)
    diverged = divergence(history, catalog)
    drops = lr_drops(history, catalog)
    recommendation, situations = _recommend(
        history,
        catalog,
        monitor,
        mode,
        train,
        stopping,
        patience,
        options.min_delta,
        diverged,
        smoothed,
        ex,
    )

    if diverged is not None:
        findings.append(diverged)
    if monitor is None:
        findings.append(Finding("no_validation", "finding.no_validation", {}))
    findings.extend(situations)
    if overfit is not None and monitor is not None:
        findings.append(
            Finding(
                "overfitting_onset",
                "finding.overfitting_onset",
                {
                    "monitor": monitor,
                    "train": train or "",
                    "best_epoch": ex(overfit.best_index),
                    "onset_epoch": ex(overfit.onset_index),
                    "gl": overfit.gl,
                    "train_change": overfit.train_change_pct,
                },
                metric=monitor,
                epochs=(ex(overfit.best_index), ex(overfit.onset_index)),
            )
        )
    for w in sorted(windows, key=lambda w: -w.severity)[:3]:
        findings.append(
            Finding(
                "degradation_window",
                "finding.degradation_window",
                {
                    "start": ex(w.start_index),
                    "end": ex(w.end_index),
                    "worse": w.n_worse,
                    "span": str(ex(w.start_index))
                    if w.start_index == w.end_index
                    else f"{ex(w.start_index)}–{ex(w.end_index)}",
                    "total": w.n_metrics,
                    "metrics": ", ".join(w.worst_metrics),
                    "severity": w.severity,
                },
                epochs=tuple(ex(i) for i in range(w.start_index, w.end_index + 1)),
            )
        )
    if drops:
        findings.append(_lr_finding(drops, history, monitor, mode, patience))
    findings.extend(_learning_findings(history, catalog, monitor, train, ex, n))
    findings.extend(_family_findings(history, catalog, bests, recommendation, ex))
    trainer = _trainer_best(history, bests)
    if trainer is not None:
        findings.insert(0, trainer)
    return Analysis(
        history,
        catalog,
        bests,
        stopping,
        overfit,
        tuple(windows),
        recommendation,
        tuple(findings),
        tuple(dict.fromkeys(warnings)),
        tuple(policies),
        tuple(criteria),
        smoothed,
        tuple(drops),
        choice,
    )


def xnum(x: float) -> float | int:
    """An x value for display: 18 rather than 18.0."""
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


def _better(a: float, b: float, mode: Direction) -> bool:
    return a < b if mode == "min" else a > b


def _argbest(values: np.ndarray[Any, Any], mode: Direction, upto: int | None = None) -> int | None:
    v = values[: (upto + 1) if upto is not None else None]
    finite = np.isfinite(v)
    if not finite.any():
        return None
    masked = np.where(finite, v, np.inf if mode == "min" else -np.inf)
    return int(np.argmin(masked) if mode == "min" else np.argmax(masked))


def _recommend(
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
        monitor is not None and mode is not None and _argbest(history[monitor].values, mode) is None
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
        keep = _argbest(v, mode, max(bad - 1, 0))
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
    raw_best = _argbest(v, mode)
    assert raw_best is not None
    conflict = (
        _conflicting_metric(history, catalog, monitor, mode, raw_best, patience, ex)
        if "loss" in monitor.lower()
        else _loss_disagrees(history, catalog, monitor, ex)
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
        best_so_far = _argbest(v, mode, stop)
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
        tv = (
            on_positions(history[train], history[monitor].x)
            if train is not None
            else np.zeros(0)
        )
        if train is not None and stop < tv.shape[0]:  # a shorter train log says nothing here
            a, b = tv[smooth_best], tv[stop]
            change = 100.0 * (b - a) / abs(a) if a != 0 else math.nan
            if math.isfinite(change):
                tmode = catalog.metric(train).direction or "min"
                better = change < 0 if tmode == "min" else change > 0
                params.update(train=train, train_change=change)
                key = "rec.stop_train_improving" if better else "rec.stop_train_worsening"
        if keep != raw_best and _better(float(v[raw_best]), float(v[keep]), mode):
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
        later = _argbest(v[k_stop + 1 :], mode) if k_stop + 1 < n else None
        if later is not None:
            j = k_stop + 1 + later
            gain = abs(float(v[j]) - float(v[k_keep]))
            scale = noise_scale(v)
            if (
                _better(float(v[j]), float(v[k_keep]), mode)
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


_PREFERRED = ("f1", "accuracy", "acc", "auc", "iou", "wer", "cer", "map", "precision", "recall")


def _conflicting_metric(
    history: History,
    catalog: Catalog,
    monitor: str,
    mode: Direction,
    keep: int,
    patience: int,
    ex: Any,
) -> Finding | None:
    """Validation loss worsening while an accuracy-like validation metric still improves."""
    if "loss" not in monitor.lower():
        return None
    v = history[monitor].values
    candidates = []
    for m in dict.fromkeys(catalog.metrics.values()):
        if (
            m.val is None
            or m.val == monitor
            or m.kind != "quality"
            or m.direction is None
            or m.class_index is not None
            or "loss" in m.base.lower()
        ):
            continue
        w = history[m.val].values
        if len(w) != len(v) or not np.array_equal(history[m.val].x, history[monitor].x):
            continue
        j = _argbest(w, m.direction)
        if j is None or j <= keep + patience or not np.isfinite(w[keep]):
            continue
        loss_rise = 100.0 * (v[j] - v[keep]) / abs(v[keep]) if v[keep] else 0.0
        gain = abs(float(w[j]) - float(w[keep]))
        if loss_rise > 5.0 and gain > 2 * noise_scale(w):
            rank = next((i for i, p in enumerate(_PREFERRED) if p in m.base.lower()), 99)
            candidates.append((rank, -gain, m.val, j, float(w[keep]), float(w[j]), loss_rise))
    if not candidates:
        return None
    _, _, name, j, before, after, rise = min(candidates)
    return Finding(
        "conflicting_metrics",
        "finding.conflicting_metrics",
        {
            "monitor": monitor,
            "metric": name,
            "keep_epoch": ex(keep),
            "epoch": ex(j),
            "before": before,
            "after": after,
            "loss_rise": rise,
        },
        metric=name,
        epochs=(ex(keep), ex(j)),
    )


def _loss_disagrees(history: History, catalog: Catalog, monitor: str, ex: Any) -> Finding | None:
    """The monitor is not a loss (e.g. WER): does the validation loss rise while it improves?"""
    v = history[monitor].values
    mode = catalog.metric(monitor).direction
    losses = [
        m
        for m in dict.fromkeys(catalog.metrics.values())
        if m.val
        and m.val != monitor
        and m.base.lower() == "loss"
        and np.array_equal(history[m.val].x, history[monitor].x)
    ]
    if not losses or mode is None:
        return None
    loss = history[losses[0].val].values  # type: ignore[index]
    lb = _argbest(loss, "min")
    mb = _argbest(v, mode)
    if lb is None or mb is None or mb <= lb or not loss[lb] > 0:
        return None
    rise = 100.0 * (loss[mb] - loss[lb]) / abs(loss[lb])
    gain = abs(float(v[mb]) - float(v[lb]))
    if rise <= 5.0 or gain <= noise_scale(v):
        return None
    return Finding(
        "conflicting_metrics",
        "finding.conflicting_metrics_follow_metric",
        {
            "monitor": monitor,
            "loss": losses[0].val,
            "loss_epoch": ex(lb),
            "epoch": ex(mb),
            "before": float(v[lb]),
            "after": float(v[mb]),
            "loss_rise": rise,
        },
        metric=monitor,
        epochs=(ex(lb), ex(mb)),
    )


def _trainer_best(history: History, bests: Mapping[str, Best]) -> Finding | None:
    """Cross-check the Hugging Face Trainer's own best checkpoint against ours."""
    from reporter.history.hf import best_checkpoint_step

    name = history.info.get("metric_for_best_model")
    if not name or name not in bests or "best_metric" not in history.info:
        return None
    b = bests[name]
    theirs = float(history.info["best_metric"])
    step = best_checkpoint_step(history.info)
    agree = abs(b.value - theirs) <= 1e-9 * max(1.0, abs(theirs)) and (
        step is None or step == b.epoch
    )
    return Finding(
        "trainer_best",
        "finding.trainer_best_agrees" if agree else "finding.trainer_best_differs",
        {
            "metric": name,
            "value": theirs,
            "step": xnum(step) if step is not None else "?",
            "ours_value": b.value,
            "ours_step": xnum(b.epoch),
            "checkpoint": Path(history.info.get("best_model_checkpoint", "")).name or "?",
        },
        metric=name,
        epochs=(xnum(b.epoch),),
    )


def _lr_finding(
    drops: list[LrDrop],
    history: History,
    monitor: str | None,
    mode: Direction | None,
    patience: int,
) -> Finding:
    shown = drops[:6]
    listing = ", ".join(f"{xnum(d.x)} ({d.before:.3g}→{d.after:.3g})" for d in shown)
    if len(drops) > len(shown):
        listing += f", … (+{len(drops) - len(shown)})"
    helped = 0
    if monitor is not None and mode is not None:
        v = history[monitor].values
        mx = history[monitor].x
        for d in drops:
            at = int(np.searchsorted(mx, d.x))
            before = v[:at]
            after = v[at : at + patience + 1]
            if (
                before.size
                and after.size
                and np.isfinite(before).any()
                and np.isfinite(after).any()
            ):
                prev = np.nanmin(before) if mode == "min" else np.nanmax(before)
                nxt = np.nanmin(after) if mode == "min" else np.nanmax(after)
                helped += int(_better(float(nxt), float(prev), mode))
    return Finding(
        "lr_drop",
        "finding.lr_drop" if monitor else "finding.lr_drop_plain",
        {
            "series": drops[0].series,
            "drops": listing,
            "count": len(drops),
            "helped": helped,
            "monitor": monitor or "",
        },
        metric=drops[0].series,
        epochs=tuple(xnum(d.x) for d in drops),
    )


def _learning_findings(
    history: History, catalog: Catalog, monitor: str | None, train: str | None, ex: Any, n: int
) -> list[Finding]:
    """A run that does not learn, and a classifier that predicts a single class."""
    out: list[Finding] = []
    loss_name = train or ("loss" if "loss" in history else None)
    if loss_name is not None:
        tv = history[loss_name].values
        fin = tv[np.isfinite(tv)]
        if (
            fin.size >= 3
            and fin[-1] >= fin[0]
            and np.nanmin(fin[1:]) >= 0.98 * fin[0] * (1 if fin[0] > 0 else -1)
        ):
            flat = ""
            if monitor is not None:
                mv = history[monitor].values
                mf = mv[np.isfinite(mv)]
                if mf.size and np.ptp(mf) <= 1e-3 * max(abs(float(np.mean(mf))), 1e-12):
                    flat = monitor
            out.append(
                Finding(
                    "not_learning",
                    "finding.not_learning_flat" if flat else "finding.not_learning",
                    {
                        "train": loss_name,
                        "start": float(fin[0]),
                        "end": float(fin[-1]),
                        "monitor": flat,
                    },
                    metric=loss_name,
                )
            )
    for fam in catalog.families:
        if fam.kind != "per_class" or "recall" not in fam.key.lower():
            continue
        vals = [(m.class_index or 0, history[m.val].values) for m in fam.metrics if m.val]
        if len(vals) < 2:
            continue
        if any(len(v) != n for _, v in vals) or n == 0:
            continue
        half = max(1, n // 2)
        tails = [(k, v[-half:]) for k, v in vals]
        ones = [k for k, t in tails if np.isfinite(t).all() and np.all(t >= 0.99)]
        zeros = [k for k, t in tails if np.isfinite(t).all() and np.all(t <= 0.01)]
        if len(ones) == 1 and len(zeros) == len(vals) - 1:
            out.append(
                Finding(
                    "single_class",
                    "finding.single_class",
                    {
                        "family": fam.key,
                        "cls": ones[0],
                        "others": len(zeros),
                        "since": ex(n - half),
                    },
                    metric=fam.key,
                )
            )
    return out


EVAL_SETS = " · eval sets"


def is_eval_sets(family: Any) -> bool:
    """A family of one metric over several evaluation sets (``eval_g0_loss`` ...)."""
    return bool(family.key.endswith(EVAL_SETS))


def _family_findings(
    history: History, catalog: Catalog, bests: Mapping[str, Best], rec: Recommendation, ex: Any
) -> list[Finding]:
    out: list[Finding] = []
    macro = [
        m
        for fam in catalog.families
        if fam.kind == "macro"
        for m in fam.metrics
        if m.val and m.val in bests
    ]
    if macro:
        m = min(
            macro,
            key=lambda m: next((i for i, p in enumerate(_PREFERRED) if p in m.base.lower()), 99),
        )
        b = bests[m.val]  # type: ignore[index]
        params: dict[str, Any] = {"metric": m.val, "epoch": xnum(b.epoch), "value": b.value}
        key = "finding.macro_best"
        mx = history[m.val].x  # type: ignore[index]
        if rec.keep_index is not None and rec.monitor is not None:
            keep_x = history[rec.monitor].x[rec.keep_index]
            hit = np.flatnonzero(mx == keep_x)
            if hit.size:
                at_keep = float(history[m.val].values[hit[0]])  # type: ignore[index]
                if np.isfinite(at_keep):
                    key = "finding.macro_best_vs_keep"
                    params.update(keep_epoch=ex(rec.keep_index), keep_value=at_keep)
        out.append(Finding("macro_best", key, params, metric=m.val, epochs=(xnum(b.epoch),)))
    for fam in catalog.families:
        if fam.kind != "per_class":
            continue
        split_bests = [
            (m.class_index or 0, bests[m.val]) for m in fam.metrics if m.val and m.val in bests
        ]
        if len(split_bests) < 2:
            continue
        finals = []
        for m in fam.metrics:
            if m.val:
                v = history[m.val].values
                fin = v[np.isfinite(v)]
                if fin.size:
                    finals.append((m.class_index or 0, float(fin[-1])))
        direction = fam.metrics[0].direction or "max"
        if not finals:
            continue
        finals.sort(key=lambda p: p[1], reverse=direction == "max")
        best_cls, best_val = finals[0]
        worst_cls, worst_val = finals[-1]
        epochs = sorted({xnum(b.epoch) for _, b in split_bests})
        labels = {m.class_index or 0: m.label for m in fam.metrics}
        if labels.get(best_cls) is not None:
            best_cls, worst_cls = labels[best_cls], labels[worst_cls]  # type: ignore[assignment]
        out.append(
            Finding(
                "per_class_summary",
                "finding.per_set_summary" if is_eval_sets(fam) else "finding.per_class_summary",
                {
                    "family": fam.key,
                    "best_class": best_cls,
                    "best_value": best_val,
                    "worst_class": worst_cls,
                    "worst_value": worst_val,
                    "first_best": epochs[0],
                    "last_best": epochs[-1],
                },
                metric=fam.key,
                epochs=(epochs[0], epochs[-1]),
            )
        )
    return out
