"""Turn a history file (any supported format) into :class:`History` runs.

Readers are chosen by sniffing the content, not trusting the extension; a
``fmt`` argument overrides the choice. Every problem surfaces as a
:class:`~reporter.errors.HistoryError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reporter.errors import HistoryError
from reporter.history import csvlog, hf, keras, mlflow, tfevents
from reporter.history.model import History, Series, epoch_series
from reporter.history.regular import regular_only
from reporter.history.text import head_text

__all__ = ["FORMATS", "MAX_BYTES", "History", "Series", "epoch_series", "load", "sniff"]

MAX_BYTES = 64 * 1024 * 1024

Reader = Callable[[bytes, str, "str | None"], list[History]]


@dataclass(frozen=True)
class Format:
    """A reader: its name, how to recognise its bytes, and how to read them."""

    name: str
    looks_like: Callable[[bytes, str], bool]
    read: Reader


def _first_text(data: bytes) -> str:
    """The first non-blank character of a text file (BOM-aware)."""
    return head_text(data, 400).lstrip("\ufeff \t\r\n")[:1]


PICKLE_SUFFIXES = {".pkl", ".pickle", ".p", ".pk", ".pck"}
_PICKLE_STARTS = (b"(", b"}", b"]", b"c", b"N")


_TEXT_SUFFIXES = {".json", ".csv", ".tsv", ".txt", ".log"}


def _looks_json(data: bytes, path: str) -> bool:
    first = _first_text(data)
    if first in ("{", "["):
        return True
    # a .json file whose top level is a bare string, number or literal: let the JSON
    # reader say what it holds instead of "unknown format"
    return Path(path).suffix.lower() == ".json" and first in (
        '"',
        "-",
        "t",
        "f",
        "n",
        *"0123456789",
    )


def _looks_pickle(data: bytes, path: str) -> bool:
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return True
    if _looks_json(data, path) or mlflow.looks_sqlite(data, path):
        return False
    suffix = Path(path).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return True
    # Protocol 0/1 pickles of a history start with MARK, EMPTY_DICT/LIST or GLOBAL and end
    # with STOP; a text file that merely ends with a full stop is not one.
    return (
        suffix not in _TEXT_SUFFIXES
        and data[:1] in _PICKLE_STARTS
        and data.rstrip(b"\r\n")[-1:] == b"."
    )


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("mlflow-sqlite", mlflow.looks_sqlite, mlflow.read_sqlite),
        Format("tfevents", tfevents.looks_tfevents, tfevents.read_tfevents),
        Format("keras-pickle", _looks_pickle, keras.read_pickle),
        Format("hf-trainer-state", hf.looks_hf, hf.read_hf),
        Format("keras-json", _looks_json, keras.read_json),
        Format("lightning-csv", csvlog.looks_lightning, csvlog.read_lightning),
        Format("keras-csv", csvlog.looks_csv, csvlog.read_keras_csv),
    )
}
FOLDER_FORMATS = ("mlflow", "tfevents")


def sniff(data: bytes, path: str) -> Format:
    """The reader whose signature matches ``data``; :class:`HistoryError` if none does."""
    for fmt in FORMATS.values():
        if fmt.looks_like(data, path):
            return fmt
    tried = ", ".join(dict.fromkeys([*FORMATS, *FOLDER_FORMATS]))
    raise HistoryError(
        f"unknown format (tried: {tried})",
        path=path,
        hint="a history is Keras JSON/CSV/pickle, a trainer_state.json, a Lightning metrics.csv, "
        "an MLflow store or TensorBoard events; --format picks a reader",
    )


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, refusing empty and oversized files before parsing."""
    p = os.fspath(path)
    try:
        with open(p, "rb", opener=regular_only) as fh:  # a FIFO or device is never opened
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise HistoryError(
                    f"file is {size:,} bytes, over the {limit:,}-byte limit",
                    path=p,
                    hint="not read; if the file is genuine, raise the limit with --max-bytes",
                )
            data = fh.read(limit + 1)
    except IsADirectoryError as exc:
        raise HistoryError(
            "is a folder, not a history file", path=p, hint="point at the file inside it"
        ) from exc
    except OSError as exc:
        raise HistoryError(
            f"cannot read: {exc.strerror or exc}",
            path=p,
            hint="check that the file exists and is readable by this user",
        ) from exc
    if len(data) > limit:
        raise HistoryError(
            f"file is over the {limit:,}-byte limit (it grew while being read)",
            path=p,
            hint="wait until training has finished writing it",
        )
    if not data.strip():
        raise HistoryError(
            "empty file", path=p, hint="nothing was saved; re-save the history after training"
        )
    return data


def _load_folder(p: str, fmt: str | None, run: str | None, limit: int = MAX_BYTES) -> list[History]:
    folder = Path(p)
    if fmt in (None, "mlflow") and mlflow.is_file_store(folder):
        return mlflow.read_file_store(p, run)
    events = _event_files(folder)
    if fmt in (None, "tfevents") and events:
        # each event file is read as if given alone: the same --max-bytes, empty and FIFO checks
        parts = [
            r for f in events[:200] for r in tfevents.read_tfevents(read_bytes(f, limit), str(f))
        ]
        return [tfevents.merge(parts)]
    raise HistoryError(
        "a folder, but neither an MLflow run store nor TensorBoard event files", path=p
    )


def _event_files(folder: Path, depth: int = 3) -> list[Path]:
    """Regular ``*tfevents*`` files at most ``depth`` levels below ``folder``, links not
    followed; walked level by level, so a deep tree costs no recursion."""
    found: list[Path] = []
    level = [folder]
    for _ in range(depth):
        below: list[Path] = []
        for here in level:
            try:
                with os.scandir(here) as it:
                    entries = list(it)
            except OSError:
                continue
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    below.append(Path(e.path))
                elif e.is_file(follow_symlinks=False) and "tfevents" in e.name:
                    with contextlib.suppress(OSError):
                        if e.stat(follow_symlinks=False).st_size:  # a writer's empty new file
                            found.append(Path(e.path))
        level = below
    return sorted(found)


def load(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    limit: int = MAX_BYTES,
    run: str | None = None,
) -> list[History]:
    """Read the runs in ``path`` (a file, an MLflow folder or a folder of event files).

    ``fmt`` names a reader from :data:`FORMATS` (or ``mlflow``/``tfevents`` for folders);
    ``run`` picks runs where a source holds several (see :func:`runs.select`).
    """
    p = os.fspath(path)
    if os.path.isdir(p):
        return _load_folder(p, fmt, run, limit)
    data = read_bytes(p, limit)
    if fmt is None:
        reader = sniff(data, p)
    elif fmt in FORMATS:
        reader = FORMATS[fmt]
    else:
        raise HistoryError(
            f"unknown format {fmt!r} (known: {', '.join([*FORMATS, *FOLDER_FORMATS])})", path=p
        )
    runs = reader.read(data, p, run)
    if not runs:
        raise HistoryError("no metrics found", path=p, hint="the file holds no metric values")
    return runs
