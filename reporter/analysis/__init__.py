"""Turn a :class:`History` into facts: best epochs, a stop decision, overfitting, findings.

Pure functions over the normalised model: nothing here reads files, draws or
knows about languages. Findings are codes with parameters; the message
catalog turns them into Korean and English sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from reporter.analysis.curves import (
    Overfitting,
    Window,
    degradation_windows,
    divergence,
    overfitting_onset,
)
from reporter.analysis.stopping import StopDecision, keras_auto_mode, keras_early_stopping
from reporter.config import Options, default_patience
from reporter.errors import ConfigError, HistoryError
from reporter.history.model import History, Note, note
from reporter.metrics import Catalog, Direction, discover

__all__ = [
    "Analysis",
    "Best",
    "Finding",
    "Recommendation",
    "StopDecision",
    "analyze",
    "best_of",
    "keras_auto_mode",
    "keras_early_stopping",
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
    epochs: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "metric": self.metric, "epochs": list(self.epochs),
                "facts": {k: v for k, v in self.params.items()}}


RecommendationKind = Literal["stop", "keep_best", "continue", "no_validation", "diverged"]


@dataclass(frozen=True)
class Recommendation:
    """Which epoch to stop at and which checkpoint to keep (0-based indices), and why."""

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

    @property
    def epochs_saved(self) -> int:
        if self.stop_index is None:
            return 0
        return self.epochs_run - (self.stop_index + 1)


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


def best_of(name: str, values: np.ndarray[Any, Any], x: np.ndarray[Any, Any],
            mode: Direction) -> Best | None:
    """The first position of the best finite value, or ``None`` if there is none."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    masked = np.where(finite, values, np.inf if mode == "min" else -np.inf)
    index = int(np.argmin(masked) if mode == "min" else np.argmax(masked))
    return Best(name, index, float(x[index]), float(values[index]), mode)


def _choose_monitor(history: History, catalog: Catalog, options: Options) -> str | None:
    if options.monitor is not None:
        if options.monitor not in history:
            raise HistoryError(
                f"monitor {options.monitor!r} is not in this history (it has: "
                + ", ".join(list(history.series)[:12]) + ")", path=history.source)
        return options.monitor
    if "val_loss" in history:
        return "val_loss"
    vals = [m for m in dict.fromkeys(catalog.metrics.values()) if m.val and m.kind == "quality"]
    for m in vals:
        if "loss" in m.base.lower() and m.direction == "min":
            return m.val
    for m in vals:
        if m.direction is not None:
            return m.val
    return None


def _train_twin(catalog: Catalog, monitor: str) -> str | None:
    return catalog.metric(monitor).train


def analyze(history: History, options: Options | None = None,
            catalog: Catalog | None = None) -> Analysis:
    """All facts about ``history`` under ``options``."""
    options = options or Options()
    catalog = catalog or discover(history.series, options.directions)
    warnings = list(history.warnings)
    findings: list[Finding] = []

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

    for base in catalog.unknown_direction:
        findings.append(Finding("unknown_direction", "finding.unknown_direction",
                                {"metric": base}, metric=base))

    n = history.n_epochs
    monitor = _choose_monitor(history, catalog, options)
    stopping: StopDecision | None = None
    overfit: Overfitting | None = None
    patience = options.patience if options.patience is not None else default_patience(n)
    mode: Direction | None = None
    if monitor is not None:
        if options.mode != "auto":
            mode = options.mode
        else:
            mode = catalog.metric(monitor).direction
            if mode is None:
                raise ConfigError(f"cannot tell whether {monitor!r} should go down or up; "
                                  "pass --mode min or --mode max")
        values = history[monitor].values
        stopping = keras_early_stopping(
            values.tolist(), monitor=monitor, min_delta=options.min_delta, patience=patience,
            mode=mode, baseline=options.baseline, restore_best_weights=True,
            start_from_epoch=options.start_from_epoch)
        train = _train_twin(catalog, monitor)
        if mode == "min" and train is not None:
            overfit = overfitting_onset(values, history[train].values)

    windows = degradation_windows(history, catalog)
    diverged = divergence(history, catalog)
    recommendation = _recommend(history, catalog, monitor, mode, stopping, patience, diverged)

    if diverged is not None:
        findings.append(diverged)
    if monitor is None:
        findings.append(Finding("no_validation", "finding.no_validation", {}))
    if overfit is not None and monitor is not None:
        train_name = _train_twin(catalog, monitor) or ""
        findings.append(Finding(
            "overfitting_onset", "finding.overfitting_onset",
            {"monitor": monitor, "train": train_name, "best_epoch": overfit.best_index + 1,
             "onset_epoch": overfit.onset_index + 1, "gl": overfit.gl,
             "train_change": overfit.train_change_pct},
            metric=monitor, epochs=(overfit.best_index + 1, overfit.onset_index + 1)))
    for w in windows:
        findings.append(Finding(
            "degradation_window", "finding.degradation_window",
            {"start": w.start_index + 1, "end": w.end_index + 1, "worse": w.n_worse,
             "span": str(w.start_index + 1) if w.start_index == w.end_index
             else f"{w.start_index + 1}–{w.end_index + 1}",
             "total": w.n_metrics, "metrics": ", ".join(w.worst_metrics)},
            epochs=tuple(range(w.start_index + 1, w.end_index + 2))))
    if recommendation.kind == "continue" and monitor is not None:
        findings.append(Finding(
            "still_improving", "finding.still_improving",
            {"monitor": monitor, "epoch": n, "value": recommendation.keep_value},
            metric=monitor, epochs=(n,)))
    findings.extend(_family_findings(history, catalog, bests))
    return Analysis(history, catalog, bests, stopping, overfit, tuple(windows), recommendation,
                    tuple(findings), tuple(dict.fromkeys(warnings)))


def _recommend(history: History, catalog: Catalog, monitor: str | None, mode: Direction | None,
               stopping: StopDecision | None, patience: int,
               diverged: Finding | None) -> Recommendation:
    n = history.n_epochs
    if monitor is None or stopping is None or stopping.best is None:
        return Recommendation("no_validation", monitor, mode, None, None, None, n, None,
                              "rec.no_validation", {})
    keep = stopping.restored_from if stopping.restored_from is not None else stopping.best_epoch
    value = float(history[monitor].values[keep])
    base = {"monitor": monitor, "keep_epoch": keep + 1, "value": value, "patience": patience,
            "epochs": n}
    train = _train_twin(catalog, monitor)
    if stopping.stop_fired:
        stop = stopping.stopped_epoch
        facts = dict(base, stop_epoch=stop + 1, saved=n - (stop + 1),
                     saved_pct=100.0 * (n - (stop + 1)) / n if n else 0.0)
        key = "rec.stop"
        if train is not None:
            tv = history[train].values
            if np.isfinite(tv[keep]) and np.isfinite(tv[stop]) and tv[keep] != 0:
                change = 100.0 * (tv[stop] - tv[keep]) / abs(tv[keep])
                facts["train"] = train
                facts["train_change"] = change
                tmode = catalog.metric(train).direction or "min"
                better = change < 0 if tmode == "min" else change > 0
                key = "rec.stop_train_improving" if better else "rec.stop_train_worsening"
        kind: RecommendationKind = "diverged" if diverged is not None else "stop"
        return Recommendation(kind, monitor, mode, stop, keep, value, n, patience, key, facts)
    if keep >= n - 2:  # the monitor improved in the last two epochs: not converged yet
        return Recommendation("continue", monitor, mode, None, n - 1,
                              float(history[monitor].values[n - 1]), n, patience, "rec.continue",
                              dict(base, last_epoch=n))
    return Recommendation("keep_best", monitor, mode, None, keep, value, n, patience,
                          "rec.keep_best", base)


def _family_findings(history: History, catalog: Catalog,
                     bests: Mapping[str, Best]) -> list[Finding]:
    out: list[Finding] = []
    for fam in catalog.families:
        if fam.kind != "per_class":
            continue
        split_bests = [(m.class_index or 0, bests[m.val]) for m in fam.metrics
                       if m.val and m.val in bests]
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
        epochs = sorted({int(b.epoch) for _, b in split_bests})
        out.append(Finding(
            "per_class_summary", "finding.per_class_summary",
            {"family": fam.key, "best_class": best_cls, "best_value": best_val,
             "worst_class": worst_cls, "worst_value": worst_val,
             "first_best": epochs[0], "last_best": epochs[-1]},
            metric=fam.key, epochs=(epochs[0], epochs[-1])))
    return out
