"""Batch runs over hostile folders and a hostile OUT (issue 13): every promise kept.

One unattended batch runs over a source tree that mixes good histories with a FIFO, a
socket, a 1,500-level tree, runs whose names collide once made safe, and an OUT that
holds a planted link, a link as a run folder, a tampered manifest and a user's own
``.tmp-`` files. The other tests build one fault each in ``tmp_path``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reporter.batch import EXIT_INTERNAL, run_batch
from reporter.cli import main
from reporter.config import Options

from . import hostile
from .conftest import ROOT

OLD = time.time() - 3600
DEPTH = 1500
LONG = "resnet50_imagenet_cosine_warmup_label_smoothing_mixup_cutmix_ema_"  # 65 characters
SEED_NAMES = [f"{LONG}seed{i}" for i in (1, 2, 3)]
SAFE_ALIKE = ["lr 0.1", "lr_0.1", "lr/0.1", "LR_0.1"]
LOOKALIKE = {  # name -> how the report and the index show it
    "val\u061closs": "val[U+061C]loss",
    "\ufeffval_loss": "[U+FEFF]val_loss",
    "val_lo\u00adss": "val_lo[U+00AD]ss",
    "acc\u3164": "acc[U+3164]",
    "val_l\u043ess": "val_l[U+043E]ss",
}


def good(path: Path, shift: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: [v + shift for v in vs] for k, vs in hostile.GOOD.items()}))
    return path


def deep_tree(root: Path, depth: int = DEPTH) -> Path:
    """``root/d/d/…/d`` ``depth`` levels deep (built level by level: no recursion here either)."""
    root.mkdir()
    here = root
    for _ in range(depth):
        here = here / "d"
        os.mkdir(here)
    return here


def remove_tree(root: Path) -> None:
    """Remove a tree of any depth bottom-up (shutil.rmtree recurses on Python 3.11)."""
    stack, order = [root], []
    while stack:
        here = stack.pop()
        order.append(here)
        with os.scandir(here) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                else:
                    os.unlink(e.path)
    for here in reversed(order):
        os.rmdir(here)


def age(root: Path) -> None:
    stack = [root]
    while stack:
        here = stack.pop()
        with os.scandir(here) as it:
            for e in it:
                os.utime(e.path, (OLD, OLD), follow_symlinks=False)
                if e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))


@dataclass
class Hostile:
    src: Path
    out: Path
    outside: Path
    code: int
    stdout: str
    stderr: str
    seconds: float
    journal: dict[str, Any]
    manifest: dict[str, Any]
    index: str
    rerun: subprocess.CompletedProcess[str]


def _batch_cli(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "reporter", "batch", str(src), "-o", str(out), "-j", "2", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=lambda: os.umask(0o022),
    )


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("hostile-batch")
    src, out, outside = root / "src", root / "out", root / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("precious")
    good(src / "good-a.json")
    good(src / "exp" / "good-b.json", 0.01)
    good(src / "linked.json", 0.02)  # its folder in OUT is a planted link
    # runs whose names differ only after 60 characters, or only in characters made safe
    for i, name in enumerate(SEED_NAMES):
        hostile.mlflow_run(
            src / "store", "abcdef"[i] * 32, name, {"val_loss": hostile.mlflow_lines([1, 0.5 - i])}
        )
    (src / "sweep.json").write_text(json.dumps({k: hostile.GOOD for k in SAFE_ALIKE}))
    # sources whose paths collide once made safe, and one named like the index
    good(src / "a b.json", 0.03)
    good(src / "a_b.json", 0.04)
    good(src / "index.html.json", 0.05)
    # never opened: a FIFO (would block forever), a socket
    os.mkfifo(src / "pipe.json")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(src / "live.sock"))  # the socket file stays after close
    # names that look like others: invisible characters, a Cyrillic о in a Latin word
    lookalike = {**hostile.GOOD, **{n: hostile.GOOD["loss"] for n in LOOKALIKE}}
    (src / "lookalike.json").write_text(json.dumps(lookalike))
    (src / "bad\u2028line.json").write_text("{not json")  # its error must stay one line
    # a tree deeper than Python's recursion limit, with a good history at the bottom
    bottom = deep_tree(src / "deep")
    good(bottom / "deep-run.json", 0.06)
    age(src)
    # OUT as an attacker (or an unlucky operator) left it
    out.mkdir()
    (out / "linked").symlink_to(outside, target_is_directory=True)
    (out / ".tmp-notes").write_text("the user's own file")
    (out / "mine").mkdir()
    (out / "mine" / ".tmp-reporter-draft.txt").write_text("also the user's")
    (out / ".reporter-manifest.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "items": {
                    "good-a.json": {
                        "base": "../escape",
                        "status": "ok",
                        "outputs": ["../escape"],
                        "runs": [{"folder": "javascript:alert(1)//"}],
                    }
                },
            }
        )
    )
    start = time.perf_counter()
    proc = _batch_cli(src, out, "--item-timeout", "120")
    seconds = time.perf_counter() - start
    rerun = _batch_cli(src, out, "--item-timeout", "120")
    result = Hostile(
        src,
        out,
        outside,
        proc.returncode,
        proc.stdout,
        proc.stderr,
        seconds,
        json.loads((out / "batch.json").read_text()),
        json.loads((out / ".reporter-manifest.json").read_text()),
        (out / "index.html").read_text(),
        rerun,
    )
    yield result
    remove_tree(src / "deep")


def test_finishes_and_names_every_bad_source(hostile_batch: Hostile) -> None:
    run = hostile_batch
    assert run.code == 1, run.stderr[-2000:]
    assert run.journal["status"] == "complete" and run.journal["exit_code"] == 1
    failed = {f["source"]: f["reason"] for f in run.journal["failed"]}
    bad_name = "bad\u2028line.json"
    assert set(failed) == {"pipe.json", "live.sock", "linked.json", bad_name}, failed
    assert "FIFO" in failed["pipe.json"] and "socket" in failed["live.sock"]
    assert "symbolic link" in failed["linked.json"]
    lines = run.stderr.splitlines()
    assert "Traceback" not in run.stderr
    for rel in failed:
        shown = rel.replace("\u2028", "\\u2028")
        (line,) = [x for x in lines if x.startswith(f"error: {shown}:")]
        assert len(line) < 600
    assert "\u2028" not in run.stderr and "\u2028" not in run.stdout
    assert run.rerun.returncode == 1 and "Traceback" not in run.rerun.stderr
    assert run.rerun.stdout.startswith("done: 0 rendered, 9 unchanged, 4 failed")


def test_every_good_source_and_every_run_gets_its_own_folder(hostile_batch: Hostile) -> None:
    run = hostile_batch
    items = run.manifest["items"]
    ok = {rel for rel, e in items.items() if e["status"] == "ok"}
    deep_rel = str(Path("deep", *["d"] * DEPTH, "deep-run.json"))
    assert ok == {
        "good-a.json",
        "exp/good-b.json",
        "store",
        "sweep.json",
        "a b.json",
        "a_b.json",
        "index.html.json",
        "lookalike.json",
        deep_rel,
    }
    assert len(items["store"]["outputs"]) == 3 and len(items["sweep.json"]["outputs"]) == 4
    outputs = [f for e in items.values() for f in e.get("outputs", [])]
    assert len(outputs) == len({f.lower() for f in outputs}) == 3 + 4 + 7
    on_disk = sorted(p.parent.name for p in run.out.glob("*/report.pdf"))
    assert sorted(outputs) == on_disk
    # each report holds its own run, not the last one written over the others
    names = set()
    for folder in items["store"]["outputs"] + items["sweep.json"]["outputs"]:
        summary = json.loads((run.out / folder / "summary.json").read_text())
        names.add(summary["run"])
    assert len(names) == 7
    # the suffix is visible and deterministic: the same folders on the rerun
    assert json.loads((run.out / ".reporter-manifest.json").read_text())["items"] == items
    assert all(re.search(r"-[0-9a-f]{6}$", f) for f in items["store"]["outputs"])
    assert "index.html" not in {e.get("base") for e in items.values()}
    assert (run.out / "index.html").is_file()


def test_out_stays_consistent_and_nothing_is_written_through_a_link(
    hostile_batch: Hostile,
) -> None:
    from pypdf import PdfReader

    run = hostile_batch
    items = run.manifest["items"]
    links = re.findall(r'href="([^"]+)"', run.index)
    outputs = sorted(f for e in items.values() for f in e.get("outputs", []))
    assert sorted(links) == sorted(f"{f}/report.pdf" for f in outputs)
    for folder in outputs:
        assert len(PdfReader(str(run.out / folder / "report.pdf"), strict=True).pages) >= 1
    assert "javascript:" not in run.index and not (run.out.parent / "escape").exists()
    assert sorted(p.name for p in run.outside.iterdir()) == ["victim.txt"]
    assert (run.outside / "victim.txt").read_text() == "precious"
    assert (run.out / "linked").is_symlink()
    # the user's files that merely look like temp files are kept
    assert (run.out / ".tmp-notes").read_text() == "the user's own file"
    assert (run.out / "mine" / ".tmp-reporter-draft.txt").exists()
    assert not [p for p in run.out.rglob(".tmp-reporter-*") if p.parent.name != "mine"]


def test_look_alike_names_are_visible_in_the_pdf(hostile_batch: Hostile) -> None:
    from .conftest import pdf_text

    text = "".join(pdf_text(hostile_batch.out / "lookalike" / "report.pdf").split())
    for name, shown in LOOKALIKE.items():
        assert shown in text, name
        assert name not in text
    assert "\ufeff" not in text and "\u061c" not in text and "\u3164" not in text


def test_files_get_the_permissions_the_umask_gives(hostile_batch: Hostile) -> None:
    run = hostile_batch
    for path in [run.out / "index.html", run.out / "index.pdf", run.out / "batch.json"] + [
        p for p in run.out.glob("*/report.pdf")
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert stat.S_IMODE((run.out / "good-a").stat().st_mode) == 0o755


def test_within_time(hostile_batch: Hostile) -> None:
    assert hostile_batch.seconds < 300


# ----------------------------------------------------------------------------- one fault each


def test_a_fifo_given_to_report_fails_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    proc = subprocess.run(
        [sys.executable, "-m", "reporter", "report", str(tmp_path / "pipe.json")],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    (line,) = proc.stderr.splitlines()
    assert "pipe.json" in line and "not a regular file (a FIFO)" in line


def _src(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    good(src / "a.json")
    age(src)
    return src


def test_an_unexpected_error_is_never_a_complete_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reporter.batch as batch_module

    src, out = _src(tmp_path), tmp_path / "out"
    assert run_batch(src, out, Options(), jobs=1).exit_code == 0

    def broken(*args: Any, **kw: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(batch_module, "discover", broken)
    res = CliRunner().invoke(main, ["batch", str(src), "-o", str(out)])
    assert res.exit_code == EXIT_INTERNAL == 70
    journal = json.loads((out / "batch.json").read_text())
    assert journal["status"] == "internal error" and journal["exit_code"] == 70
    assert "RecursionError" in journal["error"]
    assert "RecursionError" in (out / "index.html").read_text()  # rewritten, says so
    (line,) = [x for x in res.stderr.splitlines() if "RecursionError" in x]
    assert line.startswith("error: internal error") and "Traceback" not in res.stderr


def test_write_errors_are_retried_and_a_stale_journal_never_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporter import export

    src, out = _src(tmp_path), tmp_path / "out"
    assert run_batch(src, out, Options(), jobs=1).exit_code == 0
    good(src / "a.json", 0.1)
    age(src)
    real = export._create_temp

    def full(folder: Path, name: str) -> Any:
        if name == "write-test":  # the disk fills up after the run has started
            return real(folder, name)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(export, "_create_temp", full)
    res = CliRunner().invoke(main, ["batch", str(src), "-o", str(out), "-j", "1"])
    assert res.exit_code == 73 and "No space left on device" in res.stderr
    # neither the journal nor the index of the last good run claims this run
    assert not (out / "batch.json").exists() and not (out / "index.html").exists()
    monkeypatch.setattr(export, "_create_temp", real)
    r = run_batch(src, out, Options(), jobs=1)  # room again: the failed source is retried
    assert (r.exit_code, r.rendered) == (0, 1)
    assert json.loads((out / "batch.json").read_text())["status"] == "complete"
    assert (out / "index.html").is_file()


def test_links_planted_in_out_are_never_followed(tmp_path: Path) -> None:
    src, out = _src(tmp_path), tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for pid in range(os.getpid() - 5, os.getpid() + 5):  # the old, predictable probe names
        (out / f".write-test-{pid}").symlink_to(victim)
    assert run_batch(src, out, Options(), jobs=1).exit_code == 0
    assert victim.read_text() == "precious"
    (out / ".reporter.lock").unlink()
    (out / ".reporter.lock").symlink_to(victim)
    res = CliRunner().invoke(main, ["batch", str(src), "-o", str(out)])
    assert res.exit_code == 73 and "symbolic link" in res.stderr
    assert victim.read_text() == "precious"


def test_worker_temp_folders_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)
    src = _src(tmp_path)
    good(src / "b.json", 0.2)
    age(src)
    assert run_batch(src, tmp_path / "out", Options(), jobs=2).rendered == 2
    assert list(tmp.iterdir()) == []


def test_the_index_brings_its_own_hangul_font(hostile_batch: Hostile) -> None:
    import base64
    import io
    from html.parser import HTMLParser

    from fontTools.ttLib import TTFont

    html = hostile_batch.index
    assert "asset:" not in html
    style = re.findall(r"<style>(.*?)</style>", html, re.S)[0]  # the stylesheet, then keep-all
    assert '@font-face { font-family: "ReporterHangul"; src: url("data:font/ttf;base64,' in style
    (payload,) = re.findall(r'url\("data:font/ttf;base64,([A-Za-z0-9+/=]+)"\)', style)
    cmap = TTFont(io.BytesIO(base64.b64decode(payload))).getBestCmap()

    class Text(HTMLParser):
        chunks: list[str] = []

        def handle_data(self, data: str) -> None:
            if self.lasttag != "style":
                self.chunks.append(data)

    parser = Text()
    parser.feed(html)
    hangul = {c for c in "".join(parser.chunks) if "\uac00" <= c <= "\ud7a3"}
    assert len(hangul) > 20 and all(ord(c) in cmap for c in hangul)
