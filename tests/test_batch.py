"""Batch runs: incremental, locked, isolated, atomic; faults F1-F15 of ../shared/bad-inputs.md."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from reporter.batch import run_batch
from reporter.cli import main
from reporter.config import Options

from .conftest import ROOT

OLD = time.time() - 3600


def tiny(path: Path, seed: int, epochs: int = 12) -> Path:
    rng = np.random.default_rng(seed)
    x = np.arange(epochs)
    history = {
        "loss": list(1 / (x + 1) + rng.normal(0, 0.01, epochs)),
        "val_loss": list(1 / (x + 1) + 0.1 + 0.01 * np.maximum(0, x - 6) ** 2),
        "accuracy": list(np.linspace(0.5, 0.95, epochs)),
        "val_accuracy": list(np.linspace(0.45, 0.85, epochs)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(history))
    os.utime(path, (OLD, OLD))
    return path


def settle(folder: Path) -> None:
    for p in folder.rglob("*"):
        os.utime(p, (OLD, OLD))


def batch(src: Path, out: Path, **kw: Any) -> Any:
    kw.setdefault("jobs", 2)
    return run_batch(src, out, Options(), **kw)


def pdfs(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.glob("*/report.pdf"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two sources rendered once; tests copy the output folder instead of rendering again."""
    root = tmp_path_factory.mktemp("batch")
    src = root / "src"
    tiny(src / "alpha.json", 1)
    tiny(src / "exp" / "beta.json", 2)
    out = root / "out"
    result = batch(src, out)
    assert result.exit_code == 0 and result.rendered == 2
    return src, out


def copy(rendered: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    src, out = rendered
    shutil.copytree(src, tmp_path / "src")
    shutil.copytree(out, tmp_path / "out")
    settle(tmp_path / "src")
    return tmp_path / "src", tmp_path / "out"


def test_reports_index_and_journal(rendered: tuple[Path, Path]) -> None:
    from pypdf import PdfReader

    _src, out = rendered
    assert pdfs(out) == ["alpha/report.pdf", "exp__beta/report.pdf"]
    html = (out / "index.html").read_text()
    assert 'href="alpha/report.pdf"' in html and 'href="exp__beta/report.pdf"' in html
    assert "학습 보고서 목록" in html and "val_loss" in html
    text = "".join(p.extract_text() for p in PdfReader(str(out / "index.pdf")).pages)
    assert "alpha" in text and "exp__beta" in text
    journal = json.loads((out / "batch.json").read_text())
    assert journal["status"] == "complete" and journal["rendered"] == 2 and journal["failed"] == []
    assert list(out.rglob(".tmp-*")) == []


def test_reruns_render_only_what_changed(
    rendered: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = copy(rendered, tmp_path)
    before = (out / "alpha" / "report.pdf").stat().st_mtime_ns
    r = batch(src, out)
    assert (r.rendered, r.unchanged, r.exit_code) == (0, 2, 0)  # no change
    os.utime(src / "alpha.json", (OLD + 60, OLD + 60))  # touch only
    assert batch(src, out).rendered == 0
    data = (src / "alpha.json").read_bytes()
    (src / "alpha.json").write_bytes(data.replace(b"0.", b"0.", 1) + b" ")  # one byte more
    os.utime(src / "alpha.json", (OLD, OLD))
    r = batch(src, out)
    assert (r.rendered, r.unchanged) == (1, 1)
    assert (out / "alpha" / "report.pdf").stat().st_mtime_ns > before
    import reporter.batch.manifest as manifest

    monkeypatch.setattr(manifest, "version", lambda: "99.0")  # a new tool version
    assert batch(src, out).rendered == 2
    assert batch(src, out, force=True).rendered == 2  # --force


def test_template_change_rerenders_all(
    rendered: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = copy(rendered, tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "report.css").write_text((templates / "report.css").read_text() + "\n/* v2 */\n")
    import reporter.batch.manifest as manifest

    monkeypatch.setattr(manifest, "templates_dir", lambda: templates)
    assert batch(src, out).rendered == 2


def _faulty(path: str, rel: str, base: str, out: str, options: Options) -> Any:
    from reporter.batch.work import process_item

    if "boom" in rel:
        raise RuntimeError("renderer exploded")
    if "hang" in rel:
        time.sleep(60)
    if "oom" in rel:
        hog = bytearray(64 * 1024**3)  # 64 GiB: past the worker's address-space limit
        del hog
    if "segv" in rel:
        os.kill(os.getpid(), signal.SIGSEGV)
    return process_item(path, rel, base, out, options)


def test_one_bad_item_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reporter.batch as batch_module

    src = tmp_path / "src"
    for i, name in enumerate(["good", "boom", "hang", "oom", "segv"]):
        tiny(src / f"{name}.json", i)
    monkeypatch.setattr(batch_module, "process_item", _faulty)
    out = tmp_path / "out"
    r = batch(src, out, item_timeout=8, jobs=2)
    reasons = dict(r.failed)
    assert r.exit_code == 1 and r.rendered == 1 and pdfs(out) == ["good/report.pdf"]
    assert "renderer exploded" in reasons["boom.json"]
    assert reasons["hang.json"] == "timed out after 8s"
    assert "out of memory" in reasons["oom.json"]
    assert reasons["segv.json"] == "crashed (signal 11)"
    journal = json.loads((out / "batch.json").read_text())
    assert {f["source"] for f in journal["failed"]} == {
        "boom.json",
        "hang.json",
        "oom.json",
        "segv.json",
    }
    assert "실패" in (out / "index.html").read_text()


def test_a_second_run_exits_75_and_touches_nothing(
    rendered: tuple[Path, Path], tmp_path: Path
) -> None:
    import fcntl

    src, out = copy(rendered, tmp_path)
    before = sorted(p.name for p in out.rglob("*"))
    with open(out / ".reporter.lock", "a") as held:  # another run's kernel lock
        fcntl.flock(held, fcntl.LOCK_EX)
        res = CliRunner().invoke(main, ["batch", str(src), "-o", str(out)])
    assert res.exit_code == 75 and "another run holds" in res.stderr
    assert sorted(p.name for p in out.rglob("*")) == before


def test_a_stale_lock_file_does_not_block(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    src, out = copy(rendered, tmp_path)
    (out / ".reporter.lock").write_text("12345\n")  # left by a killed run; nobody holds it
    assert batch(src, out).exit_code == 0


def test_output_folder_that_cannot_be_written_exits_73(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny(src / "a.json", 1)
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file", tmp_path / "missing" / "deeper"):
        res = CliRunner().invoke(main, ["batch", str(src), "-o", str(out)])
        assert res.exit_code == 73, res.output
        assert res.stderr.startswith("error: ")
    res = CliRunner().invoke(main, ["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2


def test_temp_files_live_in_the_destination_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporter import export

    seen: list[Path] = []
    real = export._create_temp

    def spy(folder: Path, name: str) -> Any:
        fd, tmp = real(folder, name)
        seen.append(tmp)
        return fd, tmp

    monkeypatch.setattr(export, "_create_temp", spy)
    export.atomic_write(tmp_path / "deep" / "x.pdf", b"%PDF-1.7")
    assert [p.parent for p in seen] == [tmp_path / "deep"]
    assert export.TEMP_NAME.match(seen[0].name) and not seen[0].exists()
    assert (tmp_path / "deep" / "x.pdf").read_bytes() == b"%PDF-1.7"


def alpha_changed(rendered: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path, bytes]:
    """A copy of the rendered batch whose alpha.json has changed; alpha's PDF as it was."""
    src, out = copy(rendered, tmp_path)
    old = (out / "alpha" / "report.pdf").read_bytes()
    (src / "alpha.json").write_bytes((src / "alpha.json").read_bytes() + b"\n")
    settle(src)
    return src, out, old


def test_disk_full_keeps_the_previous_pdf(
    rendered: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out, old = alpha_changed(rendered, tmp_path)
    parent = os.getpid()
    real_fsync = os.fsync

    def full(fd: int) -> None:
        if os.getpid() != parent:  # only in the workers
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    r = batch(src, out)
    assert r.exit_code == 1 and "No space left on device" in dict(r.failed)["alpha.json"]
    assert (out / "alpha" / "report.pdf").read_bytes() == old
    assert list(out.rglob(".tmp-*")) == []


def test_a_pdf_failing_validation_is_never_moved_into_place(
    rendered: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from weasyprint.document import Document

    src, out, old = alpha_changed(rendered, tmp_path)
    real = Document.write_pdf
    parent = os.getpid()

    def truncated(self: Any, *a: Any, **k: Any) -> Any:
        data = real(self, *a, **k)
        return data[:-400] if os.getpid() != parent else data  # only the workers' reports

    monkeypatch.setattr(Document, "write_pdf", truncated)
    r = batch(src, out)
    assert r.exit_code == 1 and "validity check" in dict(r.failed)["alpha.json"]
    assert (out / "alpha" / "report.pdf").read_bytes() == old


def test_corrupt_manifest_rebuilds(
    rendered: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src, out = copy(rendered, tmp_path)
    (out / ".reporter-manifest.json").write_text('{"schema": 1, "items": {"alp')
    r = batch(src, out)
    assert r.rendered == 2 and r.exit_code == 0
    assert "manifest unreadable" in caplog.text


def test_future_mtimes_do_not_confuse_the_rerun(
    rendered: tuple[Path, Path], tmp_path: Path
) -> None:
    src, out = copy(rendered, tmp_path)
    future = time.time() + 10 * 86400
    for p in src.rglob("*.json"):
        os.utime(p, (future, future))
    r = batch(src, out)
    assert (r.rendered, r.unchanged, r.skipped) == (0, 2, [])


def test_unsettled_files_wait_for_the_next_run(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    src, out = copy(rendered, tmp_path)
    tiny(src / "growing.json", 5)
    os.utime(src / "growing.json")  # just written
    r = batch(src, out)
    assert r.skipped == ["growing.json"] and r.rendered == 0


def test_names_are_safe_and_unique(tmp_path: Path) -> None:
    from reporter.batch import _names
    from reporter.batch.discover import Item
    from reporter.batch.manifest import Manifest

    rels = ["Run.json", "run.json", "a/b.json", "a__b.json", "x" * 300 + ".json", "..json"]
    names = _names([Item(tmp_path / r, r, False) for r in rels], Manifest(tmp_path / "m"))
    lowered = [n.lower() for n in names.values()]
    assert len(set(lowered)) == len(rels)
    assert all(
        "/" not in n and not n.startswith(".") and len(n.encode()) <= 120 for n in names.values()
    )


RUNNER = textwrap.dedent("""
    import sys, time
    import reporter.batch as b
    from reporter.batch.work import process_item
    mode = sys.argv[1]
    def slow(path, rel, base, out, options):
        if mode == "tmp":
            import pathlib
            folder = pathlib.Path(out) / base
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".tmp-reporter-0123456789abcdef-report.pdf").write_bytes(b"%PDF-1.7 half")
        time.sleep(60)
        return process_item(path, rel, base, out, options)
    b.process_item = slow
    from reporter.cli import main
    main(sys.argv[2:], prog_name="reporter")
""")


def _start(tmp_path: Path, mode: str, src: Path, out: Path) -> subprocess.Popen[bytes]:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    proc = subprocess.Popen(
        [sys.executable, str(script), mode, "batch", str(src), "-o", str(out), "-j", "1", "-q"],
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while (
        time.time() < deadline
        and not (out / ".reporter-manifest.json").exists()
        and not list(out.rglob(".tmp-reporter-*"))
    ):
        if (out / ".reporter.lock").exists() and mode == "term" and time.time() > deadline - 50:
            break
        time.sleep(0.2)
    time.sleep(2)
    return proc


def test_kill_9_mid_render_leaves_only_complete_pdfs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny(src / "a.json", 1)
    out = tmp_path / "out"
    proc = _start(tmp_path, "tmp", src, out)
    proc.kill()
    proc.wait(10)
    time.sleep(1)
    assert not list(out.glob("*/report.pdf"))
    assert list(out.rglob(".tmp-*"))  # the half-written file, under a temp name only
    r = batch(src, out)
    assert r.exit_code == 0 and r.rendered == 1 and list(out.rglob(".tmp-*")) == []


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tiny(src / "a.json", 1)
    out = tmp_path / "out"
    proc = _start(tmp_path, "tmp", src, out)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 143
    journal = json.loads((out / "batch.json").read_text())
    assert journal["status"] == "interrupted" and list(out.rglob(".tmp-*")) == []


def test_dask_executor_on_a_local_cluster(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    src = tmp_path / "src"
    shutil.copytree(rendered[0], src)
    settle(src)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        r = run_batch(
            src, tmp_path / "out", Options(), executor="dask", scheduler=cluster.scheduler_address
        )
    assert r.exit_code == 0 and r.rendered == 2
    assert pdfs(tmp_path / "out") == ["alpha/report.pdf", "exp__beta/report.pdf"]


def test_cli_lines_for_schedulers(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    src, out = copy(rendered, tmp_path)
    res = CliRunner().invoke(main, ["batch", str(src), "-o", str(out)])
    assert res.exit_code == 0 and res.stdout.startswith("done: 0 rendered, 2 unchanged")
    res = CliRunner().invoke(main, ["batch", str(src), "-o", str(out), "--quiet"])
    assert res.exit_code == 0 and res.output == ""
