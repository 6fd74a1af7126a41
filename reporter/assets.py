"""Turn asset names into files: the templates folder and the bundled Hangul font.

This is the one place that knows where resources live. ``templates/`` is found
inside the installed package (a wheel maps it to ``reporter/templates``) or,
in a checkout, beside the package. NanumGothic (SIL OFL) is read from the
``koreanize-matplotlib`` wheel, located with :func:`importlib.util.find_spec`
without importing that package (it imports ``distutils``).
"""

from __future__ import annotations

import importlib.util
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


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _v

    try:
        return _v("reporter")
    except PackageNotFoundError:
        return "0+unknown"
