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
from collections.abc import Callable, Iterator, Sequence

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
        self._drawn: list[Plot] = list(plots or [])
        self._pending: Iterator[Plot] | None = None
        self._started = plots is not None

    @property
    def started(self) -> bool:
        """A writer has asked for a figure (the rest are drawn when asked for)."""
        return self._started

    @property
    def done(self) -> bool:
        return self._started and len(self._drawn) == len(self.plans)

    def each(self) -> Iterator[Plot]:
        """The figures in order, each drawn when it is first asked for (then kept)."""
        if not self._started:
            from reporter.plots import draw_each  # heavy: matplotlib, only once a writer asks

            self._pending = draw_each(self.analysis, self.lang, self.t, self.plans)
            self._started = True
        yield from self._drawn
        while len(self._drawn) < len(self.plans):
            assert self._pending is not None
            plot = next(self._pending)
            self._drawn.append(plot)
            yield plot

    @property
    def plots(self) -> list[Plot]:
        """Every figure, drawn now if not yet."""
        return self.finish()

    def finish(self) -> list[Plot]:
        """Draw whatever is not drawn yet; every figure."""
        for _ in self.each():
            pass
        return self._drawn

    @property
    def thinned(self) -> list[tuple[tuple[str, int, int], ...]]:
        """What the page says about series drawn thinned, figure by figure."""
        if self.done:
            return [p.thinned for p in self._drawn]
        return [p.thinned for p in self.plans]

    def boxes(self, urls: Sequence[str]) -> dict[str, bytes]:
        """Each figure's URL → an empty SVG of its planned size (see :func:`box`)."""
        return {u: box(p.size) for u, p in zip(urls, self.plans, strict=True)}

    @staticmethod
    def as_planned(plot: Plot, plan: FigurePlan) -> bool:
        """The figure was drawn, at its planned size, with the planned points."""
        return (
            not plot.failed
            and plot.thinned == plan.thinned
            and svg_size(plot.svg) == tuple(points(v) for v in plan.size)
        )
