"""Turn ``import matplotlib`` into an import that never reads a ``matplotlibrc`` from the
working folder.

matplotlib reads ``./matplotlibrc`` first when it is imported; a history folder (or any
folder cron starts in) could hold one with ``text.usetex: True`` or another backend. The
import runs with this package's own folder as the working folder, then goes back. The style
that :mod:`reporter.plots` pins covers every other rc source.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if "matplotlib" not in sys.modules:
    try:
        _here: str | None = os.getcwd()
    except OSError:  # the working folder was deleted
        _here = None
    os.chdir(Path(__file__).resolve().parent)
    try:
        import matplotlib
    finally:
        if _here is not None:
            os.chdir(_here)

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

__all__ = ["Figure", "FigureCanvasAgg", "Line2D", "MaxNLocator", "font_manager", "matplotlib"]
