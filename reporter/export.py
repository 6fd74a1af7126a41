"""Turn report HTML into checked PDF bytes, fetching nothing but the project's own assets.

WeasyPrint gets a URL fetcher that serves only ``asset:`` URLs registered for
this document (the stylesheet, the bundled font, the figures) and stops the
render on anything else, so no text in a history can make it read a file or
the network. WeasyPrint's warnings (missing glyphs, images, stylesheets) are
captured and returned instead of being lost in a silent logger.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import errno
import functools
import gc
import importlib
import logging
import os
import re
import secrets
import sys
import threading
import types
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from reporter import svgtext
from reporter.assets import font_files, lite_font, templates_dir
from reporter.errors import OutputError, RenderError
from reporter.hangul import keep_words

log = logging.getLogger(__name__)

# WeasyPrint's note that libharfbuzz-subset is not installed: slower, same output.
BENIGN = ("Using fontTools instead of HarfBuzz-Subset",)

PNG_DATA = "data:image/png;base64,"

MIME = {".css": "text/css", ".svg": "image/svg+xml", ".ttf": "font/ttf", ".png": "image/png"}


def static_assets() -> dict[str, Path]:
    """The project's own files a report may load, by their ``asset:`` URL."""
    return {
        "asset:css/report.css": templates_dir() / "report.css",
        "asset:font/lite": lite_font(),
        "asset:font/regular": font_files()["regular"],
    }


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(BENIGN):
            self.messages.append(message)


@contextmanager
def _captured_logs() -> Iterator[_Capture]:
    logger = logging.getLogger("weasyprint")
    handler = _Capture()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@dataclass(frozen=True)
class Attached:
    """A file carried inside the PDF (PDF/A-3 associated file): its name, bytes, what it is
    to the report (``Data`` for summary.json, ``Source`` for the history) and a description."""

    name: str
    data: bytes
    relationship: str
    description: str


# Fixed timestamps for everything written while a PDF is made (the font subsets fontTools
# writes into it carry one): the same history gives the same bytes. A date of your own
# comes from SOURCE_DATE_EPOCH, as reproducible-builds tools expect.
DEFAULT_EPOCH = 315532800  # 1980-01-01, the ZIP epoch


def asked_epoch() -> int | None:
    """SOURCE_DATE_EPOCH when set to a whole number of seconds, else ``None``."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(raw) if raw.isdigit() else None


def source_date_epoch() -> int:
    """The date stamped into a PDF's insides: SOURCE_DATE_EPOCH, else 1980-01-01."""
    asked = asked_epoch()
    return DEFAULT_EPOCH if asked is None else asked


@contextmanager
def _fixed_time() -> Iterator[None]:
    """fontTools stamps the fonts it subsets with the time, unless SOURCE_DATE_EPOCH is set."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


@dataclass
class PdfResult:
    data: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)


def import_weasyprint() -> None:
    """Import WeasyPrint (and fontTools, for the font subsets) if not done yet, and let it
    draw the figures' labels as whole strings (:mod:`reporter.svgtext`).

    WeasyPrint tries up to six names for each of its seven C libraries, and every name that
    misses makes ``ctypes.util.find_library`` start ``ldconfig -p`` (then ``gcc`` and ``ld``)
    again: about 20 child processes, 0.13 s. During the import one ``ldconfig -p`` listing
    answers those lookups (a name it does not list is a miss; the libraries' own sonames
    are among the names tried and load directly). Without ``ldconfig`` nothing changes."""
    if "weasyprint.pdf" not in sys.modules:
        _import_with_one_listing()
    svgtext.install()  # figure labels laid out whole, not letter by letter


def _import_with_one_listing() -> None:
    import ctypes.util

    find = ctypes.util.find_library
    listing = _ldconfig_listing()
    if listing is not None:

        def listed(name: str) -> str | None:
            m = re.search(rb"\s(lib%s\.[^\s]+)\s+\(" % re.escape(name.encode()), listing)
            return m.group(1).decode() if m else None

        ctypes.util.find_library = listed
    try:
        with _deferred(DEFERRED):
            import weasyprint.pdf  # noqa: F401  (~0.2 s: Pango, HarfBuzz and fontconfig via dlopen)
    finally:
        ctypes.util.find_library = find


# fontTools modules WeasyPrint binds when it is imported but uses only for fonts a report does
# not have: subsetting without HarfBuzz-Subset, variable fonts, WOFF2 web fonts. Imported at
# once they cost 9 MiB and 0.04 s in every process that makes a PDF.
DEFERRED = ("fontTools.subset", "fontTools.varLib.instancer", "fontTools.ttLib.woff2")
BOUND_BY_NAME = {"fontTools.varLib.instancer": ("instantiateVariableFont",)}


class _Deferred(types.ModuleType):
    """A module that imports the real one the first time one of its names is used (unlike
    ``importlib.util.LazyLoader``, ``from module import name`` does not count as a use when the
    name is set on it beforehand)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system's own questions (__path__, __spec__)
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _forward(module: str, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


@contextmanager
def _deferred(names: tuple[str, ...]) -> Iterator[None]:
    """While WeasyPrint is imported, ``names`` not yet imported stand in as :class:`_Deferred`
    modules (WeasyPrint's own bindings keep them, and import the real module on first use);
    afterwards the import system forgets them."""
    standins: dict[str, types.ModuleType] = {}
    for name in names:
        if name not in sys.modules:
            standin = _Deferred(name)
            for attr in BOUND_BY_NAME.get(name, ()):  # ``from module import attr``
                setattr(standin, attr, _forward(name, attr))
            standins[name] = standin
            sys.modules[name] = standin
    try:
        yield
    finally:
        for name, module in standins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


def _ldconfig_listing() -> bytes | None:
    """``ldconfig -p`` as ``ctypes.util.find_library`` runs it; ``None`` if it cannot run."""
    import subprocess

    for ldconfig in ("/sbin/ldconfig", "/usr/sbin/ldconfig"):
        if os.path.exists(ldconfig):
            try:
                run = subprocess.run(
                    [ldconfig, "-p"],
                    capture_output=True,
                    env={"LC_ALL": "C", "LANG": "C"},
                    timeout=10,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError):
                return None
            return run.stdout if run.returncode == 0 else None
    return None


def warm_engine() -> None:
    """Pay once what every PDF of this process would: import WeasyPrint, register the report's
    fonts, then keep the collector off it all."""
    import_weasyprint()
    _stylesheet()
    _srgb_bytes()
    _settle_heap()


def forget_inherited() -> None:
    """In a forked engine: drop the parent's font configuration without removing its temp
    font folder (the parent still uses it); :func:`warm_engine` builds the engine's own."""
    if _font_config.cache_info().currsize:
        inherited = _font_config()
        if hasattr(inherited, "_folder"):
            inherited._folder = None  # WeasyPrint removes the folder it names when dropped
        _font_config.cache_clear()
    _stylesheet.cache_clear()  # its fonts were registered with the parent's configuration


def release_fonts() -> None:
    """Drop this process's font configuration and remove its temp font folder: at exit (also a
    quick one, see ``cli.run``, or a forked engine's, which runs no ``atexit``), not left to
    WeasyPrint's ``__del__``, which only runs if the configuration is ever collected."""
    import shutil

    if _font_config.cache_info().currsize:
        folder = getattr(_font_config(), "_folder", None)
        _stylesheet.cache_clear()
        _font_config.cache_clear()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


PDF_VARIANT = "pdf/a-3a"  # archival (PDF/A-3, accessible "a" level: tagged), files attached
OUTPUT_INTENT = "reporter-srgb"


@cache
def _srgb_bytes() -> bytes:
    from importlib.resources import files

    return (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


def _srgb_profile() -> Any:
    import io

    from weasyprint.css import ColorProfile  # as above: only when rendering

    return ColorProfile(
        io.BytesIO(_srgb_bytes()), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )


class Later(Protocol):
    """Figures still being drawn: a box of the right size for each now, the drawing later."""

    boxes: Mapping[str, bytes]  # asset: URL -> an empty SVG of the figure's size

    def wait(self, url: str) -> bytes | None:
        """The figure's SVG, once drawn; ``None`` when the render was abandoned."""


def html_to_pdf(
    html: str,
    figures: Mapping[str, bytes],
    attachments: tuple[Attached, ...] = (),
    later: Later | None = None,
) -> PdfResult:
    """Lay out ``html`` and write a PDF/A-3a: tagged (headings, tables, figures with their
    ``alt`` text, each passage's language from its ``lang``), XMP metadata from the page's
    ``<title>`` and ``<meta>``, ``attachments`` as associated files, and the same bytes for
    the same input (a document id derived from the content, fixed timestamps). ``figures``
    maps ``asset:`` URLs to SVG bytes. With ``later``, its figures are laid out as empty boxes
    of their size and drawn in only when the pages are painted, as they arrive: the same
    bytes as with every figure given up front.

    Korean text breaks between 어절 only (:func:`reporter.hangul.keep_words`): WeasyPrint has
    no ``word-break: keep-all``."""
    import_weasyprint()  # the batch parent only needs atomic_write: imported here
    from weasyprint import HTML, Attachment
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    _settle_heap()

    fetched: list[str] = []

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        """Serves registered assets; refuses everything else and stops the render."""

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            fetched.append(url)
            body = figures.get(url) or (later.boxes.get(url) if later is not None else None)
            if body is not None:
                return URLFetcherResponse(
                    url, body=body, headers={"Content-Type": "image/svg+xml"}
                )
            asset = _static_asset(url)
            if asset is not None:
                return asset
            if url.startswith(PNG_DATA):
                # raster layers matplotlib inlines in its own SVGs (the class heatmaps); a data
                # URI reads nothing from disk or network, and metric names are escaped text
                try:
                    payload = "".join(url[len(PNG_DATA) :].split())
                    body = base64.b64decode(payload, validate=True)
                except ValueError:
                    body = b""
                if body.startswith(b"\x89PNG"):
                    return URLFetcherResponse(url, body=body, headers={"Content-Type": "image/png"})
            raise FatalURLFetchingError(f"refused to fetch {url[:200]!r}: not a report asset")

    with _captured_logs() as logs, _fixed_time(), _RENDERING, svgtext.active():
        try:
            images: dict[str, Any] = {}  # WeasyPrint's image cache, by URL
            document = HTML(string=keep_words(html), url_fetcher=AssetFetcher()).render(
                font_config=_font_config(), cache=images, stylesheets=[_stylesheet()]
            )
            if later is not None and not _draw_later(images, later, AssetFetcher()):
                # not the SVG images this was written for (another WeasyPrint?): wait for
                # every figure and lay the page out again with them
                drawn = {url: later.wait(url) for url in later.boxes}
                if any(svg is None for svg in drawn.values()):
                    return PdfResult(b"", 0, [], fetched)
                return html_to_pdf(
                    html, {**figures, **drawn}, attachments  # type: ignore[dict-item]
                )
            stamp = datetime.fromtimestamp(source_date_epoch(), tz=UTC)
            files_in = [
                Attachment(
                    string=a.data,
                    name=a.name,
                    description=a.description,
                    relationship=a.relationship,
                    url_fetcher=AssetFetcher(),
                    created=stamp,
                    modified=stamp,
                )
                for a in attachments
            ]
            # PDF/A's output intent, sRGB, from bytes read once: WeasyPrint would open its
            # profile file for every PDF and leave it open
            document.color_profiles[OUTPUT_INTENT] = _srgb_profile()
            document.output_intent = OUTPUT_INTENT
            with _serialized_once() as start:
                data = document.write_pdf(
                    pdf_variant=PDF_VARIANT,
                    attachments=files_in or None,
                    pdf_tags=True,
                    output_intent=OUTPUT_INTENT,
                    finisher=start,
                )
        except FatalURLFetchingError as exc:
            raise RenderError(str(exc)) from None
        except _Abandoned:  # the figures did not come out as planned: nothing to write
            return PdfResult(b"", 0, [], fetched)
    assert isinstance(data, bytes)
    check_pdf(data, len(document.pages))
    return PdfResult(data, len(document.pages), logs.messages, fetched)


class _Abandoned(Exception):
    """The render waiting for figures was told they will not come."""


# One render at a time in a process: WeasyPrint keeps state in its modules, and while a PDF
# is written pydyf is patched (_serialized_once) and SVG labels are drawn whole (svgtext)
_RENDERING = threading.RLock()


@contextmanager
def _serialized_once() -> Iterator[Callable[..., None]]:
    """While the finished PDF is written out, each stream is serialised and compressed once,
    and a large one at zlib level 6.

    pydyf builds a stream's bytes (every operator of a page as text, then zlib at level 9)
    each time it is asked for them, and a PDF/A's file identifier (an MD5 of every object)
    asks once more before the file is written: every page, figure and attachment was
    serialised and compressed twice. From WeasyPrint's ``finisher`` hook on, right before it
    writes, the streams are complete: their bytes are kept the first time (the same bytes
    come out). A stream over :data:`LARGE_STREAM` bytes (a long history attached) is
    compressed at level 6: 1 % larger than at level 9, in a quarter of the time (0.09 s
    instead of 0.34 s for 6 MB of JSON)."""
    import pydyf  # as above: only when rendering

    original = pydyf.Stream.data
    made: dict[int, tuple[Any, bytes]] = {}

    def data(stream: Any) -> bytes:
        kept = made.get(id(stream))
        if kept is None or kept[0] is not stream:
            kept = made[id(stream)] = (stream, original.fget(stream))
        return kept[1]

    def start(*_: Any) -> None:
        pydyf.Stream.data = property(data)
        pydyf.zlib = _PydyfZlib()

    try:
        yield start
    finally:
        pydyf.Stream.data = original
        pydyf.zlib = zlib
        made.clear()


LARGE_STREAM = 1 << 20  # bytes: above this, zlib level 6 (see _serialized_once)


class _PydyfZlib:
    """zlib as pydyf sees it while it writes: its compressors choose their level by size."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = -1) -> _ByteSizedCompressor:
        return _ByteSizedCompressor(level)


class _ByteSizedCompressor:
    """A zlib compressor at ``level``, or at most 6 when its first input is large."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.inner: Any = None

    def compress(self, data: bytes) -> bytes:
        if self.inner is None:
            large = len(data) > LARGE_STREAM and (self.level > 6 or self.level < 0)
            self.inner = zlib.compressobj(level=6 if large else self.level)
        return bytes(self.inner.compress(data))

    def flush(self) -> bytes:
        if self.inner is None:
            self.inner = zlib.compressobj(level=self.level)
        return bytes(self.inner.flush())


def _draw_later(images: dict[str, Any], later: Later, fetcher: Any) -> bool:
    """Point each figure box WeasyPrint laid out at a drawing that waits for the figure:
    when its page is painted, the figure's SVG (once drawn) is parsed and drawn in the box,
    as WeasyPrint draws any SVG image. ``False`` when a box is not WeasyPrint's SVG image."""
    from weasyprint.images import SVGImage  # as above: only when rendering

    if not all(
        isinstance(images.get(url), SVGImage) and hasattr(images[url], "_context")
        for url in later.boxes
    ):
        return False
    for url in later.boxes:
        box = images[url]
        box.draw = functools.partial(_draw_when_drawn, box, url, later, fetcher)
    return True


def _draw_when_drawn(
    box: Any,
    url: str,
    later: Later,
    fetcher: Any,
    stream: Any,
    width: float,
    height: float,
    style: Any,
) -> None:
    from weasyprint.images import ElementTree, SVGImage  # as above: only when rendering
    from weasyprint.logger import LOGGER

    svg = later.wait(url)
    if svg is None:  # abandoned: stop painting, the PDF is thrown away
        raise _Abandoned
    try:  # parsed as WeasyPrint parses an SVG it fetches, in the same layout context
        image = SVGImage(ElementTree.fromstring(svg), url, fetcher, box._context)
    except Exception as exc:
        LOGGER.error("Failed to load image at %r: %s", url, exc)
        return
    image.draw(stream, width, height, style)


@cache
def _settle_heap() -> None:
    """Once per process, when WeasyPrint is first imported: move everything alive (the modules
    of numpy, matplotlib, WeasyPrint, fontTools: about a million objects) out of the cyclic
    garbage collector's reach. Each full collection during a report otherwise walks all of them
    again (three per cold report, ~0.1 s). Objects that die later are still freed."""
    gc.freeze()


@cache
def _stylesheet() -> Any:
    """``templates/report.css``, parsed once per process (its fonts registered with
    :func:`_font_config`) and applied to every page this process renders."""
    from weasyprint import CSS  # as above: only when rendering
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Fonts(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            asset = _static_asset(url)
            if asset is None:
                raise ValueError(f"not a report asset: {url[:200]!r}")
            return asset

    return CSS(
        string=static_assets()["asset:css/report.css"].read_text("utf-8"),
        url_fetcher=Fonts(),
        font_config=_font_config(),
    )


def _static_asset(url: str) -> Any:
    """WeasyPrint's response for one of the project's own files (:func:`static_assets`),
    ``None`` for any other URL."""
    from weasyprint.urls import URLFetcherResponse  # as above: only when rendering

    path = static_assets().get(url)
    if path is None:
        return None
    return URLFetcherResponse(
        url, body=path.read_bytes(), headers={"Content-Type": MIME[path.suffix]}
    )


@cache
def _font_config() -> Any:
    """One WeasyPrint font configuration per process: the bundled fonts are registered with
    fontconfig once, not again for every report a warm batch worker writes."""
    from weasyprint.text.fonts import FontConfiguration  # as above: only when rendering

    atexit.register(release_fonts)
    return FontConfiguration()


def check_pdf(data: bytes, pages: int) -> None:
    """Cheap validity check before a PDF may take its final name."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:] or pages < 1:
        raise RenderError("the PDF failed its validity check (truncated or without pages)")


TEMP_PREFIX = ".tmp-reporter-"
# the names atomic_write gives its temp files, and the only ones a later run may remove
TEMP_NAME = re.compile(r"\.tmp-reporter-[0-9a-f]{16}-")


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new temp file in ``folder`` under an unpredictable name, never through a link.

    Exclusive creation (``O_EXCL``, ``O_NOFOLLOW``) with mode 0666: the kernel applies the
    umask, so the final file gets the permissions any new file would (``mkstemp`` would
    force 0600 and hide the reports from a web server or the group)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}-{name[:40]}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temp name", str(folder))


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file of one report into ``folder``, each atomically, all or none: if one
    fails, the ones already written by this call are removed again."""
    written: list[Path] = []
    try:
        for name, data in files.items():
            atomic_write(folder / name, data)
            written.append(folder / name)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync and rename.

    The rename replaces a symbolic link at ``path`` instead of writing through it."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temp(folder, path.name)
    except OSError as exc:
        raise OutputError(f"cannot write to {folder}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
