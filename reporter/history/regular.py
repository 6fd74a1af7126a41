"""Turn a path into an open regular file, refusing anything that could block or act on open.

A FIFO blocks ``open()`` until a writer appears, a device may act when opened, a socket
cannot be read: a history is only ever read from a regular file. Pass
:func:`regular_only` as the ``opener`` of :func:`open`.
"""

from __future__ import annotations

import errno
import os
import stat

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
