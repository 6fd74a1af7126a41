"""Turn one report's content (its analysis, figures and page context) into output files.

Writers are registered here, one module each: ``json`` (summary.json), ``pdf`` (the archival,
tagged PDF that carries summary.json and the source), ``html`` (one self-contained page).
The pipeline builds a :class:`ReportContent` once and asks the writers chosen with ``--to``
for their files, in registry order (the PDF attaches the summary, so JSON comes first).
Adding a writer is one module with a ``write(content, files)`` function plus one line in
:data:`WRITERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from reporter.config import OUTPUTS, outputs
from reporter.writers import html, json, pdf
from reporter.writers.content import ReportContent

__all__ = ["NAMES", "ReportContent", "chosen", "write_all"]


Writer = Callable[[ReportContent, Mapping[str, bytes]], dict[str, bytes]]


# the registry, in order: what later writers may read comes first (the PDF attaches the JSON)
WRITERS: dict[str, Writer] = {"json": json.write, "pdf": pdf.write, "html": html.write}
NAMES = tuple(WRITERS)
assert NAMES == OUTPUTS, "every output in config.OUTPUTS has one writer here"


def chosen(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """The writers named by ``--to`` (see :func:`reporter.config.outputs`)."""
    return outputs(tuple(spec) if spec is not None and not isinstance(spec, str) else spec)


def write_all(content: ReportContent, names: Sequence[str]) -> dict[str, bytes]:
    """Every chosen writer's files, by file name."""
    files: dict[str, bytes] = {}
    for name, writer in WRITERS.items():
        if name in names:
            files.update(writer(content, files))
    return files
