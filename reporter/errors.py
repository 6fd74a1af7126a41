"""Turn failures into a few typed exceptions that the CLI maps to one-line messages.

Library code raises these with a human message that names the file and, where
there is one, the line or key. Only :mod:`reporter.cli` prints them and turns
them into exit codes; a traceback means a bug, not bad input.
"""

from __future__ import annotations

import os
import re
import unicodedata

# control characters, bidi controls, and characters that draw nothing (soft hyphen, Arabic
# letter mark, zero-width and word joiners, BOM, Hangul fillers, line/paragraph separators)
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb]"
)
_WORD = re.compile(r"[^\W\d_]{2,}")
_LOOKALIKE_SCRIPTS = {"CYRILLIC", "GREEK"}


def _script(c: str) -> str:
    return unicodedata.name(c, "").split(" ", 1)[0]


def _mixed(word: str) -> bool:
    """A word of Latin letters with Cyrillic or Greek ones mixed in (``vаl`` with a Cyrillic
    ``а``): it looks like another word, so its non-Latin letters are spelled out."""
    if word.isascii():
        return False
    scripts = {_script(c) for c in word}
    return "LATIN" in scripts and bool(scripts & _LOOKALIKE_SCRIPTS)


def visible(text: str, keep: str = "", *, printed: bool = False) -> str:
    """``text`` with control characters, terminal escapes, bidi overrides, invisible
    characters and look-alike letters mixed into Latin words spelled out, except the
    characters in ``keep``: ``\\x1b`` for terminals and logs, or ``[U+001B]``
    for ``printed`` text (the report's Hangul font draws a backslash as a won sign)."""

    def spell(c: str) -> str:
        if printed:
            return f"[U+{ord(c):04X}]"
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"

    def esc(m: re.Match[str]) -> str:
        c = m.group(0)
        return c if c in keep else spell(c)

    def lookalike(m: re.Match[str]) -> str:
        word = m.group(0)
        if not _mixed(word):
            return word
        return "".join(spell(c) if _script(c) in _LOOKALIKE_SCRIPTS else c for c in word)

    text = _CONTROL.sub(esc, text)
    return text if text.isascii() else _WORD.sub(lookalike, text)


def clean(text: object, limit: int = 200) -> str:
    """Make untrusted text safe for one terminal or log line.

    Control characters, terminal escapes and bidi overrides are replaced by
    their ``\\x..``/``\\u....`` spelling, and long text is shortened.
    """
    s = visible(str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


class ReporterError(Exception):
    """Base of every error the tool reports to the user instead of crashing.

    ``message`` says what is wrong, ``where`` points into the file (a line, a key, a
    JSON path) and ``hint`` says what to do about it.
    """

    exit_code = 1
    prefix = ""
    default_hint: str | None = None
    # True when the same input may succeed on the next try (a full disk, a write error);
    # a batch retries these and not the failures the input itself causes
    transient = False

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = os.fspath(path) if path is not None else None
        self.where = where
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(self.one_line())

    def at(self, path: str | os.PathLike[str]) -> ReporterError:
        """The same error naming ``path`` (for errors raised before the file was known)."""
        if self.path is not None:
            return self
        return type(self)(self.message, path=path, where=self.where, hint=self.hint)

    def one_line(self) -> str:
        """``file:where: what is wrong; what to do`` on one line, safe to print."""
        head = ""
        if self.path is not None:
            head = clean(self.path, 300)
            if self.where:
                head += f":{clean(self.where, 80)}"
            head += ": "
        tail = f"; {clean(self.hint, 300)}" if self.hint else ""
        return head + self.prefix + clean(self.message, 400) + tail


class HistoryError(ReporterError):
    """A history file cannot be read: empty, malformed, unknown format, no metrics."""


class UnsafeInputError(HistoryError):
    """A history was refused for security reasons (e.g. a pickle that could run code)."""

    prefix = "refused: "
    default_hint = (
        "nothing in it was run; pickles can run code, so only a plain dict of numbers is "
        "read (save history.history with json.dump for a file anyone can open safely)"
    )


class ConfigError(ReporterError):
    """An option or config value is invalid."""

    exit_code = 2


class RenderError(ReporterError):
    """The report could not be drawn, laid out or exported."""


class OutputError(ReporterError):
    """The output folder cannot be written."""

    exit_code = 73
    transient = True
