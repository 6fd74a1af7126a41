"""Turn a reader module's description of itself into one registry entry: :class:`Format`.

Each reader module declares its formats here-shaped (a name, a one-line description,
the suffixes it claims, how its bytes or folders are recognised, and the function that
reads them); ``reporter.history`` lists them once, in sniffing order, and the
``--format`` help, the report command's file discovery and batch discovery all derive
from that list. Adding a format is one reader module plus one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reporter.history.model import History

Reader = Callable[[bytes, str, "str | None"], list[History]]
FolderReader = Callable[[str, "str | None", int], list[History]]  # path, --run, --max-bytes


@dataclass(frozen=True)
class Format:
    """A reader: its name, what it reads, and how its input is recognised.

    ``suffixes`` are the file endings this format *claims*: a file with one of them is a
    history even when its content is damaged (then it is reported as a bad history rather
    than skipped). Files with other endings are histories only when ``looks_like``
    recognises their first bytes. A format that reads folders gives ``is_folder`` and
    ``read_folder``.
    """

    name: str
    describe: str
    read: Reader | None = None
    looks_like: Callable[[bytes, str], bool] | None = None
    suffixes: frozenset[str] = frozenset()
    is_folder: Callable[[Path], bool] | None = None
    read_folder: FolderReader | None = None
    noun: str = ""  # what a folder of this format is, for "a folder, but neither ..."
    discover: bool = True  # False: read when given, never picked up by folder discovery

    def claims(self, path: str | Path) -> bool:
        return Path(path).suffix.lower() in self.suffixes

    def recognises(self, data: bytes, path: str) -> bool:
        return self.looks_like is not None and self.looks_like(data, path)
