"""Turn inputs, tool version, templates and options into fingerprints, and remember them.

The manifest (``OUT/.reporter-manifest.json``) maps each source's relative path to
the content hash it was last reported from and what came out. A source is
rendered again only when its bytes, the tool version, the templates or the
options change; touching a file changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporter.assets import templates_dir, version
from reporter.config import Options
from reporter.export import atomic_write

log = logging.getLogger(__name__)

NAME = ".reporter-manifest.json"
SCHEMA = 1


def content_hash(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's files (relative names and bytes, sorted)."""
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            h.update(str(f.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
            h.update(_file_digest(f))
    else:
        h.update(_file_digest(path))
    return h.hexdigest()


def _file_digest(path: Path) -> bytes:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
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


@dataclass
class Manifest:
    path: Path
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    rebuilt: bool = False

    @classmethod
    def load(cls, out: Path) -> Manifest:
        path = out / NAME
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("schema") != SCHEMA or not isinstance(data.get("items"), dict):
                raise ValueError("unknown manifest layout")
            return cls(path, data["items"])
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
        body = {"schema": SCHEMA, "items": dict(sorted(self.items.items()))}
        atomic_write(self.path, (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode())
