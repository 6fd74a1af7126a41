"""Turn a report PDF made by reporter back into its history: the attached source and summary.

An archived ``report.pdf`` carries the history it was made from (``source-<name>``) and its
``summary.json`` as PDF/A-3 associated files, so ``reporter report old/report.pdf`` renders
it again with the current version after the original logs are gone. The PDF is untrusted
input like any history: it is parsed with pypdf, every failure is a :class:`HistoryError`,
and the attachment goes through the same readers, limits and checks as a file on disk.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from reporter.errors import HistoryError

REREAD_KEY = "_reread_from"  # History.info key never shown: the original report's version
SOURCE_PREFIX = "source-"


@dataclass(frozen=True)
class Archived:
    """What a report PDF carries: its history file (name, bytes) and its summary, if any."""

    name: str
    data: bytes
    summary: dict[str, Any]


def looks_report_pdf(data: bytes, path: str) -> bool:
    return data.startswith(b"%PDF-")


def archived(data: bytes, path: str, limit: int) -> Archived:
    """The attached history of a report PDF; :class:`HistoryError` when there is none."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data), strict=False)
        files = {name: list(contents) for name, contents in reader.attachments.items()}
    except Exception as exc:  # pypdf's own errors, and anything a damaged file provokes
        raise HistoryError(
            f"a PDF that cannot be read ({type(exc).__name__})",
            path=path,
            hint="a report PDF made by reporter carries its history; this file is damaged",
        ) from None
    sources = [n for n in files if n.startswith(SOURCE_PREFIX) and files[n]]
    if not sources:
        raise HistoryError(
            "a PDF with no history attached (not a reporter report, or one made with "
            "--no-attach-source or from a folder)",
            path=path,
            hint="pass the history file itself",
        )
    name = sources[0]
    body = files[name][0]
    if len(body) > limit:
        raise HistoryError(
            f"the attached history is {len(body):,} bytes, over the {limit:,}-byte limit",
            path=path,
            hint="raise the limit with --max-bytes if the file is genuine",
        )
    summary: dict[str, Any] = {}
    if files.get("summary.json"):
        try:
            loaded = json.loads(files["summary.json"][0].decode("utf-8"))
            summary = loaded if isinstance(loaded, dict) else {}
        except (UnicodeDecodeError, ValueError, RecursionError):
            summary = {}
    return Archived(name[len(SOURCE_PREFIX) :] or "history", body, summary)
