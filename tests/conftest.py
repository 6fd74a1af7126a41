"""Shared fixtures: every PDF is rendered once per test session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REPORTER_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "histories-seed"
REAL = SHARED / "histories-real"
ORACLES = SHARED / "oracles"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is not laid out here)")
    return path


@dataclass
class Rendered:
    """A report written by the real CLI: its folder, PDF text and summary."""

    folder: Path
    pdf: Path
    summary: dict[str, Any]
    text: str
    stdout: str
    stderr: str


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path), strict=True)
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def render_cli(args: list[str], out: Path) -> Any:
    from reporter.cli import main

    runner = CliRunner()
    return runner.invoke(main, ["report", *args, "-o", str(out)], catch_exceptions=False)


def render_one(history: Path, out: Path, *extra: str) -> Rendered:
    result = render_cli([str(history), *extra], out)
    assert result.exit_code == 0, result.output + result.stderr
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    folder = folders[0]
    pdf = folder / "report.pdf"
    return Rendered(
        folder,
        pdf,
        json.loads((folder / "summary.json").read_text("utf-8")),
        pdf_text(pdf),
        result.stdout,
        result.stderr,
    )


@pytest.fixture(scope="session")
def baseline_report(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The shipped example history, reported in both languages."""
    return render_one(ROOT / "histories" / "0_baseline.pkl", tmp_path_factory.mktemp("baseline"))


@pytest.fixture(scope="session")
def seed6_report(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The user's own run 6, reconstructed from their plots (needs ../shared)."""
    path = need(SEED / "6_NLP_MLP_Regularized_L2_BM.json")
    return render_one(path, tmp_path_factory.mktemp("seed6"))


def squash_text(text: str) -> str:
    """Text without whitespace, for comparing PDF extraction (which re-wraps lines)."""
    import re

    return re.sub(r"\s+", "", text)
