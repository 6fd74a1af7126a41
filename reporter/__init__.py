"""Turn machine-learning training histories into bilingual (Korean/English) PDF reports.

The pipeline: ``history`` readers → :class:`~reporter.history.model.History` →
``analysis`` → ``plots`` → ``render`` → ``export``, with ``pipeline`` knowing the
order and ``cli`` on the rim. This module stays import-light: ``import reporter`` loads
nothing more; the API module (:mod:`reporter.api`) comes with the first use of its names,
and matplotlib, WeasyPrint, Keras or pandas only when a report needs them.

    import reporter
    reporter.report(history)            # a Keras History, a dict of lists, a DataFrame, a path
    reporter.compare([h1, h2], out="out")
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reporter.api import ComparisonReport, Report, Reports, compare, report

__all__ = ["ComparisonReport", "Report", "Reports", "__version__", "compare", "report"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The API's names, imported on first use: ``reporter report`` forks its PDF engine
    before it loads anything it does not need (see :mod:`reporter.engine`)."""
    if name in __all__:
        from reporter import api

        return getattr(api, name)
    raise AttributeError(f"module 'reporter' has no attribute {name!r}")


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
