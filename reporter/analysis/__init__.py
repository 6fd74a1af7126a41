"""Turn a :class:`History` into facts: best epochs, a stop decision, overfitting, findings.

Pure functions over the normalised model: nothing here reads files, draws or
knows about languages. Findings are codes with parameters; the message
catalog turns them into Korean and English sentences. :func:`analyze` is the table of
contents; each step lives in its own module:

- ``facts``: the data types (Best, Finding, Recommendation, MonitorChoice)
- ``series``: one helper per small idea (x of an index, best position, final value, better)
- ``monitor``: which series is monitored, and why
- ``stopping``: Keras, Lightning and Hugging Face early stopping, replayed exactly
- ``criteria``: Prechelt's GL/PQ/UP and TensorBoard smoothing
- ``curves``: shapes (overfitting onset, degradation windows, divergence, lr drops, noise)
- ``recommend``: the recommendation (where to stop, which checkpoint) and its confidence
- ``findings``: everything else worth saying, as codes with facts
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reporter.analysis import boosting
from reporter.analysis.criteria import Criterion, prechelt, tensorboard_smooth
from reporter.analysis.curves import (
    LrDrop,
    Overfitting,
    Window,
    degradation_windows,
    divergence,
    lr_drops,
    overfitting_onset,
)
from reporter.analysis.facts import (
    Best,
    Confidence,
    Finding,
    MonitorChoice,
    Recommendation,
    RecommendationKind,
)
from reporter.analysis.findings import (
    double_softmax,
    family_findings,
    is_eval_sets,
    learning_findings,
    lr_finding,
    trainer_best,
    unknown_direction,
)
from reporter.analysis.monitor import choose_monitor, train_twin
from reporter.analysis.recommend import Inputs, recommend
from reporter.analysis.series import best_of, on_positions, positions, xnum
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
from reporter.errors import ConfigError
from reporter.history.model import History, Note, note
from reporter.metrics import Catalog, Direction, discover

__all__ = [
    "Analysis",
    "Best",
    "Confidence",
    "Finding",
    "MonitorChoice",
    "PolicyDecision",
    "Recommendation",
    "RecommendationKind",
    "StopDecision",
    "analyze",
    "best_of",
    "hf_early_stopping",
    "is_eval_sets",
    "keras_auto_mode",
    "keras_early_stopping",
    "lightning_early_stopping",
    "on_positions",
    "positions",
    "xnum",
]


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


LONG_NAME = 120  # longer metric names are cut for display (with a hash) in the report


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
        findings.append(unknown_direction(catalog.unknown_direction))

    choice = choose_monitor(history, catalog, options)
    monitor = choice.name
    xs = positions(history, monitor)
    n = int(xs.shape[0])

    def ex(i: int) -> float | int:
        return xnum(xs[i])  # x_at for an index that is never None

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
        policies += boosting.policies(history, patience, options.min_delta)
        train = train_twin(catalog, monitor)
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
    recommendation, situations = recommend(
        Inputs(
            history,
            catalog,
            monitor,
            mode,
            train,
            stopping,
            patience,
            options.min_delta,
            diverged,
            ex,
        )
    )

    if diverged is not None:
        findings.append(diverged)
    if monitor is None:
        findings.append(Finding("no_validation", "finding.no_validation", {}))
    findings.extend(situations)
    if overfit is not None and monitor is not None and recommendation.kind != "did_not_learn":
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
        findings.append(lr_finding(drops, history, monitor, mode, patience))
    findings.extend(learning_findings(history, catalog, monitor, train, ex, n))
    twice = double_softmax(history, catalog, ex)
    if twice is not None:
        findings.append(twice)
    findings.extend(family_findings(history, catalog, bests, recommendation, ex))
    trainer = trainer_best(history, bests)
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
