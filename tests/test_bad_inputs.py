"""The bad-input matrix (cases 1-35 of ../shared/bad-inputs.md), reader by reader and as one
unattended batch over a folder that mixes every hostile file with good histories.

Legend (as in that page): E a one-line error naming the file, where and what to do; W a
report with a visible warning; R refused for security (nothing runs, nothing is fetched).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reporter.analysis import analyze
from reporter.batch import run_batch
from reporter.batch.discover import discover as real_discover
from reporter.config import Options
from reporter.errors import HistoryError, UnsafeInputError, clean
from reporter.history import load
from reporter.i18n import messages

from . import hostile
from .conftest import ROOT, pdf_text

CANARY = Path(tempfile.mkdtemp(prefix="reporter-canary-")) / "CANARY"
CASES = hostile.cases(CANARY)
BY_ID = {c.id: c for c in CASES}
FAILING = [c for c in CASES if c.expect in ("E", "R")]
LOADING = [c for c in CASES if c.expect in ("W", "OK")]
RENDER_NOTES = {  # W cases whose notice comes from drawing or laying out, not from reading
    "report.thinned": "are drawn with",
    "report.more_metrics": "more metrics and",
}
OLD = time.time() - 3600
MATPLOTLIBRC = "backend: pdf\ntext.usetex: True\nfont.family: cursive\nlines.linewidth: 9\n"


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every case written once; cases that must stay untouched are copied from here."""
    folder = tmp_path_factory.mktemp("hostile") / "src"
    hostile.build(folder, CANARY)
    return folder


def test_the_matrix_covers_every_case_and_legend() -> None:
    assert {c.num for c in CASES} | {2, 33, 34, 35} == set(range(1, 36))
    assert {c.expect for c in CASES} == {"E", "W", "R", "OK"}
    assert len({c.rel.lower() for c in CASES}) == len(CASES) - 1  # Run.json vs run.json on purpose


# ----------------------------------------------------------------------------- reader level


@pytest.mark.parametrize("case", FAILING, ids=lambda c: c.id)
def test_bad_sources_fail_with_one_line_that_says_where_what_and_what_to_do(
    case: hostile.Case, hostile_dir: Path
) -> None:
    path = hostile_dir / case.rel
    with pytest.raises(HistoryError) as info:
        load(path)
    exc = info.value
    line = exc.one_line()
    assert isinstance(exc, UnsafeInputError) == (case.expect == "R"), line
    assert re.search(case.match, line), line
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
    assert exc.path is not None and clean(exc.path, 300) in line
    assert Path(os.path.normpath(exc.path)).is_relative_to(path)  # the file or inside it
    assert exc.hint, f"no 'what to do' in: {line}"
    if case.expect == "R":
        assert "refused: " in line
    assert not CANARY.exists()


@pytest.mark.parametrize("case", LOADING, ids=lambda c: c.id)
def test_other_sources_load_and_reading_warnings_are_named(
    case: hostile.Case, hostile_dir: Path
) -> None:
    runs = load(hostile_dir / case.rel)
    assert runs
    keys = {w.key for run in runs for w in analyze(run).warnings}
    reading = {k for k in case.match.split() if k.startswith("warn.") and k != "warn.plot_failed"}
    assert reading <= keys, (case.match, keys)
    if case.expect == "OK":
        assert keys == set(), keys


def test_the_size_limit_is_configurable_and_checked_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl"
    path.write_bytes(hostile.MEMO_BOMB + b" " * 2000)
    with pytest.raises(HistoryError, match=r"2,009 bytes, over the 1,024-byte limit") as info:
        load(path, limit=1024)  # a memo bomb, but never parsed: the size comes first
    assert "--max-bytes" in (info.value.hint or "")


def test_json_values_beyond_float_range_are_infinite_gaps(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text('{"loss": [1.0, 1e400, -1e400, 0.5]}')
    (run,) = load(path)
    assert np.isposinf(run["loss"].values[1]) and np.isneginf(run["loss"].values[2])
    assert [w.params for w in run.warnings if w.key == "warn.nonfinite"] == [
        {"metric": "loss", "count": 2, "total": 4}
    ]


# ----------------------------------------------------------------------------- one batch


@dataclass
class BatchRun:
    src: Path
    out: Path
    code: int
    stdout: str
    stderr: str
    journal: dict[str, Any]
    manifest: dict[str, Any]
    opened: list[tuple[str, str]]
    secret: Path
    good: list[str]


def _audit_lines(log: Path) -> list[tuple[str, str]]:
    rows = []
    for line in log.read_text("utf-8", "replace").splitlines():
        event, _pid, arg = line.split("\t", 2)
        rows.append((event, arg))
    return rows


@pytest.fixture(scope="session")
def mixed_batch(hostile_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchRun:
    """One unattended batch over every hostile case plus good histories, in a working folder
    (and an input folder) holding a hostile matplotlibrc, under an audit hook."""
    root = tmp_path_factory.mktemp("mixed")
    src = root / "histories"
    shutil.copytree(hostile_dir, src, symlinks=True)
    good = []
    for name in ("0_baseline.pkl", "1_l2.pkl"):
        shutil.copy(ROOT / "histories" / name, src / f"good-{name}")
        good.append(f"good-{name}")
    (src / "matplotlibrc").write_text(MATPLOTLIBRC)
    secret = root / "SECRET.txt"
    secret.write_text("the private key")
    for p in src.rglob("*"):
        os.utime(p, (OLD, OLD), follow_symlinks=False)
    growing = src / "35-growing.json"  # case 35: written a moment ago, still settling
    growing.write_text(json.dumps(hostile.GOOD))
    cwd = root / "cwd"
    cwd.mkdir()
    (cwd / "matplotlibrc").write_text(MATPLOTLIBRC)
    out = root / "out"
    log = root / "audit.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    env.pop("MPLBACKEND", None)
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "audited.py"),
            str(log),
            "batch",
            str(src),
            "-o",
            str(out),
            "--jobs",
            "2",
            "--settle",
            "30",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    journal = json.loads((out / "batch.json").read_text())
    manifest = json.loads((out / ".reporter-manifest.json").read_text())
    return BatchRun(
        src,
        out,
        proc.returncode,
        proc.stdout,
        proc.stderr,
        journal,
        manifest,
        _audit_lines(log),
        secret,
        good,
    )


def _entry(run: BatchRun, case: hostile.Case) -> tuple[str, dict[str, Any]]:
    hits = [(rel, e) for rel, e in run.manifest["items"].items() if rel.startswith(case.rel)]
    assert len(hits) == 1, (case.rel, [h[0] for h in hits])
    return hits[0]


def test_batch_exits_1_with_every_bad_source_in_the_summary(mixed_batch: BatchRun) -> None:
    run = mixed_batch
    assert run.code == 1, run.stderr[-3000:]
    assert run.journal["status"] == "complete"
    failed = {f["source"]: f["reason"] for f in run.journal["failed"]}
    expected = {_entry(run, c)[0] for c in FAILING}
    assert set(failed) == expected
    for case in FAILING:
        rel, _ = _entry(run, case)
        reason = failed[rel]
        assert re.search(case.match, reason), (case.rel, reason)
        assert "\n" not in reason and "\x1b" not in reason and "Traceback" not in reason
    assert run.journal["skipped"] == ["35-growing.json"]
    assert run.journal["rendered"] == len(LOADING) + len(run.good)
    assert "Traceback" not in run.stderr


def test_batch_reports_every_good_and_degraded_source(mixed_batch: BatchRun) -> None:
    run = mixed_batch
    t = messages()
    for case in LOADING:
        _, entry = _entry(run, case)
        assert entry["status"] == "ok", (case.rel, entry)
        for folder in entry["outputs"]:
            pdf = run.out / folder / "report.pdf"
            summary = json.loads((run.out / folder / "summary.json").read_text())
            keys = {w["key"] for w in summary["warnings"]}
            expected = set(case.match.split()) if case.expect == "W" else set()
            warn_keys = {k for k in expected if k.startswith("warn.")}
            assert warn_keys <= keys, (case.rel, keys)
            if case.expect == "OK":
                assert keys == set(), (case.rel, keys)
            text = pdf_text(pdf)
            flat = " ".join(text.split())
            assert t("section.warnings").ko in text if keys else True
            for w in summary["warnings"][:3]:
                head = " ".join(w["text"]["en"].split())[:40]
                assert head in flat, (case.rel, head)
            for key in expected - warn_keys:
                assert RENDER_NOTES[key] in flat, (case.rel, key)


def test_nothing_ran_nothing_was_fetched_nothing_outside_was_read(mixed_batch: BatchRun) -> None:
    run = mixed_batch
    assert not CANARY.exists()
    # the only programs started are ctypes.util.find_library's lookups at import time
    # (WeasyPrint looking for libharfbuzz-subset: ldconfig -p, then gcc and ld); nothing an
    # input could name
    started = {a for e, a in run.opened if e in ("subprocess.Popen", "os.system")}
    assert started <= {"/sbin/ldconfig", "/usr/bin/gcc", "/usr/bin/cc", "gcc", "cc", "ld"}, started
    assert [a for e, a in run.opened if e.startswith(("socket", "urllib"))] == []
    import matplotlib

    allowed = [
        run.src,
        run.out,
        ROOT,
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(matplotlib.get_cachedir()),
        Path(matplotlib.get_configdir()),
        Path.home() / ".cache" / "reporter",
        Path("/dev/null"),
        Path("/dev/urandom"),
        Path("/proc/self"),
        Path("/etc/mime.types"),
        Path("/etc/localtime"),
        Path("/usr/share/zoneinfo"),
    ]
    tmp = Path(tempfile.gettempdir())
    outside = set()
    for event, arg in run.opened:
        if event not in ("open", "os.listdir", "os.scandir") or arg.isdigit() or arg in ("", "."):
            continue
        p = Path(arg) if os.path.isabs(arg) else run.src.parent / "cwd" / arg
        resolved = Path(os.path.normpath(p))
        if resolved == tmp or (resolved.parent == tmp and not resolved.exists()):
            continue  # tempfile's own files (ctypes.util.find_library compiles a probe there)
        if resolved.parent.parent == tmp and resolved.parent.name.startswith("weasyprint-"):
            continue  # WeasyPrint hands our @font-face fonts to fontconfig through temp files
        if any(
            p.parent == tmp and p.name.startswith(("reporter-worker-", "reporter-engine-"))
            for p in resolved.parents
        ):
            continue  # a batch worker's or a PDF engine's own temp folder, removed after it
        if not os.path.isabs(arg) and arg.startswith(("weasyprint-", "reporter-engine-")):
            continue  # WeasyPrint's, or a PDF engine's, temp folder removed (rmtree by dir_fd)
        if not any(resolved == a or resolved.is_relative_to(a) for a in allowed):
            outside.add(str(resolved))
    assert outside == set()
    read = {Path(os.path.normpath(a)) for e, a in run.opened if e == "open"}
    assert run.secret not in read
    assert not any("SECRET-outside" in str(p) for p in read)
    assert not any(str(p).startswith(("/etc/passwd", "/etc/shadow", "/etc/hostname")) for p in read)
    # matplotlib looks for ./matplotlibrc when imported: reporter imports it from its own folder
    rc_reads = {str(p) for p in read if p.name == "matplotlibrc"}
    assert rc_reads <= {
        str(run.src / "matplotlibrc"),  # sniffed as a candidate history, then ignored
        str(Path(matplotlib.get_data_path()) / "matplotlibrc"),  # matplotlib's own defaults
    }, rc_reads


def test_outputs_stay_inside_out_unique_and_complete(mixed_batch: BatchRun) -> None:
    run = mixed_batch
    out = run.out.resolve()
    folders = [p for p in out.iterdir() if p.is_dir()]
    names = [p.name for p in folders]
    assert len(names) == len({n.lower() for n in names})  # unique even on a case-blind disk
    assert all(len(n.encode()) <= 255 and not n.startswith(".") for n in names)
    for p in out.rglob("*"):
        assert p.resolve().is_relative_to(out)
        assert not p.name.startswith(".tmp-")
    assert sorted(p.name for p in run.out.parent.iterdir()) == sorted(
        ["histories", "out", "cwd", "audit.log", "SECRET.txt"]
    )
    outputs = [f for _, e in run.manifest["items"].items() for f in e.get("outputs", [])]
    assert len(outputs) == len(set(outputs)) == len(list(out.glob("*/report.pdf")))


def test_terminal_output_is_neutralised(mixed_batch: BatchRun) -> None:
    for stream in (mixed_batch.stdout, mixed_batch.stderr):
        assert "\x1b" not in stream and "\u202e" not in stream and "\x00" not in stream
    assert "\\x1b[31mred\\u202e.json" in mixed_batch.stderr + mixed_batch.stdout


def test_hostile_names_are_literal_text_and_attach_only_the_reports_data(
    mixed_batch: BatchRun,
) -> None:
    from pypdf import PdfReader

    run = mixed_batch
    for case_id, names in (
        ("21-html-names.json", hostile.HTML_NAMES),
        ("22-template-names.json", hostile.TEMPLATE_NAMES),
        ("23-mathtext-names.json", hostile.MATH_NAMES),
    ):
        _, entry = _entry(run, BY_ID[case_id])
        (folder,) = entry["outputs"]
        pdf = run.out / folder / "report.pdf"
        reader = PdfReader(str(pdf), strict=True)
        # nothing a name could smuggle in: the summary and the source file, nothing else
        assert set(reader.attachments) == {"summary.json", f"source-{case_id}"}
        flat = "".join(
            "".join(page.extract_text().split()) for page in reader.pages
        )  # table cells wrap long names: compare without whitespace
        for name in names:
            shown = "".join(name.split())
            if len(name) > 120:
                shown = shown[:40]
            assert shown in flat, (case_id, name)
    (folder,) = _entry(run, BY_ID["24-control-names.json"])[1]["outputs"]
    text = pdf_text(run.out / folder / "report.pdf")
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    flat = "".join(text.split())
    assert "[U+001B][31mred" in flat and "abc[U+202E]txt.exe" in flat and "nul[U+0000]byte" in flat
    summary = json.loads((run.out / folder / "summary.json").read_text())
    assert set(hostile.CONTROL_NAMES) <= {s for f in summary["families"] for s in f["series"]}


# ----------------------------------------------------------------------------- 33, 34


def _report_pages(history: Path, out: Path, cwd: Path) -> tuple[list[bytes], dict[str, Any]]:
    import pypdfium2 as pdfium

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MPLBACKEND", None)
    proc = subprocess.run(
        [sys.executable, "-m", "reporter", "report", str(history), "-o", str(out)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    pdf = pdfium.PdfDocument(str(folder / "report.pdf"))
    pages = [pdf[i].render(scale=1).to_pil().tobytes() for i in range(len(pdf))]
    summary = json.loads((folder / "summary.json").read_text())
    return pages, summary


def test_a_matplotlibrc_in_the_working_or_input_folder_changes_nothing(tmp_path: Path) -> None:
    history = tmp_path / "in" / "run.json"
    history.parent.mkdir()
    history.write_text(json.dumps({**hostile.GOOD, "val_$x$": hostile.GOOD["loss"]}))
    clean_cwd = tmp_path / "clean"
    clean_cwd.mkdir()
    before = _report_pages(history, tmp_path / "out1", clean_cwd)
    (history.parent / "matplotlibrc").write_text(MATPLOTLIBRC)
    after = _report_pages(history, tmp_path / "out2", history.parent)  # cwd = input folder
    assert before[1] == after[1]
    assert len(before[0]) == len(after[0]) and before[0] == after[0]


def test_inputs_that_vanish_or_lock_between_scan_and_read_fail_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.json", "gone.json", "locked.json", "z.json"):
        (src / name).write_text(json.dumps(hostile.GOOD))
        os.utime(src / name, (OLD, OLD))
    real_open = open

    def discover_then_change(*args: Any, **kw: Any) -> Any:
        found = real_discover(*args, **kw)
        (src / "gone.json").unlink()
        (src / "locked.json").chmod(0)
        return found

    def deny(file: Any, *args: Any, **kw: Any) -> Any:
        # as root chmod 000 does not stop reading: simulate what any other user sees
        if str(file).endswith("locked.json"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kw)

    monkeypatch.setattr("reporter.batch.discover", discover_then_change)
    monkeypatch.setattr("reporter.batch.manifest.open", deny, raising=False)
    monkeypatch.setattr("reporter.history.open", deny, raising=False)
    result = run_batch(src, tmp_path / "out", Options(), jobs=1)
    failed = dict(result.failed)
    assert result.exit_code == 1 and result.rendered == 2
    assert set(failed) == {"gone.json", "locked.json"}
    assert "No such file or directory" in failed["gone.json"]
    assert "Permission denied" in failed["locked.json"]


# ----------------------------------------------------------------------------- every reader

NAN = float("nan")
VALUES = [1.0, 0.6, NAN, 0.4, 0.45]


def _every_format() -> dict[str, tuple[str, bytes]]:
    """Each reader's own file (name, bytes) holding VALUES, one of them NaN."""
    import pickle

    from . import fuzzing

    csv_rows = "".join(f"{i},{v}\n" for i, v in enumerate(VALUES))
    lightning = "".join(f"{i},{10 * (i + 1)},{v}\n" for i, v in enumerate(VALUES))
    return {
        "keras-json": ("h.json", json.dumps({"loss": [1.0] * 5, "val_loss": VALUES}).encode()),
        "keras-csv": ("training.log", ("epoch,val_loss\n" + csv_rows).encode()),
        "lightning-csv": ("metrics.csv", ("epoch,step,val_loss\n" + lightning).encode()),
        "hf-trainer-state": (
            "trainer_state.json",
            json.dumps(
                {"log_history": [{"eval_loss": v, "step": 10 * i} for i, v in enumerate(VALUES)]}
            ).encode(),
        ),
        "keras-pickle": ("h.pkl", pickle.dumps({"val_loss": np.asarray(VALUES, np.float32)}, 4)),
        "mlflow-sqlite": (
            "mlflow.db",
            fuzzing.sqlite_store([("val_loss", v, 1, i) for i, v in enumerate(VALUES)]),
        ),
        "tfevents": (
            "events.out.tfevents.1.host",
            fuzzing._event_file(
                [fuzzing._scalar_event("val_loss", v, i) for i, v in enumerate(VALUES)]
            ),
        ),
    }


EVERY = _every_format()


@pytest.mark.parametrize("fmt", sorted(EVERY))
def test_every_reader_handles_empty_garbage_truncated_and_nan(fmt: str, tmp_path: Path) -> None:
    name, good = EVERY[fmt]
    path = tmp_path / name
    # NaN: read, drawn as a gap, counted in a warning
    path.write_bytes(good)
    (run,) = load(path, fmt)
    gaps = [w.params for w in run.warnings if w.key in ("warn.nonfinite", "warn.csv_gaps")]
    assert [(g["metric"].replace("eval_", "val_"), g["count"]) for g in gaps] == [("val_loss", 1)]
    # empty: an error before any parsing
    path.write_bytes(b"")
    with pytest.raises(HistoryError, match="empty file"):
        load(path, fmt)
    # garbage and truncation: a one-line error with a hint, or (for line-based formats) the
    # rows that survived with a warning; never another exception
    rng = np.random.default_rng(len(fmt))
    for data in (rng.bytes(300), good[: len(good) // 2], good[: len(good) - 7]):
        path.write_bytes(data)
        try:
            runs = load(path, fmt)
        except HistoryError as exc:
            line = exc.one_line()
            assert str(path) in line and "\n" not in line and exc.hint, line
        else:
            for r in runs:
                assert all(len(s) <= len(VALUES) for s in r.series.values())
