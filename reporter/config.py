"""Turn defaults and command-line choices into one frozen :class:`Options` value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from reporter.errors import ConfigError

Lang = Literal["both", "ko", "en"]
LANGS: tuple[Lang, ...] = ("both", "ko", "en")
# the outputs a report can be written as (reporter.writers registers one writer for each);
# summary.json ("json") always comes along: batch runs, comparisons and the PDF build on it
OUTPUTS = ("json", "pdf", "html")


def outputs(spec: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """``--to pdf,html`` as the tuple of outputs, in registry order, json included."""
    if spec is None:
        return ("json", "pdf")
    names = [n.strip().lower() for n in (spec.split(",") if isinstance(spec, str) else spec)]
    unknown = sorted({n for n in names if n and n not in OUTPUTS})
    if unknown:
        raise ConfigError(
            f"--to {', '.join(unknown)}: unknown output (known: {', '.join(OUTPUTS)})"
        )
    return tuple(n for n in OUTPUTS if n in {*names, "json"})


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
    to: tuple[str, ...] = ("json", "pdf")  # the writers: json, pdf, html
    attach_source: bool = True  # carry the source history inside the PDF

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
        if any(n not in OUTPUTS for n in self.to) or "json" not in self.to:
            errors.append(f"to must list outputs among {', '.join(OUTPUTS)}, json included")
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
            "to": list(self.to),
            "attach_source": self.attach_source,
        }


def default_patience(n_epochs: int) -> int:
    """A patience that fits the run: 10% of its length, at least 3 and at most 10 epochs."""
    return max(3, min(10, n_epochs // 10))
