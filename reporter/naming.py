"""Turn untrusted run, metric and file names into safe, unique output folder names."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from reporter.errors import OutputError, visible

_UNSAFE = re.compile(r"[^\w.\-]+")
# folder names a batch or a manifest may name under OUT: a safe name, or <source>~<run>
_FOLDER = re.compile(r"[\w\-][\w.\-]*(~[\w\-][\w.\-]*)?")
# names the tool writes at the top of OUT: never a run's folder
RESERVED = frozenset({"index.html", "index.pdf", "batch.json"})
TAG = 6


def tag(name: str) -> str:
    """A short, stable hash of the full ``name``: the visible part of a disambiguated name."""
    return hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:TAG]


def safe_name(name: str, limit: int = 100) -> str:
    """A folder name derived from untrusted text: no separators, no dot-files, bounded.

    A name cut to fit ``limit`` bytes ends with ``-`` and a short hash of the whole text, so
    runs whose names differ only after the cut (``…_seed1``, ``…_seed2``) stay apart."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text).strip("._-") or "run"
    encoded = text.encode("utf-8")
    if len(encoded) > limit:
        kept = encoded[: max(1, limit - TAG - 1)].decode("utf-8", "ignore").rstrip("._-")
        return f"{kept or 'run'}-{tag(name)}"
    return text


def unique_name(name: str, taken: set[str], limit: int = 100, key: str | None = None) -> str:
    """``safe_name(name)``, made unique case-insensitively among ``taken`` (and added to it).

    Names that become equal once made safe (``lr 0.1``, ``lr_0.1``, ``lr/0.1``, ``Run``/``run``)
    get ``-`` and a hash of the original name (or of ``key``, e.g. a source's path): visible,
    and the same on every run."""
    digest = tag(name if key is None else key)
    candidate = safe_name(name, limit)
    if candidate.lower() in taken or candidate.lower() in RESERVED:
        candidate = f"{safe_name(name, limit - TAG - 1)}-{digest}"
        n = 2
        while candidate.lower() in taken:  # two different names with one hash: never in practice
            candidate, n = f"{safe_name(name, limit - TAG - 4)}-{digest}-{n}", n + 1
    taken.add(candidate.lower())
    return candidate


def is_folder_name(name: object) -> bool:
    """True for a folder name this tool could have made: no separator, no leading dot, no
    scheme (``javascript:``), within the file-name limit. Used on manifest entries, which
    anyone who can write OUT can edit."""
    return (
        isinstance(name, str)
        and _FOLDER.fullmatch(name) is not None
        and len(name.encode("utf-8")) <= 255
        and name.lower() not in RESERVED
    )


def run_folder(out: Path, name: str, taken: set[str]) -> Path:
    """``out/<safe name>``, made unique (case-insensitively) among ``taken``.

    A folder that is a symbolic link is refused: nothing is written through a link."""
    folder = out / unique_name(name, taken)
    check_folder(out, folder, name)
    return folder.resolve()


def run_folders(
    out: Path, names: list[str], taken: set[str], base: str | None = None
) -> list[Path]:
    """The folder of each run of one source: ``out/<run name>`` made unique among ``taken``
    (``reporter report``), or, for a batch item, ``out/<base>`` for a single run and
    ``out/<base>~<run name>`` for several. Links and paths outside ``out`` are refused."""
    if base is None:
        return [run_folder(out, name, taken) for name in names]
    mine: set[str] = set()
    folders = []
    for name in names:
        rel = base if len(names) == 1 else f"{base}~{unique_name(name, mine, 60)}"
        folder = out / rel
        check_folder(out, folder, name)
        folders.append(folder)
    return folders


def check_folder(out: Path, folder: Path, name: str) -> None:
    """Refuse to write into ``folder`` when it is a link or lies outside ``out``."""
    if folder.is_symlink():
        raise OutputError(
            f"{folder} is a symbolic link; reports are never written through a link",
            hint="remove the link or choose another output folder",
        )
    if not folder.resolve().is_relative_to(out.resolve()):
        raise OutputError(f"run name {name[:80]!r} would write outside {out}")


def shorten(text: str, limit: int) -> str:
    """``text`` for display within ``limit`` characters. A cut name ends with a short hash of
    the whole, so two long names that share their beginning never look the same."""
    # a NUL or an escape code never reaches a PDF or an SVG: it is spelled out as [U+001B]
    text = visible(text, keep="\n\t", printed=True)
    if len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    keep = max(1, limit - len(digest) - 1)
    return f"{text[:keep]}…{digest}"
