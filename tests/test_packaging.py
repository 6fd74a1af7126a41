"""An installed wheel, not only the checkout, carries and finds the templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (whl,) = out.glob("reporter-*.whl")
    return whl


def test_wheel_contains_package_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "reporter/templates/report.html.j2",
        "reporter/templates/_macros.html.j2",
        "reporter/templates/report.css",
        "reporter/templates/messages.toml",
        "reporter/cli.py",
        "reporter/history/safepickle.py",
    ):
        assert name in names, name
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "reporter = reporter.cli:run" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_wheel_finds_its_own_templates(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import reporter.assets as a, reporter.i18n as i; "
        "print(a.templates_dir()); print(len(i.messages().entries))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": ""},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    folder, count = proc.stdout.split()
    assert Path(folder) == target / "reporter" / "templates" and int(count) > 60
