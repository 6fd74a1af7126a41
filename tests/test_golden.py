"""Gold files: the shipped histories' summary.json, comparison.json and PDF text, kept in
tests/golden/ so that any change to what a report says or how summary.json is shaped shows up
as a diff here, on purpose or not.

Volatile parts are scrubbed (the tool version, absolute paths). After a deliberate change,
update the gold files with ``make golden`` (``REPORTER_UPDATE_GOLDEN=1 pytest
tests/test_golden.py``) and review ``git diff tests/golden``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reporter.assets import version
from reporter.cli import main

from .conftest import ROOT, pdf_text

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("REPORTER_UPDATE_GOLDEN") == "1"
SHIPPED = sorted((ROOT / "histories").glob("*.pkl"))


@dataclass
class Shipped:
    out: Path
    files: dict[str, str]  # gold name -> scrubbed content


def scrub(text: str, out: Path) -> str:
    text = text.replace(str(out), "<OUT>").replace(str(ROOT), "<ROOT>")
    return re.sub(re.escape(version()), "<VERSION>", text)


def _pdf_gold(pdf: Path, out: Path) -> str:
    from pypdf import PdfReader

    pages = len(PdfReader(str(pdf)).pages)
    return f"pages: {pages}\n\n" + scrub(pdf_text(pdf), out) + "\n"


def _json_gold(path: Path, out: Path) -> str:
    data: Any = json.loads(path.read_text("utf-8"))
    return scrub(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), out) + "\n"


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Shipped:
    """The three shipped histories and their series comparison, each rendered once."""
    out = tmp_path_factory.mktemp("golden")
    runner = CliRunner()
    args = [str(p.relative_to(ROOT)) for p in SHIPPED]
    cwd = Path.cwd()
    os.chdir(ROOT)  # paths as a newcomer types them: histories/0_baseline.pkl
    try:
        for cmd in (
            ["report", *args, "-o", str(out)],
            ["compare", *args, "--series", "-o", str(out), "--name", "series"],
        ):
            result = runner.invoke(main, cmd, catch_exceptions=False)
            assert result.exit_code == 0, result.output
    finally:
        os.chdir(cwd)
    files: dict[str, str] = {}
    for p in SHIPPED:
        folder = out / p.stem
        files[f"{p.stem}.summary.json"] = _json_gold(folder / "summary.json", out)
        files[f"{p.stem}.pdf.txt"] = _pdf_gold(folder / "report.pdf", out)
    files["series.comparison.json"] = _json_gold(out / "series" / "comparison.json", out)
    files["series.pdf.txt"] = _pdf_gold(out / "series" / "comparison.pdf", out)
    return Shipped(out, files)


NAMES = [
    *(f"{p.stem}.{kind}" for p in SHIPPED for kind in ("summary.json", "pdf.txt")),
    "series.comparison.json",
    "series.pdf.txt",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_output_matches_the_gold_file(shipped: Shipped, name: str) -> None:
    gold = GOLDEN / name
    now = shipped.files[name]
    if UPDATE or not gold.exists():
        if not UPDATE:
            pytest.fail(f"{gold} is missing: run `make golden` and commit it")
        gold.write_text(now, "utf-8")
        return
    before = gold.read_text("utf-8")
    if now != before:
        diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                now.splitlines(keepends=True),
                f"golden/{name}",
                "now",
                n=2,
            )
        )
        pytest.fail(f"{name} changed (make golden updates it after a deliberate change):\n{diff}")


def test_every_gold_file_is_still_produced() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(NAMES)
