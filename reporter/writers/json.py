"""Turn a report's content into ``summary.json``: the same facts as the pages, as numbers."""

from __future__ import annotations

from collections.abc import Mapping

from reporter.summary import dumps
from reporter.writers.content import ReportContent


def write(content: ReportContent, files: Mapping[str, bytes]) -> dict[str, bytes]:
    return {"summary.json": dumps(dict(content.summary))}
