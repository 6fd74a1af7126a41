"""Turn a folder tree into the list of history sources a batch run reports on.

A source is a history file (any format a reader recognises by its content), an
MLflow run store folder, or a folder of TensorBoard event files. Hidden entries,
the output folder, and symbolic links are skipped (links are never followed, so
nothing outside the input folder is read). A file still being written (changed in
the last ``settle`` seconds) is skipped and picked up by the next run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from reporter.history import SNIFF_BYTES, folder_format, is_history_file


@dataclass(frozen=True)
class Item:
    """One source: its path, its path relative to the input folder, and its kind."""

    path: Path
    rel: str
    folder: bool


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str  # "not settled"


def _recognised(path: Path) -> bool:
    """A history file by the registry's rule: a claimed suffix (then even damaged content is
    reported as a bad history) or content some format recognises. A README, or a ``.log``
    of console output, is not a history at all: skipped, not reported."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return True  # let the worker report the read error for this item
    return is_history_file(path, head)


def _settled(path: Path, settle: float, now: float) -> bool:
    try:
        # lstat: a link's own time; never stat (or wait for) a file outside the input folder
        newest = (
            max((f.lstat().st_mtime for f in path.rglob("*")), default=0.0)
            if path.is_dir()
            else path.lstat().st_mtime
        )
    except OSError:
        return True
    return newest <= now - settle or newest > now + 1  # a future mtime (clock skew) is settled


def discover(
    root: Path, out: Path | None = None, settle: float = 2.0, now: float | None = None
) -> tuple[list[Item], list[Skipped]]:
    """Every history source below ``root``, sorted by relative path."""
    now = time.time() if now is None else now
    root = root.resolve()
    out_resolved = out.resolve() if out is not None else None
    items: list[Item] = []
    skipped: list[Skipped] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and not (here / d).is_symlink()
            and (out_resolved is None or (here / d).resolve() != out_resolved)
        )
        rel_here = here.relative_to(root)
        if here != root and folder_format(here) is not None:
            candidates = [(here, True)]
            dirnames[:] = []
        else:
            candidates = [
                (here / f, False)
                for f in sorted(filenames)
                if not f.startswith(".") and not (here / f).is_symlink()
            ]
        for path, is_folder in candidates:
            if not is_folder and not _recognised(path):
                continue
            rel = str(rel_here / path.name) if path != here else str(rel_here)
            if not _settled(path, settle, now):
                skipped.append(Skipped(rel, "not settled"))
                continue
            items.append(Item(path, rel, is_folder))
    items.sort(key=lambda i: i.rel)
    return items, skipped
