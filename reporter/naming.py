"""Turn untrusted run, metric and file names into safe, unique output folder names."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from reporter.errors import OutputError

_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_name(name: str, limit: int = 100) -> str:
    """A folder name derived from untrusted text: no separators, no dot-files, bounded."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text).strip("._-") or "run"
    encoded = text.encode("utf-8")[:limit]
    return encoded.decode("utf-8", "ignore").rstrip("._-") or "run"


def run_folder(out: Path, name: str, taken: set[str]) -> Path:
    """``out/<safe name>``, made unique (case-insensitively) among ``taken``."""
    base = safe_name(name)
    candidate, n = base, 2
    while candidate.lower() in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate.lower())
    folder = (out / candidate).resolve()
    if not folder.is_relative_to(out.resolve()):
        raise OutputError(f"run name {name[:80]!r} would write outside {out}")
    return folder


def shorten(text: str, limit: int) -> str:
    """``text`` for display within ``limit`` characters. A cut name ends with a short hash of
    the whole, so two long names that share their beginning never look the same."""
    from reporter.errors import visible

    # a NUL or an escape code never reaches a PDF or an SVG: it is spelled out as [U+001B]
    text = visible(text, keep="\n\t", printed=True)
    if len(text) <= limit:
        return text
    import hashlib

    tag = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    keep = max(1, limit - len(tag) - 1)
    return f"{text[:keep]}…{tag}"
