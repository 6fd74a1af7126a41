"""Turn an Analysis into the plan of its figures: which families get one, at what size, and
which points of each series are drawn — without importing matplotlib.

The plan is what the report's text needs from its figures (the figure boxes, the note on
series drawn thinned), so a page can be laid out while :mod:`reporter.plots` is still
drawing; the drawing then follows the same plan point for point.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reporter.analysis import Analysis
from reporter.analysis.series import final
from reporter.metrics import Catalog, Family, Metric

CLASS_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# the same ten colours for runs, red second: two runs compared read as blue against red
RUN_COLOURS = tuple(CLASS_COLOURS[i] for i in (0, 3, 2, 1, 4, 5, 6, 7, 8, 9))


def class_colour(index: int) -> str:
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


WIDTH = 7.4  # inches: the text width of an A4 page with the report's margins
HEIGHT = 2.9
CROWDED_HEIGHT = 5.4  # a class heatmap above the best and worst classes
SPLITS = ("val", "train", "test")  # the order the splits of a metric are drawn in

MAX_POINTS = 1200  # per line: about two points per pixel column of a 7.4-inch figure
MAX_FIGURES = 40
MAX_CLASS_LINES = 10  # beyond this, a class × epoch heatmap plus the best and worst classes
EXTREME_CLASSES = 3


def thin(x: Any, y: Any, keep: tuple[int, ...] = (), max_points: int = MAX_POINTS) -> Any:
    """Indices of a long series to draw: the min and the max of every x bucket (so the shape and
    every extreme survive), plus the first, the last, the global extremes and ``keep``.
    Gaps (NaN) stay gaps. The analysis always uses the full series."""
    n = int(np.asarray(y).shape[0])
    if n <= max_points:
        return np.arange(n)
    yv = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(yv)
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    chosen: list[int] = [0, n - 1, *keep]
    if finite.any():
        masked_lo = np.where(finite, yv, np.inf)
        masked_hi = np.where(finite, yv, -np.inf)
        chosen += [int(np.argmin(masked_lo)), int(np.argmax(masked_hi))]
    for a, b in itertools.pairwise(edges.tolist()):
        if b <= a:
            continue
        seg = finite[a:b]
        if not seg.any():
            chosen.append(a)  # keep the gap visible
            continue
        chosen.append(a + int(np.argmin(np.where(seg, yv[a:b], np.inf))))
        chosen.append(a + int(np.argmax(np.where(seg, yv[a:b], -np.inf))))
        if not seg.all():
            chosen.append(a + int(np.flatnonzero(~seg)[0]))
    return np.unique(np.clip(np.array(chosen, dtype=int), 0, n - 1))


def shown_families(catalog: Catalog) -> tuple[list[Family], int]:
    """The families that get a figure (the first MAX_FIGURES, loss and classes first) and how
    many more there are; the rest are in summary.json."""
    families = list(catalog.families)
    return families[:MAX_FIGURES], max(0, len(families) - MAX_FIGURES)


def crowded(family: Family) -> bool:
    """Too many classes for one line each: a heatmap plus the best and worst classes."""
    return family.kind == "per_class" and len(family.metrics) > MAX_CLASS_LINES


def _final_value(analysis: Analysis, name: str) -> float:
    value = final(analysis.history[name].values)
    return float("nan") if value is None else value


def extreme_classes(analysis: Analysis, family: Family) -> list[Metric]:
    """The best and the worst classes at the last epoch (the ones drawn as lines)."""
    members = [m for m in family.metrics if m.val or m.train]
    key = [(m, _final_value(analysis, m.val or m.train or "")) for m in members]
    key = [(m, v) for m, v in key if np.isfinite(v)]
    reverse = (family.metrics[0].direction or "max") == "max"
    key.sort(key=lambda p: p[1], reverse=reverse)
    chosen = key[:EXTREME_CLASSES] + key[-EXTREME_CLASSES:]
    return list(dict.fromkeys(m for m, _ in chosen))


@dataclass(frozen=True)
class FigurePlan:
    """One family's figure before it is drawn: its size in inches, the metrics drawn as lines
    (in drawing order) and, for each series, the indices of its points that are drawn and how
    many it logged."""

    family: Family
    size: tuple[float, float]
    members: tuple[Metric, ...]
    points: Mapping[str, Any] = field(default_factory=dict)  # series name -> index array
    logged: Mapping[str, int] = field(default_factory=dict)  # series name -> its length

    @property
    def thinned(self) -> tuple[tuple[str, int, int], ...]:
        """The series drawn with fewer points than logged: (name, drawn, logged)."""
        return tuple(
            (name, int(idx.shape[0]), self.logged[name])
            for name, idx in self.points.items()
            if idx.shape[0] < self.logged[name]
        )


@dataclass(frozen=True)
class Plot:
    """A drawn figure: the family it shows, its SVG bytes, and the series drawn thinned
    (name, points drawn, points logged)."""

    family: Family
    svg: bytes
    thinned: tuple[tuple[str, int, int], ...] = ()
    failed: str | None = None  # why the figure could not be drawn (a placeholder is shown)


def plan_figure(analysis: Analysis, family: Family) -> FigurePlan:
    """The plan of one family's figure (see :class:`FigurePlan`)."""
    many = crowded(family)
    members = extreme_classes(analysis, family) if many else list(family.metrics)
    points: dict[str, Any] = {}
    logged: dict[str, int] = {}
    for m in members:
        for split in SPLITS:
            name = m.series.get(split)  # type: ignore[call-overload,unused-ignore]
            if name is None or name in points:
                continue
            s = analysis.history[name]
            best = analysis.bests.get(name)
            points[name] = thin(s.x, s.values, (best.index,) if best is not None else ())
            logged[name] = len(s)
    size = (WIDTH, CROWDED_HEIGHT if many else HEIGHT)
    return FigurePlan(family, size, tuple(members), points, logged)


def plan(analysis: Analysis) -> list[FigurePlan]:
    """Every figure of the report, in catalog order (see :func:`shown_families`)."""
    return [plan_figure(analysis, f) for f in shown_families(analysis.catalog)[0]]
