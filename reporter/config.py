"""Turn defaults and command-line choices into one frozen :class:`Options` value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reporter.errors import ConfigError

Lang = Literal["both", "ko", "en"]
LANGS: tuple[Lang, ...] = ("both", "ko", "en")


@dataclass(frozen=True)
class Options:
    """Everything that changes a report. ``None`` means "choose from the run"."""

    monitor: str | None = None
    mode: Literal["auto", "min", "max"] = "auto"
    patience: int | None = None
    min_delta: float = 0.0
    baseline: float | None = None
    start_from_epoch: int = 0
    lang: Lang = "both"
    directions: Mapping[str, Literal["min", "max"]] = field(default_factory=dict)
    fmt: str | None = None
    run: str | None = None
    max_bytes: int = 64 * 1024 * 1024
    class_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        errors = []
        if self.mode not in ("auto", "min", "max"):
            errors.append(f"mode must be auto, min or max (got {self.mode!r})")
        if self.patience is not None and self.patience < 0:
            errors.append("patience must be 0 or more")
        if self.start_from_epoch < 0:
            errors.append("start_from_epoch must be 0 or more")
        if self.lang not in LANGS:
            errors.append(f"lang must be one of {', '.join(LANGS)}")
        for name, d in self.directions.items():
            if d not in ("min", "max"):
                errors.append(f"direction of {name!r} must be min or max (got {d!r})")
        if errors:
            raise ConfigError("; ".join(errors))

    def with_overrides(self, **changes: Any) -> Options:
        """A copy with every non-``None`` value in ``changes`` applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def fingerprint(self) -> dict[str, Any]:
        """The options as plain data, for summaries and batch manifests."""
        return {
            "monitor": self.monitor,
            "mode": self.mode,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "baseline": self.baseline,
            "start_from_epoch": self.start_from_epoch,
            "lang": self.lang,
            "directions": dict(sorted(self.directions.items())),
            "format": self.fmt,
            "run": self.run,
            "class_labels": list(self.class_labels),
        }


def default_patience(n_epochs: int) -> int:
    """A patience that fits the run: 10% of its length, at least 3 and at most 10 epochs."""
    return max(3, min(10, n_epochs // 10))
