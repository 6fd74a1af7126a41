"""Turn analysis results into plain data: where a series was best, findings, the recommendation.

The leaf types every analysis module shares; nothing here computes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reporter.metrics import Direction


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


RecommendationKind = Literal[
    "stop", "keep_best", "continue", "no_validation", "diverged", "did_not_learn"
]


Confidence = Literal["high", "medium", "low"]


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    """The two answers for a finished run, as 0-based positions in the monitored series:
    ``keep_index``, the checkpoint to use (the run's best), and ``stop_index``, where a rerun
    should stop (``None`` when stopping earlier would not have helped), and why.

    ``key``/``params`` give the sentence; ``confidence`` comes with the facts that lowered
    it (``doubts``: codes such as ``late_recovery``, ``policies_disagree``, ``noisy``).
    """

    kind: RecommendationKind
    monitor: str | None
    mode: Direction | None
    epochs_run: int
    key: str
    params: Mapping[str, Any]
    stop_index: int | None = None
    keep_index: int | None = None
    keep_value: float | None = None
    patience: int | None = None
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
