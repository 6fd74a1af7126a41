"""Turn asset names into files: the templates folder and the bundled Hangul font.

This is the one place that knows where resources live. ``templates/`` is found
inside the installed package (a wheel maps it to ``reporter/templates``) or,
in a checkout, beside the package. NanumGothic (SIL OFL) is read from the
``koreanize-matplotlib`` wheel, located with :func:`importlib.util.find_spec`
without importing that package (it imports ``distutils``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from reporter.errors import RenderError

_PACKAGE = Path(__file__).resolve().parent


@cache
def templates_dir() -> Path:
    """The built-in templates folder (package data first, then the checkout)."""
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        if (candidate / "report.html.j2").is_file():
            return candidate
    raise RenderError("the report templates are missing from this installation")


@cache
def font_files() -> dict[str, Path]:
    """``{"regular": path, "bold": path}`` of the bundled NanumGothic font."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RenderError(
            "the Hangul font package koreanize-matplotlib is not installed "
            "(pip install koreanize-matplotlib)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    fonts = {"regular": folder / "NanumGothic.ttf", "bold": folder / "NanumGothicBold.ttf"}
    missing = [str(p) for p in fonts.values() if not p.is_file()]
    if missing:
        raise RenderError("bundled font files are missing: " + ", ".join(missing))
    return fonts


LITE_FAMILY = "ReporterHangul"
LITE_VERSION = "2"


def _lite_codepoints() -> list[int]:
    """ASCII and Latin, common punctuation and symbols, Greek, the 2,350 Hangul syllables of
    KS X 1001 (everyday Korean), compatibility jamo, and every character of the catalog."""
    cps: set[int] = set(range(0x20, 0x250)) | set(range(0x370, 0x400))
    cps |= set(range(0x2000, 0x2070)) | set(range(0x2190, 0x2200)) | set(range(0x2200, 0x2300))
    cps |= set(range(0x3130, 0x3190)) | set(range(0x25A0, 0x2600)) | {0x3000, 0x3001, 0x3002}
    for lead in range(0xB0, 0xC9):
        for trail in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                cps.add(ord(bytes([lead, trail]).decode("euc-kr")))
    catalog = templates_dir() / "messages.toml"
    cps |= {ord(c) for c in catalog.read_text("utf-8")}
    return sorted(cps)


def _cache_dir() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "reporter"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        return None


@cache
def lite_font() -> Path:
    """A subset of NanumGothic (renamed, as the OFL asks of modified fonts) holding what
    reports almost always show. Subsetting the 17,666-glyph original for every PDF is the
    slowest step of a report; characters outside the subset fall back to the full font.
    Built once per machine into the user's cache folder (or a temp folder)."""
    source = font_files()["regular"]
    catalog = (templates_dir() / "messages.toml").read_bytes()
    key = hashlib.sha256(
        f"{LITE_VERSION}:{source.stat().st_size}:{source.stat().st_mtime_ns}".encode() + catalog
    ).hexdigest()[:16]
    folder = _cache_dir() or Path(tempfile.mkdtemp(prefix="reporter-font-"))
    path = folder / f"{LITE_FAMILY}-{key}.ttf"
    if path.is_file():
        return path
    data = subset_font(_lite_codepoints())
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def subset_font(codepoints: Iterable[int]) -> bytes:
    """NanumGothic cut down to ``codepoints`` and renamed LITE_FAMILY (the OFL asks a modified
    font to change its name); the same bytes for the same characters (no timestamp)."""
    from fontTools import subset  # only when a subset is made
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_files()["regular"]), recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]  # VTT hinting sources
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 16):
            record.string = LITE_FAMILY
        elif record.nameID == 6:
            record.string = LITE_FAMILY + "-Regular"
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # 10 ms: only when asked

    try:
        return version("reporter")
    except PackageNotFoundError:
        return "0+unknown"
