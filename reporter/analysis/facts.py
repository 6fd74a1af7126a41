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
