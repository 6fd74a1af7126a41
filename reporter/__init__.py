"""Turn machine-learning training histories into bilingual (Korean/English) PDF reports.

The pipeline: ``history`` readers → :class:`~reporter.history.model.History` →
``analysis`` → ``plots`` → ``render`` → ``export``, with ``pipeline`` knowing the
order and ``cli`` on the rim. This module stays import-light: ``import reporter`` loads
the small API module (:mod:`reporter.api`) and no matplotlib, WeasyPrint, Keras or pandas.

    import reporter
    reporter.report(history)            # a Keras History, a dict of lists, a DataFrame, a path
    reporter.compare([h1, h2], out="out")
"""

from __future__ import annotations

import sys
import types
from typing import Any

from reporter.api import ComparisonReport, Report, Reports, compare, report

__all__ = ["ComparisonReport", "Report", "Reports", "__version__", "compare", "report"]
__version__ = "0.1.0"


class _Package(types.ModuleType):
    """``reporter.compare`` is the function; importing the submodule of the same name
    (``reporter/compare.py``, the comparison analysis) must not replace it. The import system
    binds a submodule with ``setattr`` on its package: that one binding is skipped here
    (the submodule stays in ``sys.modules`` and ``from reporter.compare import …`` works)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("compare", "report") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
