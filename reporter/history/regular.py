"""Turn a path into an open regular file (or its bytes), refusing anything that could block.

A FIFO blocks ``open()`` until a writer appears, a device may act when opened, a socket
cannot be read: a history is only ever read from a regular file. Pass
:func:`regular_only` as the ``opener`` of :func:`open`.
"""

from __future__ import annotations

import errno
import os
import stat

from reporter.errors import HistoryError

MAX_BYTES = 64 * 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words (``a FIFO``, ``a socket`` …)."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def not_regular(mode: int, path: str | os.PathLike[str]) -> OSError:
    return OSError(
        errno.EINVAL, f"not a regular file ({kind(mode)}); only regular files are read", path
    )


def regular_only(path: str, flags: int) -> int:
    """An ``opener`` for :func:`open` that opens regular files (and folders, which ``open``
    then refuses itself) without ever blocking; anything else raises :class:`OSError`."""
    before = os.stat(path).st_mode
    if not (stat.S_ISREG(before) or stat.S_ISDIR(before)):
        raise not_regular(before, path)  # never opened: a device may act on open
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    mode = os.fstat(fd).st_mode  # swapped for a FIFO after the stat: still refused
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        os.close(fd)
        raise not_regular(mode, path)
    os.set_blocking(fd, True)
    return fd


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
