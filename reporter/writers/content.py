"""Turn the stages' results into the one value every writer reads: :class:`ReportContent`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reporter.analysis import Analysis
from reporter.config import Options
from reporter.drawing import Drawing
from reporter.figures import Plot
from reporter.history.model import Note
from reporter.render import ReportContext


@dataclass(frozen=True)
class ReportContent:
    """Everything a writer may need: computed once, written many ways."""

    analysis: Analysis
    options: Options
    drawing: Drawing  # the figures: drawn when a writer first asks for them
    context: ReportContext  # for the PDF (figures as asset: URLs)
    summary: Mapping[str, Any]
    warnings: tuple[Note, ...] = ()
    source: bytes | None = None  # the history file, to attach (None: left out)
    source_name: str = ""
    export_log: list[str] = field(default_factory=list)  # what WeasyPrint said, for the log
    pages: list[int] = field(default_factory=list)  # the PDF's page count, once written

    @property
    def plots(self) -> Sequence[Plot]:
        """The drawn figures (drawn now if no writer asked before)."""
        return self.drawing.plots


class FiguresChanged(Exception):
    """A figure did not come out as planned (it failed, so the page must say so): the writers
    start again from the drawn figures."""
