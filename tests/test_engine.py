"""The PDF engine process (reporter.engine): the same bytes as rendering in one process, on
every path a report can take through it (figures drawn thinned, a class heatmap, a figure that
fails, the engine killed before or during a job, a render error, batch workers), and nothing
left behind (temp folders, child processes).

The engine forks only a single-threaded process, and this pytest process may have loaded JAX
(threads) in another test: every engine run here is a fresh ``python`` subprocess, either
``python -m reporter`` or a short script that first wraps a few of the engine's functions, to
record what happened and to make a PDF rendered outside the engine fail loudly (the rendering
itself is left alone, except where a test simulates a failure).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reporter import engine
from reporter.errors import RenderError, clean
from reporter.export import check_pdf

from .conftest import ROOT, pdf_text, squash_text

pytestmark = pytest.mark.slow

BASELINE = ROOT / "histories" / "0_baseline.pkl"
PLOT_FAILED_EN = "Could not plot loss"
PLOT_FAILED_KO = "그래프를 그리지 못했습니다"


def _env(with_engine: bool, extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop(engine.ENV, None)
    if not with_engine:
        env[engine.ENV] = "0"
    return env


def _run(
    args: list[str], *, with_engine: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=_env(with_engine, extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _script(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def _by_source(out: Path) -> dict[str, Path]:
    """Each report folder under ``out``, by the history it was made from (summary.json's
    ``source``): folder names depend on the command (``report`` or ``batch``), this does not."""
    found: dict[str, Path] = {}
    for summary in out.glob("*/summary.json"):
        source = json.loads(summary.read_text("utf-8"))["source"]
        assert source not in found, (source, summary)
        found[source] = summary.parent
    return found


def _same_report(a: Path, b: Path) -> None:
    for name in ("report.pdf", "summary.json"):
        left, right = (a / name).read_bytes(), (b / name).read_bytes()
        assert left == right, f"{a / name} differs from {b / name}"


# ----------------------------------------------------------------------------- histories


def _long(path: Path) -> Path:
    """3000 epochs: both loss lines are drawn thinned (over figures.MAX_POINTS points)."""
    n = 3000
    history = {
        "loss": [1 / (1 + i / 100) + 0.01 * math.sin(i) for i in range(n)],
        "val_loss": [1 / (1 + i / 120) + 0.05 + 0.02 * math.cos(i / 3) for i in range(n)],
    }
    path.write_text(json.dumps(history))
    return path


def _classes(path: Path) -> Path:
    """recall and val_recall for 12 classes: a crowded per-class family (a heatmap, 5.4 in)."""
    epochs = 8
    history = {
        "loss": [1 / (e + 1) for e in range(epochs)],
        "val_loss": [1.1 / (e + 1) + 0.01 * e for e in range(epochs)],
    }
    for c in range(12):
        suffix = "" if c == 0 else f"_{c}"
        history["recall" + suffix] = [min(1.0, 0.3 + 0.05 * e + 0.01 * c) for e in range(epochs)]
        history["val_recall" + suffix] = [
            min(1.0, 0.25 + 0.04 * e + 0.012 * c) for e in range(epochs)
        ]
    path.write_text(json.dumps(history))
    return path


def _extreme(path: Path) -> Path:
    """Values at the edge of the float range: the loss figure fails to draw (warn.plot_failed),
    as in the bad-input matrix (tests/hostile.py, case 19)."""
    history = {"loss": [1e308, -1e308, 1e308, -1e308], "val_loss": [-1e308, 1e308, 0.0, 1e308]}
    path.write_text(json.dumps(history))
    return path


@dataclass
class Sources:
    folder: Path
    long: Path
    classes: Path
    extreme: Path
    batch: Path  # a folder holding two copies of the baseline history, x/ and y/

    @property
    def reported(self) -> list[Path]:
        """What the engine run reports, in this order: the failing figure second, so that a
        pipe left out of step by the abandoned job would spoil the reports after it."""
        return [BASELINE, self.extreme, self.long, self.classes]

    @property
    def copies(self) -> list[Path]:
        return [self.batch / "x" / BASELINE.name, self.batch / "y" / BASELINE.name]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Sources:
    folder = tmp_path_factory.mktemp("engine-sources")
    batch = folder / "batch"
    for sub in ("x", "y"):
        (batch / sub).mkdir(parents=True)
        shutil.copyfile(BASELINE, batch / sub / BASELINE.name)
    return Sources(
        folder,
        _long(folder / "long.json"),
        _classes(folder / "classes.json"),
        _extreme(folder / "extreme.json"),
        batch,
    )


@pytest.fixture(scope="module")
def reference(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every history of this module reported with REPORTER_ENGINE=0 (one process, no engine),
    by source path."""
    out = tmp_path_factory.mktemp("no-engine")
    paths = [str(p) for p in [*sources.reported, *sources.copies]]
    proc = _run(["-m", "reporter", "report", "-q", *paths, "-o", str(out)], with_engine=False)
    assert proc.returncode == 0, proc.stderr
    found = _by_source(out)
    assert sorted(found) == sorted(paths)
    return found


# ----------------------------------------------------------------------------- same bytes

# `reporter report` after forking the engine itself, so it can record every job: whether it
# went to the engine, how many were abandoned, and that this process never rendered a PDF
RECORDING = """
    import json, sys
    from reporter import engine

    stats = {"started": engine.start(), "jobs": [], "abandoned": 0}
    real_job, real_abandon = engine.job, engine.Job.abandon

    def job(*args, **kwargs):
        todo = real_job(*args, **kwargs)
        stats["jobs"].append("engine" if todo.engine is not None else "here")
        return todo

    def abandon(self):
        stats["abandoned"] += 1
        real_abandon(self)

    def here(*args, **kwargs):
        raise AssertionError("a PDF was rendered in this process, not in the engine")

    engine.job, engine.Job.abandon, engine.html_to_pdf = job, abandon, here
    from reporter.cli import main

    try:
        main(sys.argv[2:], prog_name="reporter")
    finally:
        with open(sys.argv[1], "w") as fh:
            json.dump(stats, fh)
"""


@dataclass
class EngineRun:
    out: Path
    reports: dict[str, Path]
    stats: dict[str, object]
    stderr: str


@pytest.fixture(scope="module")
def engine_run(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> EngineRun:
    root = tmp_path_factory.mktemp("engine")
    out, stats = root / "out", root / "stats.json"
    script = _script(root, "recording.py", RECORDING)
    paths = [str(p) for p in sources.reported]
    proc = _run([script, str(stats), "report", "-q", *paths, "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    return EngineRun(out, _by_source(out), json.loads(stats.read_text()), proc.stderr)


def test_the_engine_renders_every_pdf(engine_run: EngineRun, sources: Sources) -> None:
    # four reports and one render again (the failed figure's warning): all in the engine
    assert engine_run.stats["started"] is True
    assert engine_run.stats["jobs"] == ["engine"] * (len(sources.reported) + 1)


@pytest.mark.parametrize("which", ["baseline", "long", "classes"])
def test_same_bytes_with_and_without_the_engine(
    which: str, engine_run: EngineRun, reference: dict[str, Path], sources: Sources
) -> None:
    path = {"baseline": BASELINE, "long": sources.long, "classes": sources.classes}[which]
    _same_report(engine_run.reports[str(path)], reference[str(path)])


def test_the_histories_take_the_special_paths(sources: Sources) -> None:
    """What the same-bytes tests rely on: the long history's lines are drawn thinned and the
    12 classes are crowded into a heatmap (its figure 5.4 in high), as planned."""
    from reporter import figures
    from reporter.analysis import analyze
    from reporter.history import load

    (long,) = load(sources.long)
    (loss,) = figures.plan(analyze(long))
    assert {name for name, _, logged in loss.thinned if logged == 3000} == {"loss", "val_loss"}
    (crowded,) = load(sources.classes)
    plans = figures.plan(analyze(crowded))
    per_class = [p for p in plans if p.family.kind == "per_class"]
    assert [len(p.family.metrics) for p in per_class] == [12]
    assert per_class[0].size == (figures.WIDTH, figures.CROWDED_HEIGHT) == (7.4, 5.4)


# ----------------------------------------------------------------------------- a figure fails


def test_a_figure_that_fails_under_the_engine(
    engine_run: EngineRun, reference: dict[str, Path], sources: Sources
) -> None:
    folder = engine_run.reports[str(sources.extreme)]
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    assert "warn.plot_failed" in [w["key"] for w in summary["warnings"]]
    from pypdf import PdfReader

    check_pdf((folder / "report.pdf").read_bytes(), len(PdfReader(folder / "report.pdf").pages))
    text = squash_text(pdf_text(folder / "report.pdf"))  # a strict pypdf read
    assert squash_text(PLOT_FAILED_EN) in text and squash_text(PLOT_FAILED_KO) in text
    assert engine_run.stats["abandoned"] == 1  # the page laid out without the warning
    _same_report(folder, reference[str(sources.extreme)])


# ----------------------------------------------------------------------------- the engine dies

# The engine SIGKILLed (and reaped) at three moments of a job: before it is sent, right after
# it is sent (the figures then find the pipe closed), and once every figure is sent (the reply
# is then EOF); each time a new engine is forked for the next report. Then one forked after
# this process has rendered (and holds WeasyPrint's fonts) renders and stops normally: this
# process still renders with its own fonts. (Run with one BLAS thread: numpy's second thread
# would keep the engine from being forked again.)
DYING = """
    import json, os, signal, sys
    from pathlib import Path
    from reporter import engine

    history, out = sys.argv[2], Path(sys.argv[3])
    seen = {}
    when = None

    def kill(pid):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    real_job, real_result = engine.job, engine.Job.result

    def job(*args, **kwargs):
        todo = real_job(*args, **kwargs)
        seen[when] = {"in_engine": todo.engine is not None}
        if when == "sent" and todo.engine is not None:
            kill(todo.engine.pid)
        return todo

    def result(self):
        if when == "drawn" and self.engine is not None:
            kill(self.engine.pid)
        return real_result(self)

    engine.job, engine.Job.result = job, result
    from reporter.config import Options
    from reporter.pipeline import report_source

    for when in ("before", "sent", "drawn", "third"):
        started = engine.start()
        if when == "before":
            kill(engine._engine.pid)
        report_source(history, Options(), out / when)
        seen[when].update(started=started, lost=engine._engine is None)
    engine.stop()
    when = "after"
    report_source(history, Options(), out / when)
    with open(sys.argv[1], "w") as fh:
        json.dump(seen, fh)
"""


@pytest.fixture(scope="module")
def dying(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("dying")
    out, stats = root / "out", root / "seen.json"
    tmp = root / "tmp"  # where every temp file of the run goes, engines' included
    tmp.mkdir()
    script = _script(root, "dying.py", DYING)
    proc = _run(
        [script, str(stats), str(BASELINE), str(out)],
        TMPDIR=str(tmp),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    assert proc.returncode == 0, proc.stderr
    # a killed engine cannot clean up: its parent removed its temp folder (fonts) for it
    assert list(tmp.iterdir()) == []
    return out, json.loads(stats.read_text())


def test_a_killed_engine_falls_back_to_this_process(
    dying: tuple[Path, dict[str, Any]], reference: dict[str, Path]
) -> None:
    out, seen = dying
    # killed before: the job finds the pipe closed as it is sent, and is rendered here
    assert seen["before"] == {"in_engine": False, "started": True, "lost": True}
    for when in ("sent", "drawn"):
        assert seen[when] == {"in_engine": True, "started": True, "lost": True}, when
    for when in ("before", "sent", "drawn"):
        (folder,) = (out / when).iterdir()
        _same_report(folder, reference[str(BASELINE)])


def test_an_engine_forked_after_rendering_here_leaves_our_fonts_alone(
    dying: tuple[Path, dict[str, Any]], reference: dict[str, Path]
) -> None:
    out, seen = dying
    assert seen["third"] == {"in_engine": True, "started": True, "lost": False}
    assert seen["after"] == {"in_engine": False}  # stopped: rendered here
    for when in ("third", "after"):
        (folder,) = (out / when).iterdir()
        _same_report(folder, reference[str(BASELINE)])


# ----------------------------------------------------------------------------- nothing left

# `reporter report` in this process, then: which engine was forked, and is any child left
# (running or unreaped)?
CHILDREN = """
    import json, os, sys
    from reporter import engine

    pids, real_start = [], engine.start

    def start():
        started = real_start()
        pids.append(engine._engine.pid if engine._engine is not None else None)
        return started

    engine.start = start
    from reporter.cli import main

    try:
        main(sys.argv[2:], prog_name="reporter")
    except SystemExit as exc:
        code = exc.code
    try:
        os.waitpid(-1, os.WNOHANG)
        children = "some"
    except ChildProcessError:
        children = "none"
    with open(sys.argv[1], "w") as fh:
        json.dump({"code": code, "pids": pids, "children": children}, fh)
"""


def test_no_temp_files_and_no_child_left(tmp_path: Path, reference: dict[str, Path]) -> None:
    tmp, out, stats = tmp_path / "tmp", tmp_path / "out", tmp_path / "stats.json"
    tmp.mkdir()
    script = _script(tmp_path, "children.py", CHILDREN)
    proc = _run(
        [script, str(stats), "report", "-q", str(BASELINE), "-o", str(out)], TMPDIR=str(tmp)
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(stats.read_text())
    assert seen["code"] == 0 and len(seen["pids"]) == 1 and isinstance(seen["pids"][0], int)
    assert seen["children"] == "none"  # the engine ended and was reaped before the command returned
    assert sorted(p.name for p in tmp.iterdir()) == []
    _same_report(out / "0_baseline", reference[str(BASELINE)])


def test_python_dash_m_leaves_no_temp_files(tmp_path: Path) -> None:
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    proc = _run(["-m", "reporter", "report", "-q", str(BASELINE), "-o", str(out)], TMPDIR=str(tmp))
    assert proc.returncode == 0, proc.stderr
    assert (out / "0_baseline" / "report.pdf").is_file()
    assert sorted(p.name for p in tmp.iterdir()) == []


# ----------------------------------------------------------------------------- errors

# the engine's render fails once with a RenderError (patched before the fork: the engine
# inherits it), then renders normally; this process must never render
ERRING = """
    import json, sys
    from reporter import engine
    from reporter.errors import RenderError

    message, hint = json.loads(sys.argv[1])
    real, calls = engine.html_to_pdf, []

    def broken_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RenderError(message, hint=hint)
        return real(*args, **kwargs)

    engine.html_to_pdf = broken_once
    assert engine.start()

    def here(*args, **kwargs):
        raise RenderError("rendered in the parent, not in the engine")

    engine.html_to_pdf = here
    from reporter.cli import main

    main(sys.argv[2:], prog_name="reporter")
"""


def test_a_render_error_crosses_the_pipe_as_one_line(
    tmp_path: Path, reference: dict[str, Path]
) -> None:
    message, hint = "simulated layout failure: 레이아웃\nbroken \x1b[31m", "try again"
    failing = ROOT / "histories" / "1_l2.pkl"
    out = tmp_path / "out"
    script = _script(tmp_path, "erring.py", ERRING)
    args = ["report", "-q", str(failing), str(BASELINE), "-o", str(out)]
    proc = _run([script, json.dumps([message, hint]), *args])
    assert proc.returncode == 1
    # what the same error raised in this process prints
    expected = f"error: {clean(failing)}: {RenderError(message, hint=hint).one_line()}"
    assert proc.stderr.splitlines() == [expected]
    assert not (out / "1_l2").exists() or sorted((out / "1_l2").iterdir()) == []
    assert list(out.rglob(".tmp-*")) == []
    # the engine went on to the next report, its pipe in step
    assert sorted(p.name for p in out.iterdir()) == ["0_baseline"]
    _same_report(out / "0_baseline", reference[str(BASELINE)])


# ----------------------------------------------------------------------------- where not

AVAILABLE = """
    import json, os, sys, threading
    from reporter import engine

    seen = {"alone": engine.available()}
    os.environ["REPORTER_ENGINE"] = "0"
    seen["switched_off"] = [engine.available(), engine.start()]
    del os.environ["REPORTER_ENGINE"]
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    seen["threaded"] = [engine.available(), engine.start()]
    release.set()
    thread.join()
    seen["forked"] = engine._engine is not None
    with open(sys.argv[1], "w") as fh:
        json.dump(seen, fh)
"""


def test_the_engine_is_not_forked_where_it_must_not_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stats = tmp_path / "seen.json"
    proc = _run([_script(tmp_path, "available.py", AVAILABLE), str(stats)])
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(stats.read_text())
    assert seen == {
        "alone": True,
        "switched_off": [False, False],
        "threaded": [False, False],
        "forked": False,
    }
    monkeypatch.setenv(engine.ENV, "0")
    assert engine.available() is False


# ----------------------------------------------------------------------------- batch workers

# `reporter batch`, whose workers must render in their engine: once a worker is warm, its
# own rendering fails
BATCH = """
    import sys
    import reporter.batch as batch
    from reporter import engine

    real_warm_up = batch.warm_up

    def warm_up(**kwargs):
        real_warm_up(**kwargs)
        if engine._engine is None:
            raise SystemExit("no PDF engine in this batch worker")

        def here(*args, **kwargs):
            raise RuntimeError("rendered in the batch worker, not in its engine")

        engine.html_to_pdf = here

    batch.warm_up = warm_up
    from reporter.cli import main

    main(sys.argv[1:], prog_name="reporter")
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="an engine per worker needs 2 cores")
def test_batch_workers_render_in_their_engine(
    tmp_path: Path, sources: Sources, reference: dict[str, Path]
) -> None:
    out = tmp_path / "out"
    script = _script(tmp_path, "batch.py", BATCH)
    proc = _run([script, "batch", str(sources.batch), "-o", str(out), "-j", "1", "--settle", "0"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = _by_source(out)
    assert sorted(found) == sorted(str(p) for p in sources.copies)
    for copy in sources.copies:
        _same_report(found[str(copy)], reference[str(copy)])


# A process forked from one that has an engine (a batch worker under `reporter batch`, whose
# own engine renders the index) drops the inherited handle and forks an engine of its own.
INHERITED = """
    import json, os, sys
    from reporter import engine

    assert engine.start()
    parent_engine = engine._engine.pid
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        mine = engine._ours()
        started = engine.start()
        seen = {"inherited_dropped": mine is None, "started": started,
                "own": engine._engine is not None and engine._engine.pid != parent_engine}
        pdf = engine.job('<html lang="en"><body><p>x</p></body></html>').result()
        seen["rendered"] = pdf.pages == 1
        engine.stop()
        os.write(w, json.dumps(seen).encode())
        os._exit(0)
    os.waitpid(child, 0)
    seen = json.loads(os.read(r, 4096))
    pdf = engine.job('<html lang="en"><body><p>y</p></body></html>').result()
    seen["parent_still_renders"] = pdf.pages == 1 and engine._engine.pid == parent_engine
    engine.stop()
    print(json.dumps(seen))
"""


def test_a_forked_child_gets_its_own_engine(tmp_path: Path) -> None:
    proc = _run([_script(tmp_path, "inherited.py", INHERITED)])
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {
        "inherited_dropped": True,
        "started": True,
        "own": True,
        "rendered": True,
        "parent_still_renders": True,
    }


def test_workers_get_an_engine_only_with_a_core_to_spare() -> None:
    from reporter.batch import engine_per_worker

    assert engine_per_worker(1, 2) and engine_per_worker(2, 4) and engine_per_worker(3, 8)
    assert not engine_per_worker(2, 2) and not engine_per_worker(3, 4)
    assert not engine_per_worker(1, 1)


@pytest.mark.parametrize("to", [("json",), ("json", "html"), ("json", "pdf", "html")])
def test_a_failed_figure_is_in_the_summary_whatever_is_written(to: tuple[str, ...]) -> None:
    """Without a PDF there is nothing to overlap: the figures are drawn first, so a figure that
    fails is still said in summary.json and on the HTML page."""
    from reporter.config import Options
    from reporter.history.model import History, epoch_series
    from reporter.pipeline import render_report

    values = {"loss": [1e308, -1e308, 1e308, -1e308], "val_loss": [-1e308, 1e308, 0.0, 1e308]}
    series = {k: epoch_series(k, v) for k, v in values.items()}
    run = History("edge", Path("edge.json"), series, "test")
    _, rendered = render_report(run, Options(to=to))
    summary = json.loads(rendered.files["summary.json"])
    assert "warn.plot_failed" in [w["key"] for w in summary["warnings"]]
    if "html" in to:
        assert "Could not plot" in rendered.files["report.html"].decode("utf-8")
