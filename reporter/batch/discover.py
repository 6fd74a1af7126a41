"""Turn a folder tree into the list of history sources a batch run reports on.

A source is a history file (any format a reader recognises by its content), an
MLflow run store folder, or a folder of TensorBoard event files. Hidden entries,
the output folder, and symbolic links are skipped (links are never followed, so
nothing outside the input folder is read). A file still being written (changed in
the last ``settle`` seconds) is skipped and picked up by the next run.

Nothing here can block or run out of stack: the tree is walked with an explicit
stack (any depth), each folder once (a bind-mount loop is seen by device and inode),
and only regular files are opened; a FIFO, socket or device is reported as a
problem and never opened.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reporter.history import SNIFF_BYTES, folder_format, is_history_file
from reporter.history.regular import kind, regular_only


@dataclass(frozen=True)
class Item:
    """One source: its path, its path relative to the input folder, and its kind."""

    path: Path
    rel: str
    folder: bool


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str  # "not settled", or what is wrong with an entry that is never read
    problem: bool = False  # never read (reported as failed), not just waiting


def tree(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every entry below ``root`` with its ``lstat``, depth-first, without recursion, without
    following links, each folder once. Folders that cannot be listed are left out."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        here = stack.pop()
        try:
            st = here.lstat()
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(here) as it:
                entries = [(Path(e.path), e.stat(follow_symlinks=False)) for e in it]
        except OSError:
            continue
        for path, info in entries:
            yield path, info
            if stat.S_ISDIR(info.st_mode):
                stack.append(path)


def _recognised(path: Path) -> bool:
    """A history file by the registry's rule: a claimed suffix (then even damaged content is
    reported as a bad history) or content some format recognises. A README, or a ``.log``
    of console output, is not a history at all: skipped, not reported."""
    try:
        with open(path, "rb", opener=regular_only) as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return True  # let the worker report the read error for this item
    return is_history_file(path, head)


def _settled(path: Path, settle: float, now: float) -> bool:
    try:
        # lstat: a link's own time; never stat (or wait for) a file outside the input folder
        newest = (
            max((info.st_mtime for _, info in tree(path)), default=0.0)
            if path.is_dir()
            else path.lstat().st_mtime
        )
    except OSError:
        return True
    return newest <= now - settle or newest > now + 1  # a future mtime (clock skew) is settled


def discover(
    root: Path, out: Path | None = None, settle: float = 2.0, now: float | None = None
) -> tuple[list[Item], list[Skipped]]:
    """Every history source below ``root``, sorted by relative path, and what was skipped:
    files still settling (picked up next run) and ``problem`` entries that are never read
    (FIFOs, sockets, devices, folders that cannot be listed)."""
    now = time.time() if now is None else now
    root = root.resolve()
    out_id: tuple[int, int] | None = None
    if out is not None:
        try:
            st = out.stat()
            out_id = (st.st_dev, st.st_ino)
        except OSError:
            pass
    items: list[Item] = []
    skipped: list[Skipped] = []
    problems: list[Skipped] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        here = stack.pop()
        rel_here = here.relative_to(root)
        try:
            st = here.lstat()
            if (st.st_dev, st.st_ino) in seen:
                problems.append(Skipped(str(rel_here), "a folder seen before (a loop)", True))
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(here) as it:
                entries = sorted(
                    ((e.name, e.stat(follow_symlinks=False)) for e in it if e.name[:1] != "."),
                    key=lambda e: e[0],
                )
        except OSError as exc:
            problems.append(Skipped(str(rel_here), f"cannot list: {exc.strerror or exc}", True))
            continue
        dirnames = [
            n
            for n, info in entries
            if stat.S_ISDIR(info.st_mode) and (info.st_dev, info.st_ino) != out_id
        ]
        filenames = [n for n, info in entries if stat.S_ISREG(info.st_mode)]
        odd = [
            (n, info)
            for n, info in entries
            if not (
                stat.S_ISDIR(info.st_mode)
                or stat.S_ISREG(info.st_mode)
                or stat.S_ISLNK(info.st_mode)
            )
        ]
        if here != root and folder_format(here) is not None:
            candidates = [(here, True)]
            dirnames = []
        else:
            candidates = [(here / f, False) for f in filenames]
        for n, info in odd:
            reason = f"not a regular file ({kind(info.st_mode)}); not read"
            problems.append(Skipped(str(rel_here / n), reason, True))
        stack.extend(here / d for d in reversed(dirnames))
        for path, is_folder in candidates:
            if not is_folder and not _recognised(path):
                continue
            rel = str(rel_here / path.name) if path != here else str(rel_here)
            if not _settled(path, settle, now):
                skipped.append(Skipped(rel, "not settled"))
                continue
            items.append(Item(path, rel, is_folder))
    items.sort(key=lambda i: i.rel)
    problems.sort(key=lambda p: p.rel)
    return items, skipped + problems
