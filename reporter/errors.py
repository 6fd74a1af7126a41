"""Turn failures into a few typed exceptions that the CLI maps to one-line messages.

Library code raises these with a human message that names the file and, where
there is one, the line or key. Only :mod:`reporter.cli` prints them and turns
them into exit codes; a traceback means a bug, not bad input.
"""

from __future__ import annotations

import os
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: object, limit: int = 200) -> str:
    """Make untrusted text safe for one terminal or log line.

    Control characters, terminal escapes and bidi overrides are replaced by
    their ``\\x..``/``\\u....`` spelling, and long text is shortened.
    """
    s = str(text)

    def esc(m: re.Match[str]) -> str:
        c = m.group(0)
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"

    s = _CONTROL.sub(esc, s)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


class ReporterError(Exception):
    """Base of every error the tool reports to the user instead of crashing."""

    exit_code = 1

    def __init__(
        self, message: str, *, path: str | os.PathLike[str] | None = None, where: str | None = None
    ) -> None:
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.where = where
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """``file:where: message`` on one line, safe to print."""
        head = ""
        if self.path is not None:
            head = clean(self.path, 300)
            if self.where:
                head += f":{clean(self.where, 80)}"
            head += ": "
        return head + clean(self.message, 400)


class HistoryError(ReporterError):
    """A history file cannot be read: empty, malformed, unknown format, no metrics."""


class UnsafeInputError(HistoryError):
    """A history was refused for security reasons (e.g. a pickle that could run code)."""


class ConfigError(ReporterError):
    """An option or config value is invalid."""

    exit_code = 2


class RenderError(ReporterError):
    """The report could not be drawn, laid out or exported."""


class OutputError(ReporterError):
    """The output folder cannot be written."""

    exit_code = 73
