"""The command line: exit codes, one-line errors, atomic outputs, languages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reporter.cli import main

from .conftest import ROOT


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_usage_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("report", "--mode", "sideways", "x.json")[0] == 2
    code, _, err = invoke("report", "--direction", "acc", "x.json")
    assert code == 2 and "NAME=min" in err
    assert invoke("report", "--patience", "-1", "x.json")[0] == 2
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("report")
    assert code == 2 and "histories/" in err


def test_bad_histories_fail_with_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "histories").mkdir()
    (tmp_path / "histories" / "empty.json").write_bytes(b"")
    (tmp_path / "histories" / "evil.pkl").write_bytes(b"cposix\nsystem\n(S'touch canary'\ntR.")
    (tmp_path / "histories" / "notes.txt").write_text("ignored: not a history suffix")
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke("report", "-o", "out")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("error: histories/empty.json: empty file; ")
    assert lines[1].startswith("error: histories/evil.pkl: refused: global posix.system is not")
    assert "Traceback" not in err and not (tmp_path / "canary").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.pdf"))


def test_control_characters_in_paths_are_neutralised(tmp_path: Path) -> None:
    bad = tmp_path / "x\x1b[31mred\u202e.json"
    bad.write_bytes(b"{")
    code, _, err = invoke("report", str(bad), "-o", str(tmp_path / "out"))
    assert code == 1 and "\x1b" not in err and "\u202e" not in err and "\\x1b" in err


def test_a_failed_render_leaves_nothing_under_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporter import engine
    from reporter.errors import RenderError

    def broken(*args: object, **kwargs: object) -> object:
        raise RenderError("simulated layout failure")

    # the PDF engine is forked by the command, after this: it renders with the broken function
    monkeypatch.setattr(engine, "html_to_pdf", broken)
    out = tmp_path / "out"
    code, _, err = invoke("report", str(ROOT / "histories" / "1_l2.pkl"), "-o", str(out))
    assert code == 1 and "simulated layout failure" in err
    assert list(out.rglob("report.pdf")) == [] and list(out.rglob("summary.json")) == []
    assert list(out.rglob(".tmp-*")) == []


def test_good_and_bad_together(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.json"
    bad.write_text('{"loss": [1.0, 0.5')
    out = tmp_path / "out"
    code, stdout, err = invoke(
        "report",
        str(bad),
        str(ROOT / "histories" / "1_l2.pkl"),
        "-o",
        str(out),
        "--lang",
        "en",
        "--patience",
        "5",
    )
    assert code == 1
    assert err.startswith(f"error: {bad}:line 1 column 19: invalid JSON")
    assert "1_l2/report.pdf" in stdout
    summary = json.loads((out / "1_l2" / "summary.json").read_text())
    assert summary["options"]["lang"] == "en" and summary["early_stopping"]["patience"] == 5
    assert sorted(p.name for p in (out / "1_l2").iterdir()) == ["report.pdf", "summary.json"]


def test_language_choice_at_the_html_level() -> None:
    from reporter.analysis import analyze
    from reporter.history import load
    from reporter.i18n import messages
    from reporter.render import build_context, render_html

    (h,) = load(ROOT / "histories" / "2_l2_batchnorm.pkl")
    ctx = build_context(analyze(h), [f"asset:fig/{i}" for i in range(5)], messages())
    both, ko, en = (render_html(ctx, lang) for lang in ("both", "ko", "en"))
    assert "학습 결과 보고서" in both and "Training report" in both
    assert "학습 결과 보고서" in ko and "Training report" not in ko and 'lang="ko"' in ko
    assert "Training report" in en and "학습 결과 보고서" not in en and '<html lang="en">' in en
    assert both.index("학습 결과 보고서") < both.index("Training report")


def test_python_dash_m_and_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reporter", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "report" in proc.stdout
    assert invoke("--version")[1].startswith("main, version")
