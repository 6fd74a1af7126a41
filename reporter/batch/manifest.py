"""Turn inputs, tool version, templates and options into fingerprints, and remember them.

The manifest (``OUT/.reporter-manifest.json``) maps each source's relative path to
the content hash it was last reported from and what came out. A source is
rendered again only when its bytes, the tool version, the templates or the
options change; touching a file changes nothing.

Anyone who can write OUT can edit the manifest, so its entries are checked when
loaded: an entry whose folder names are not names this tool makes (a path, a
``javascript:`` URL, a dot-file) is dropped and its source rendered again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporter.assets import templates_dir, version
from reporter.batch.discover import tree
from reporter.config import Options
from reporter.export import atomic_write
from reporter.history.regular import regular_only
from reporter.naming import is_folder_name

log = logging.getLogger(__name__)

NAME = ".reporter-manifest.json"
SCHEMA = 1


def content_hash(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's files (relative names and bytes, sorted)."""
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p, info in tree(path) if stat.S_ISREG(info.st_mode)):
            h.update(str(f.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(_file_digest(f))
    else:
        h.update(_file_digest(path))
    return h.hexdigest()


def _file_digest(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb", opener=regular_only) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


def fingerprint(options: Options) -> str:
    """What besides the input decides a report: tool version, templates, options."""
    h = hashlib.sha256(version().encode())
    folder = templates_dir()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(json.dumps(options.fingerprint(), sort_keys=True).encode())
    return h.hexdigest()


def valid_entry(entry: object) -> bool:
    """True when a manifest entry names only folders this tool could have made, each report
    folder being its source's ``base`` or ``base~run``."""
    if not isinstance(entry, dict):
        return False
    base = entry.get("base")
    if base is None:
        return entry.get("status") == "failed" and not entry.get("outputs")
    outputs, runs = entry.get("outputs", []), entry.get("runs", [])
    if not is_folder_name(base) or not isinstance(outputs, list) or not isinstance(runs, list):
        return False
    if not all(is_folder_name(f) and (f == base or f.startswith(base + "~")) for f in outputs):
        return False
    return all(isinstance(r, dict) and r.get("folder") in outputs for r in runs)


@dataclass
class Manifest:
    path: Path
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    rebuilt: bool = False
    index: str = ""  # digest of what index.html/pdf show, to rewrite them when it changes

    @classmethod
    def load(cls, out: Path) -> Manifest:
        path = out / NAME
        if not path.exists():
            return cls(path)
        try:
            if path.is_symlink():
                raise ValueError("it is a symbolic link")
            with open(path, "rb", opener=regular_only) as fh:
                data = json.loads(fh.read().decode("utf-8"))
            if (
                not isinstance(data, dict)
                or data.get("schema") != SCHEMA
                or not isinstance(data.get("items"), dict)
            ):
                raise ValueError("unknown manifest layout")
            items = {str(k): v for k, v in data["items"].items() if valid_entry(v)}
            dropped = len(data["items"]) - len(items)
            if dropped:
                log.warning(
                    "%s: %d entries name folders this tool does not make; rendering them again",
                    path,
                    dropped,
                )
            index = data.get("index")
            return cls(path, items, bool(dropped), index if isinstance(index, str) else "")
        except (OSError, ValueError) as exc:
            log.warning("%s: manifest unreadable (%s), rebuilding every report", path, exc)
            return cls(path, {}, rebuilt=True)

    def fresh(self, rel: str, digest: str, fp: str, out: Path) -> bool:
        """True when the last result for these exact bytes, tool, templates and options stands:
        its reports are all in place, or it failed (a failure on the same input repeats)."""
        entry = self.items.get(rel)
        if not entry or entry.get("hash") != digest or entry.get("fingerprint") != fp:
            return False
        if entry.get("status") == "failed":
            return bool(entry.get("deterministic", True))
        return entry.get("status") == "ok" and all(
            (out / folder / "report.pdf").is_file() for folder in entry.get("outputs", [])
        )

    def save(self) -> None:
        body = {"schema": SCHEMA, "index": self.index, "items": dict(sorted(self.items.items()))}
        atomic_write(self.path, (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode())
