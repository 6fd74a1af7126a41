"""Do the pages still look the same? Render the shipped histories' reports with two versions of
reporter and compare every page as an image.

    python benchmarks/pages.py [--before REF] [--dpi 100] [--threshold 0.002] [--inputs PATH ...]

``REF`` (default ``main``) is checked out with ``git archive`` into a temp folder; the
working tree is the "after". Each PDF page is rendered at ``--dpi`` with pypdfium2 and
compared pixel by pixel in 8-bit greyscale: a pixel *differs* when its grey level moved by
more than 24 of 255 (anti-aliasing noise of a re-serialised vector stays below that). A page
passes when fewer than ``--threshold`` of its pixels differ (default 0.2 %: a changed word,
a moved line or a missing curve is far above it); the page count must match exactly.
Exits 1 when any page fails. Prints, per page, the share of differing pixels and the
largest grey-level change. ``--inputs`` reports those histories instead (each on its own;
one that fails on both sides is listed, not compared) and prints only the pages that differ.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEVEL = 24  # grey levels (of 255) a pixel may move before it counts as different


def render_inputs(source: Path, work: Path, inputs: list[Path]) -> dict[str, Path]:
    """``reporter report`` on each of ``inputs`` (absolute paths), one process each."""
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(source)}
    for path in inputs:
        subprocess.run(
            [sys.executable, "-m", "reporter", "report", str(path), "-o", "out", "-q"],
            cwd=work,
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return {p.parent.name: p for p in sorted((work / "out").glob("*/*.pdf"))}


def render(source: Path, work: Path) -> dict[str, Path]:
    """``reporter report`` on every shipped history and ``compare --series``, with the code at
    ``source``. Each side runs in its own folder holding a link to ``histories/`` (``python -m``
    puts the working folder first on ``sys.path``: it must not hold a ``reporter`` package), so
    both print the same relative paths."""
    work.mkdir()
    (work / "histories").symlink_to(ROOT / "histories")
    env = {**os.environ, "PYTHONPATH": str(source)}
    histories = sorted(f"histories/{p.name}" for p in (ROOT / "histories").glob("*.pkl"))
    for cmd in (
        ["report", *histories, "-o", "out", "-q"],
        ["compare", *histories, "--series", "-o", "out", "--name", "series"],
    ):
        subprocess.run(
            [sys.executable, "-m", "reporter", *cmd],
            cwd=work,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return {p.parent.name: p for p in sorted((work / "out").glob("*/*.pdf"))}


def pages(pdf: Path, dpi: float) -> list[object]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("L") for page in doc]
    finally:
        doc.close()


def diff(a: object, b: object) -> tuple[float, int]:
    """Share of pixels whose grey level moved by more than LEVEL, and the largest move."""
    import numpy as np

    x = np.asarray(a, dtype=np.int16)
    y = np.asarray(b, dtype=np.int16)
    if x.shape != y.shape:
        return 1.0, 255
    d = np.abs(x - y)
    return float((d > LEVEL).mean()), int(d.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="git ref to compare against")
    parser.add_argument("--dpi", type=float, default=100.0)
    parser.add_argument("--threshold", type=float, default=0.002)
    parser.add_argument("--inputs", nargs="+", type=Path, help="histories to report instead")
    args = parser.parse_args()
    inputs = [p.resolve() for p in args.inputs or []]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "before-src"
        base.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.before], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        if inputs:
            before = render_inputs(base, Path(tmp) / "before", inputs)
            after = render_inputs(ROOT, Path(tmp) / "after", inputs)
        else:
            before = render(base, Path(tmp) / "before")
            after = render(ROOT, Path(tmp) / "after")
        compared = 0
        print(
            f"pages at {args.dpi:g} dpi, {args.before} vs working tree "
            f"(pixel differs: grey moved > {LEVEL}/255; page fails: > {args.threshold:.2%})"
        )
        for name in sorted(before.keys() | after.keys()):
            if name not in before or name not in after:
                print(f"  {name}: only in {'after' if name in after else 'before'}")
                failed = True
                continue
            pa, pb = pages(before[name], args.dpi), pages(after[name], args.dpi)
            if len(pa) != len(pb):
                print(f"  {name}: {len(pa)} pages before, {len(pb)} after")
                failed = True
                continue
            for i, (a, b) in enumerate(zip(pa, pb, strict=True), 1):
                share, most = diff(a, b)
                bad = share > args.threshold
                failed |= bad
                compared += 1
                if inputs and not share:
                    continue
                print(
                    f"  {name} p{i}: {share:7.4%} of pixels differ, max {most:3d}/255"
                    + ("  FAIL" if bad else "")
                )
        print(f"  {compared} pages of {len(after)} reports compared")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
