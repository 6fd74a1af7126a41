"""Turn what any reader found into one normalised shape: :class:`History` of :class:`Series`.

Nothing downstream of this module knows whether a run came from Keras, a CSV
log or a tracking store. Values are float64 arrays with NaN for gaps; ``x`` is
the position of each value on the run's axis (epochs, 1-based as Keras prints
them, or steps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Axis = Literal["epoch", "step"]
Role = Literal["train", "val"]
Direction = Literal["min", "max"]


@dataclass(frozen=True, eq=False)
class Series:
    """One metric as logged: its original name, values and their x positions."""

    name: str
    values: FloatArray
    x: FloatArray
    axis: Axis = "epoch"
    group: str | None = None  # e.g. the eval set "g0" of "eval_g0_loss"

    def __post_init__(self) -> None:
        if self.values.shape != self.x.shape or self.values.ndim != 1:
            raise ValueError(f"series {self.name!r}: x and values must be 1-D of equal length")

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def finite(self) -> npt.NDArray[np.bool_]:
        return np.isfinite(self.values)


def logged_series(
    name: str,
    x: npt.ArrayLike,
    values: npt.ArrayLike,
    axis: Axis,
    notes: list[Note],
    group: str | None = None,
) -> Series:
    """A series from points as logged: sorted by x; where one x was logged more than once the
    last value wins (a resumed run, a re-logged final value); both fixes are noted."""
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    vs = np.asarray(values, dtype=np.float64).reshape(-1)
    order = np.argsort(xs, kind="stable")
    xs, vs = xs[order], vs[order]
    if xs.size > 1 and np.any(np.diff(xs) == 0):
        notes.append(note("warn.duplicate_steps", metric=name))
        keep = np.r_[np.diff(xs) != 0, True]
        xs, vs = xs[keep], vs[keep]
    bad = int(np.count_nonzero(~np.isfinite(vs)))
    if bad:
        notes.append(note("warn.nonfinite", metric=name, count=bad, total=int(vs.size)))
    return Series(name, vs, xs, axis, group)


def epoch_series(name: str, values: npt.ArrayLike) -> Series:
    """A per-epoch series whose x is 1, 2, ... n (Keras's "Epoch 1/n")."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    return Series(name, v, np.arange(1, v.shape[0] + 1, dtype=np.float64), "epoch")


@dataclass(frozen=True)
class Note:
    """A problem that was worked around, as a message key plus facts (shown in both languages)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))

    def __str__(self) -> str:
        return self.key + (
            " " + ", ".join(f"{k}={v!r}" for k, v in self.params.items()) if self.params else ""
        )


def note(message_key: str, /, **params: Any) -> Note:
    return Note(message_key, params)


@dataclass(frozen=True, eq=False)
class History:
    """A training run: named series plus facts about where it came from.

    ``info`` holds scalar run metadata (params, tags, best_metric, ...), shown on
    the first page and never plotted. ``warnings`` are problems the reader
    worked around (gaps, dropped duplicates); each appears in the report.
    """

    name: str
    source: Path
    series: Mapping[str, Series]
    format: str
    info: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[Note, ...] = ()
    axis: Axis = "epoch"
    epoch_at_step: tuple[FloatArray, FloatArray] | None = None  # (steps, epochs), for step axes
    # What the framework that wrote the file says about it (all optional):
    numbering: str = ""  # how x counts, a ``numbering.*`` message key suffix ("" → by axis)
    monitor: str | None = None  # the series the framework itself ranks checkpoints by
    monitor_why: str = ""  # ``monitor.*`` message key saying why (with ``monitor_facts``)
    monitor_facts: Mapping[str, Any] = field(default_factory=dict)
    roles: Mapping[str, Role] = field(default_factory=dict)  # held-out where names don't tell
    directions: Mapping[str, Direction] = field(default_factory=dict)  # for names that don't tell
    best_checkpoint: float | None = None  # x of the checkpoint the framework itself kept as best

    @property
    def n_epochs(self) -> int:
        """Length of the longest per-epoch series (0 if none)."""
        lengths = [len(s) for s in self.series.values() if s.axis == "epoch"]
        return max(lengths, default=0)

    def __contains__(self, name: object) -> bool:
        return name in self.series

    def __getitem__(self, name: str) -> Series:
        return self.series[name]
