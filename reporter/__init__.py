"""Turn machine-learning training histories into bilingual (Korean/English) PDF reports.

The pipeline: ``history`` readers → :class:`~reporter.history.model.History` →
``analysis`` → ``plots`` → ``render`` → ``export``, with ``pipeline`` knowing the
order and ``cli`` on the rim. This module stays import-light.
"""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
