"""Turn a history file (any supported format) into :class:`History` runs.

Readers are chosen by sniffing the content, not trusting the extension; a
``fmt`` argument overrides the choice. Every problem surfaces as a
:class:`~reporter.errors.HistoryError` naming the file.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from reporter.errors import HistoryError
from reporter.history import (
    boosting,
    csvlog,
    fastai,
    hf,
    jsonl,
    keras,
    kerastuner,
    mlflow,
    reread,
    tfevents,
    wandb_run,
    yolo,
)
from reporter.history.formats import Format
from reporter.history.keras import PICKLE_SUFFIXES
from reporter.history.model import History, Series, epoch_series
from reporter.history.regular import MAX_BYTES, read_bytes

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "PICKLE_SUFFIXES",
    "Format",
    "History",
    "Series",
    "epoch_series",
    "format_help",
    "is_history_file",
    "load",
    "sniff",
]

SNIFF_BYTES = 64 * 1024  # enough for a JSON Lines header row (mmcv's env_info runs to kBs)

def _read_report_pdf(data: bytes, path: str, run: str | None) -> list[History]:
    """A report PDF made by reporter: its attached history, read by the format it is in, as
    the run it was (same name and source in summary.json), marked as read again."""
    packed = reread.archived(data, path, MAX_BYTES)
    where = f"{path} (attached {packed.name})"
    inner = next(
        (
            f
            for f in FORMATS.values()
            if f is not REPORT_PDF and f.recognises(packed.data, packed.name)
        ),
        None,
    )
    if inner is None or inner.read is None:
        raise HistoryError("the attached history is in no format reporter reads", path=where)
    runs = inner.read(packed.data, packed.name, run)
    original = packed.summary
    version = (
        str(original.get("tool", {}).get("version", "?"))
        if isinstance(original.get("tool"), dict)
        else "?"
    )
    out = []
    for h in runs:
        changes: dict[str, object] = {"info": {**h.info, reread.REREAD_KEY: version}}
        if len(runs) == 1 and isinstance(original.get("run"), str):
            changes["name"] = original["run"]
        if isinstance(original.get("source"), str):
            changes["source"] = Path(original["source"])
        if isinstance(original.get("format"), str) and len(runs) == 1:
            changes["format"] = original["format"][:40]  # as the original report said
        out.append(dataclasses.replace(h, **changes))  # type: ignore[arg-type]
    return out


REPORT_PDF = Format(
    "report-pdf",
    "a report.pdf made by reporter: the history attached to it is read again",
    _read_report_pdf,
    reread.looks_report_pdf,
    discover=False,
)

# The registry: one line per format, in the order content is sniffed.
REGISTRY: tuple[Format, ...] = (
    mlflow.FILE_STORE,
    mlflow.SQLITE,
    wandb_run.RUN_FILE,
    tfevents.EVENTS,
    keras.PICKLE,
    hf.TRAINER_STATE,
    jsonl.JSON_LINES,
    boosting.EVALS_JSON,
    boosting.CONSOLE,
    wandb_run.SUMMARY,
    wandb_run.OUTPUT_LOG,
    kerastuner.TRIAL,
    keras.JSON,
    yolo.RESULTS_TXT,
    yolo.RESULTS_CSV,
    fastai.HISTORY_CSV,
    csvlog.LIGHTNING,
    csvlog.KERAS_CSV,
    REPORT_PDF,
)
FORMATS: dict[str, Format] = {f.name: f for f in REGISTRY if f.read is not None}
FOLDER_FORMATS: dict[str, Format] = {f.name: f for f in REGISTRY if f.read_folder is not None}




def format_help() -> str:
    """The ``--format`` choices, one phrase each, from the registry."""
    return "; ".join(f"{f.name} ({f.describe})" for f in REGISTRY)


def _names(formats: object = REGISTRY) -> str:
    return ", ".join(f.name for f in formats)  # type: ignore[attr-defined]


def sniff(data: bytes, path: str) -> Format:
    """The reader whose signature matches ``data``; :class:`HistoryError` if none does."""
    for fmt in FORMATS.values():
        if fmt.recognises(data, path):
            return fmt
    raise HistoryError(
        f"unknown format (tried: {_names(FORMATS.values())})",
        path=path,
        hint="a history is one of these formats (reporter report --help describes them), "
        "or a folder of "
        + " or ".join(f.noun for f in FOLDER_FORMATS.values())
        + "; --format picks a reader",
    )


def is_history_file(path: str | os.PathLike[str], head: bytes | None = None) -> bool:
    """Whether a file is a history source: its suffix is claimed by a format, or its first
    bytes (``head``, read here when not given) are recognised by one. An empty file counts
    only when a format claims its suffix or it is a ``.log`` (an empty CSVLogger file)."""
    p = os.fspath(path)
    if any(f.claims(p) for f in REGISTRY):
        return True
    if head is None:
        try:
            with open(p, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        except OSError:
            return True  # let the reader report the read error for this file
    if not head.strip():
        return Path(p).suffix.lower() == ".log"
    return any(f.recognises(head, p) for f in FORMATS.values() if f.discover)


def folder_format(path: Path) -> Format | None:
    """The folder format whose layout ``path`` has (an MLflow store, a run of event files)."""
    return next((f for f in FOLDER_FORMATS.values() if f.is_folder and f.is_folder(path)), None)


def _load_folder(p: str, fmt: str | None, run: str | None, limit: int) -> list[History]:
    candidates = [FOLDER_FORMATS[fmt]] if fmt in FOLDER_FORMATS else list(FOLDER_FORMATS.values())
    for f in candidates:
        if f.is_folder is not None and f.read_folder is not None and f.is_folder(Path(p)):
            return f.read_folder(p, run, limit)
    raise HistoryError(
        "a folder, but neither " + " nor ".join(f.noun for f in FOLDER_FORMATS.values()),
        path=p,
        hint="point at the history file inside it",
    )


def load(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    limit: int = MAX_BYTES,
    run: str | None = None,
) -> list[History]:
    """Read the runs in ``path`` (a file, or a folder some format reads).

    ``fmt`` names a reader from :data:`REGISTRY`; ``run`` picks runs where a source holds
    several (see :func:`runs.select`).
    """
    p = os.fspath(path)
    if os.path.isdir(p):
        return _load_folder(p, fmt, run, limit)
    data = read_bytes(p, limit)
    if fmt is None:
        reader = sniff(data, p)
    elif fmt in FORMATS:
        reader = FORMATS[fmt]
        if not reader.recognises(data, p):
            other = next((f for f in FORMATS.values() if f.recognises(data, p)), None)
            if other is not None and other.name != fmt:
                raise HistoryError(
                    f"--format {fmt} was given, but this looks like {other.name} "
                    f"({other.describe})",
                    path=p,
                    hint=f"leave out --format, or pass --format {other.name}",
                )
    else:
        raise HistoryError(f"unknown format {fmt!r} (known: {_names()})", path=p)
    assert reader.read is not None
    runs = reader.read(data, p, run)
    if not runs:
        raise HistoryError("no metrics found", path=p, hint="the file holds no metric values")
    return runs
