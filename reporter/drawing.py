"""Turn a report's figure plans into drawn figures, once, when a writer first needs them.

The PDF writer asks for the figures only after it has handed the page to the PDF engine
(:mod:`reporter.engine`), so matplotlib draws while WeasyPrint lays the page out; a writer
that needs them first (the HTML page) simply draws them earlier. The page was written from
the plan (figure sizes, series drawn thinned): :meth:`Drawing.as_planned` says whether the
drawing kept to it (a figure that failed is a small placeholder, and its warning is not in
that page yet).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from reporter.analysis import Analysis
from reporter.figures import FigurePlan, Plot
from reporter.i18n import Text

ROOT = re.compile(rb"<svg\b[^>]*>")


def points(inches: float) -> str:
    """A length as matplotlib writes it on an SVG's root (``532.8pt``)."""
    return f"{inches * 72:f}".rstrip("0").rstrip(".") + "pt"


def box(size: tuple[float, float]) -> bytes:
    """An empty SVG of a figure's size: what the page is laid out with until it is drawn."""
    w, h = (points(v) for v in size)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w[:-2]} {h[:-2]}"/>'
    ).encode()


def svg_size(svg: bytes) -> tuple[str, str] | None:
    """The width and height written on an SVG's root element."""
    root = ROOT.search(svg[:4000])
    if root is None:
        return None
    found = [re.search(rb'\s%s="([^"]*)"' % key, root.group()) for key in (b"width", b"height")]
    return None if None in found else tuple(m.group(1).decode() for m in found)  # type: ignore[return-value,union-attr]


class Drawing:
    """The figures of one report: planned now, drawn on first use of :attr:`plots`."""

    def __init__(
        self,
        analysis: Analysis,
        lang: str,
        t: Callable[..., Text],
        plans: Sequence[FigurePlan],
        plots: Sequence[Plot] | None = None,
    ) -> None:
        self.analysis = analysis
        self.lang = lang
        self.t = t
        self.plans = list(plans)
        self._plots = None if plots is None else list(plots)

    @property
    def done(self) -> bool:
        return self._plots is not None

    @property
    def plots(self) -> list[Plot]:
        if self._plots is None:
            from reporter.plots import draw  # heavy: matplotlib, only once a writer needs it

            self._plots = draw(self.analysis, self.lang, self.t, self.plans)
        return self._plots

    @property
    def thinned(self) -> list[tuple[tuple[str, int, int], ...]]:
        """What the page says about series drawn thinned, figure by figure."""
        if self._plots is not None:
            return [p.thinned for p in self._plots]
        return [p.thinned for p in self.plans]

    def boxes(self, urls: Sequence[str]) -> dict[str, bytes]:
        """Each figure's URL → an empty SVG of its planned size (see :func:`box`)."""
        return {u: box(p.size) for u, p in zip(urls, self.plans, strict=True)}

    def as_planned(self) -> bool:
        """Every figure drawn, at its planned size, with the planned points."""
        return all(
            not plot.failed
            and plot.thinned == plan.thinned
            and svg_size(plot.svg) == tuple(points(v) for v in plan.size)
            for plot, plan in zip(self.plots, self.plans, strict=True)
        )
