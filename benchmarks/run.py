"""Turn repeated, interleaved runs of reporter and the hand-written floor into speed/memory ratios.

    python benchmarks/run.py [--repeat N] [SUITE ...]

Every figure is printed with its ratio to the floor (../shared/bench/floor.py --fmt svg)
measured in the same run, so a busy machine slows both sides alike.

Suites:
  report   `reporter report` on the seed-shaped example history vs the floor
           (targets: time <= 0.6x, peak memory <= 1.0x the floor)
  warm     one report inside a warm batch worker vs the floor (target <= 0.3x)
  read     parsing the largest ../shared histories vs their whole report (target < 5%)
  scale    a 100,000-step log vs the seed-shaped history (<= 1.5x, PDF <= 1 MB); 100 and
           1000 classes vs 5 (<= 2x); peak memory <= 250 MiB in every case
  batch    20 histories with --jobs 2 vs one process per report on one core (>= 1.8x); a
           report in a warm worker vs a cold `reporter report`, one process each (<= 0.5x); a
           no-op rerun over 100 histories (< 1 s)
  clone    `git clone` then `make report` (pip cache warm), for HEAD and for --before
           (default: main before issue 18, when `make report` also installed the test tools)

Each command runs in a fresh process and is timed with nothing else watching it; memory
is measured in separate runs: the peak, sampled every 20 ms, of the summed proportional set
sizes (PSS) of the command's processes (``reporter report`` is two: it and its PDF engine).
Runs of the two sides alternate so machine noise hits both alike. Medians are printed,
then the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REPORTER_SHARED", ROOT.parent / "shared"))
FLOOR = SHARED / "bench" / "floor.py"
sys.path.insert(0, str(ROOT))  # tests.shapes: the inputs the scale tests check


CLONE_BEFORE = "1f38480"  # main before issue 18


def floor_cmd(work: Path) -> list[str]:
    return [sys.executable, str(FLOOR), "--fmt", "svg", "--out", str(work / "floor.pdf")]


def floor_seconds(work: Path, repeat: int) -> float:
    """Median wall time of the floor, measured now (for the suites' ratios)."""
    if not FLOOR.exists():
        raise SystemExit(f"{FLOOR} is missing: the floor lives in ../shared/bench")
    measure(floor_cmd(work), work)  # warm the file cache
    return statistics.median(measure(floor_cmd(work), work)[0] for _ in range(repeat))


def x_floor(seconds: float, floor: float) -> str:
    return f"{seconds / floor:5.2f}x the floor"


def report_cmd(history: Path, out: Path) -> list[str]:
    """``reporter report HISTORY -o OUT -q`` as a fresh process, as a user would run it."""
    return [sys.executable, "-m", "reporter", "report", str(history), "-o", str(out), "-q"]


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux ``/proc/PID/task/TID/children``)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def _pss_kib(pid: int) -> int:
    """The process's proportional set size: its private pages plus its share of the pages it
    shares (with its engine, or the libraries every process maps), in KiB; its resident size
    where the kernel has no ``smaps_rollup``."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


def measure(
    cmd: list[str], cwd: Path, memory: bool = False, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Wall seconds of one command and, with ``memory``, its peak memory in MiB: the largest
    sum, sampled every 20 ms, of the proportional set sizes of the command's processes
    (``reporter report`` runs two, it and its PDF engine, which share the pages mapped before
    the fork; the floor runs one). Sampling slows the command down, so a run measures either
    time or memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=None if env is None else {**os.environ, **env},
    )
    peak = 0
    while True:
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG if memory else 0)
        if pid:
            break
        peak = max(peak, sum(_pss_kib(p) for p in _tree(proc.pid)))
        time.sleep(0.02)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{err}")
    return wall, peak / 1024


def compare(
    label: str,
    ours: list[str],
    floor: list[str],
    repeat: int,
    cwd: Path,
    targets: tuple[float, float],
) -> dict[str, float]:
    measure(ours, cwd), measure(floor, cwd)  # warm the file cache
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        a.append(measure(ours, cwd)[0])
        b.append(measure(floor, cwd)[0])
    mem_a: list[float] = []
    mem_b: list[float] = []
    for _ in range(max(3, repeat // 2)):
        mem_a.append(measure(ours, cwd, memory=True)[1])
        mem_b.append(measure(floor, cwd, memory=True)[1])
    t_a, m_a = statistics.median(a), statistics.median(mem_a)
    t_b, m_b = statistics.median(b), statistics.median(mem_b)
    print(f"\n== {label} (median of {repeat})")
    print(f"  reporter : {t_a:6.2f} s  {m_a:6.1f} MiB (peak PSS, all its processes)")
    print(f"  floor    : {t_b:6.2f} s  {m_b:6.1f} MiB")
    print(
        f"  ratio    : time {t_a / t_b:.2f}x (target <= {targets[0]}x)   "
        f"memory {m_a / m_b:.2f}x (target <= {targets[1]}x)"
    )
    return {"time_ratio": t_a / t_b, "memory_ratio": m_a / m_b}


def suite_report(repeat: int) -> None:
    if not FLOOR.exists():
        raise SystemExit(f"{FLOOR} is missing: the floor lives in ../shared/bench")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ours = report_cmd(ROOT / "histories" / "0_baseline.pkl", work / "out")
        compare(
            "report: seed-shaped history, 30 epochs x 5 classes",
            ours,
            floor_cmd(work),
            repeat,
            work,
            (0.6, 1.0),
        )


def _item_seconds(out: Path) -> list[float]:
    """Seconds of each item of a batch, as its manifest records them (inside the worker:
    after its warm-up, without the pool's start-up)."""
    import json

    manifest = json.loads((out / ".reporter-manifest.json").read_text())
    return [e["seconds"] for e in manifest["items"].values()]


def _copies(folder: Path, n: int) -> Path:
    """``folder`` holding ``n`` copies of the seed-shaped history (run000.pkl …)."""
    import shutil

    folder.mkdir()
    for i in range(n):
        shutil.copy(ROOT / "histories" / "0_baseline.pkl", folder / f"run{i:03d}.pkl")
    return folder


def suite_warm(repeat: int) -> None:
    """A report inside a warm batch worker vs the floor, runs of the two interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src = _copies(work / "src", 6)
        measure(floor_cmd(work), work)
        warm: list[float] = []
        floor: list[float] = []
        for k in range(repeat):
            _batch(src, work / f"out{k}", 1)
            items = _item_seconds(work / f"out{k}")
            warm.append(statistics.median(items[1:]))  # the first item pays first-use costs
            floor.append(measure(floor_cmd(work), work)[0])
        t_w, t_f = statistics.median(warm), statistics.median(floor)
        print(f"\n== warm: one report in a warm batch worker (median of {repeat} batches of 6)")
        print(f"  reporter : {t_w:6.2f} s")
        print(f"  floor    : {t_f:6.2f} s")
        print(f"  ratio    : time {t_w / t_f:.2f}x (target <= 0.3x)")


def suite_read(repeat: int) -> None:
    """Parsing time of the largest shared histories as a share of their whole report time."""
    real = SHARED / "histories-real"
    if not real.exists():
        raise SystemExit(f"{real} is missing")
    from reporter.history import load

    def size(p: Path) -> int:
        return sum(f.stat().st_size for f in p.rglob("*")) if p.is_dir() else p.stat().st_size

    files = sorted((p for p in real.iterdir() if p.suffix != ".md"), key=size, reverse=True)[:5]
    wild = SHARED / "histories-wild"
    if wild.exists():  # the largest log of each newer family (YOLO, JSON Lines)
        for prefix in ("yolo__", "detectron2__", "mmengine__", "custom__"):
            family = [p for p in wild.iterdir() if p.name.startswith(prefix)]
            if family:
                files.append(max(family, key=size))
    print(f"\n== read: parsing vs report time, the {len(files)} largest files (target < 5%)")
    with tempfile.TemporaryDirectory() as tmp:
        floor = floor_seconds(Path(tmp), repeat)
        print(f"  floor {floor:.2f} s")
        for path in files:
            load(path)  # warm
            parse = []
            for _ in range(repeat):
                start = time.perf_counter()
                load(path)
                parse.append(time.perf_counter() - start)
            report, _ = measure(
                report_cmd(path, Path(tmp) / "out"),
                Path(tmp),
            )
            t_parse = statistics.median(parse)
            print(
                f"  {path.name[:60]:60s} {size(path) / 1024:8.0f} KiB  parse {t_parse * 1000:7.1f} ms"
                f"  report {report:5.2f} s ({report / floor:4.2f}x floor)"
                f"  share {100 * t_parse / report:5.2f}%"
            )


ONE_PROCESS = {"REPORTER_ENGINE": "0"}  # each report in one process: no PDF engine beside it


def _batch(
    src: Path, out: Path, jobs: int, *extra: str, env: dict[str, str] | None = None
) -> float:
    wall, _ = measure(
        [
            sys.executable,
            "-m",
            "reporter",
            "batch",
            str(src),
            "-o",
            str(out),
            "-j",
            str(jobs),
            "-q",
            "--settle",
            "0",
            *extra,
        ],
        src.parent,
        env=env,
    )
    return wall


def suite_batch(repeat: int) -> None:
    """Parallel speed-up, warm-worker cost, and the no-op rerun of a scheduled job.

    Each worker renders its PDFs in its own engine process (reporter.engine), so one worker
    already keeps two cores busy: the cores' speed-up is --jobs 2 against the same batch run
    one process per report (REPORTER_ENGINE=0, --jobs 1), and what warm workers save is a
    report inside one against a cold ``reporter report``, both one process per report."""
    seed = ROOT / "histories" / "0_baseline.pkl"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        src20 = _copies(work / "src20", 20)
        floor = floor_seconds(work, repeat)
        runs = max(1, min(repeat, 3))  # each batch is 20 reports: at most three of each
        single = statistics.median(
            _batch(src20, work / f"out0-{k}", 1, env=ONE_PROCESS) for k in range(runs)
        )
        one = statistics.median(_batch(src20, work / f"out1-{k}", 1) for k in range(runs))
        two = statistics.median(_batch(src20, work / f"out2-{k}", 2) for k in range(runs))
        print(f"\n== batch: 20 seed-shaped histories (floor {floor:.2f} s, median of {repeat})")
        print(f"  --jobs 1, one process per report : {single:6.2f} s  {x_floor(single, floor)}")
        print(f"  --jobs 1 (a worker and its engine): {one:6.2f} s  {x_floor(one, floor)}")
        print(
            f"  --jobs 2                          : {two:6.2f} s  {x_floor(two, floor)}"
            f"   speed-up {single / two:.2f}x over one process per report (target >= 1.8x)"
        )

        def per_report(out: Path) -> float:
            return statistics.median(_item_seconds(out))

        def cold(env: dict[str, str] | None) -> float:
            return statistics.median(
                measure(report_cmd(seed, work / "cold"), work, env=env)[0] for _ in range(repeat)
            )

        warm_single, cold_single = per_report(work / "out0-0"), cold(ONE_PROCESS)
        warm, cold_engine = per_report(work / "out1-0"), cold(None)
        print(
            f"  one process per report: in a warm worker {warm_single:5.2f} s"
            f" vs a cold `reporter report` {cold_single:5.2f} s:"
            f" {warm_single / cold_single:.2f}x (target <= 0.5x)"
        )
        print(
            f"  with the engine: in a warm worker {warm:5.2f} s ({x_floor(warm, floor)})"
            f" vs a cold `reporter report` {cold_engine:5.2f} s ({x_floor(cold_engine, floor)})"
        )
        src100 = _copies(work / "src100", 100)
        _batch(src100, work / "out100", 2)
        noop = statistics.median(_batch(src100, work / "out100", 2) for _ in range(repeat))
        print(
            f"  no-op rerun over 100 histories: {noop:5.2f} s ({x_floor(noop, floor)},"
            " target < 1 s)"
        )


def _write_inputs(work: Path) -> dict[str, Path]:
    import json

    import numpy as np

    from tests.shapes import long_trainer_state

    rng = np.random.default_rng(0)
    out = {}
    (work / "steps").mkdir()
    out["100k steps"] = work / "steps" / "trainer_state.json"
    out["100k steps"].write_text(json.dumps(long_trainer_state(seed=0)))
    for classes in (5, 100, 1000):
        n = 30
        h = {
            "loss": list(np.linspace(2, 0.3, n)),
            "val_loss": list(np.linspace(2, 0.5, n) + rng.normal(0, 0.02, n)),
        }
        for k in range(classes):
            key = "recall" + ("" if k == 0 else f"_{k}")
            h["val_" + key] = list(
                np.clip(np.linspace(0.1, rng.uniform(0.4, 0.99), n) + rng.normal(0, 0.03, n), 0, 1)
            )
            h[key] = list(np.clip(np.linspace(0.1, rng.uniform(0.5, 1.0), n), 0, 1))
        out[f"{classes} classes"] = work / f"classes{classes}.json"
        out[f"{classes} classes"].write_text(json.dumps(h))
    return out


def suite_scale(repeat: int) -> None:
    """Long logs and many classes against the seed-shaped history, in the same session."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = _write_inputs(work)
        seed = ROOT / "histories" / "0_baseline.pkl"

        def run(path: Path, tag: str) -> tuple[float, float, int]:
            walls = []
            for k in range(repeat):
                walls.append(measure(report_cmd(path, work / f"out-{tag}-{k}"), work)[0])
            rss = max(
                measure(report_cmd(path, work / f"mem-{tag}-{k}"), work, memory=True)[1]
                for k in range(2)
            )
            size = max(p.stat().st_size for p in work.glob(f"out-{tag}-*/*/report.pdf"))
            return statistics.median(walls), rss, size

        floor = floor_seconds(work, repeat)
        base = run(seed, "seed")
        five = run(inputs["5 classes"], "c5")
        print(f"\n== scale (median of {repeat}; peak memory target <= 250 MiB everywhere)")
        print(f"  floor                 {floor:5.2f} s")
        print(
            f"  seed-shaped history   {base[0]:5.2f} s {base[1]:6.1f} MiB {base[2] / 1e3:6.0f} kB"
            f"  {x_floor(base[0], floor)}"
        )
        print(
            f"  5 classes             {five[0]:5.2f} s {five[1]:6.1f} MiB {five[2] / 1e3:6.0f} kB"
            f"  {x_floor(five[0], floor)}"
        )
        steps = run(inputs["100k steps"], "steps")
        print(
            f"  100,000-step log      {steps[0]:5.2f} s {steps[1]:6.1f} MiB {steps[2] / 1e3:6.0f} kB"
            f"  time {steps[0] / base[0]:.2f}x the seed (target <= 1.5x), PDF <= 1 MB"
            f"  {x_floor(steps[0], floor)}"
        )
        for label in ("100 classes", "1000 classes"):
            r = run(inputs[label], label.split()[0])
            print(
                f"  {label:21s} {r[0]:5.2f} s {r[1]:6.1f} MiB {r[2] / 1e3:6.0f} kB"
                f"  time {r[0] / five[0]:.2f}x 5 classes (target <= 2x)  {x_floor(r[0], floor)}"
            )


def _clone_to_pdf(ref: str, work: Path) -> float:
    """Seconds from `git clone` to the PDFs of `make report` (fresh .venv, pip cache warm)."""
    dest = work / f"clone-{ref.replace('/', '_')}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    start = time.perf_counter()
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", ref], check=True)
    subprocess.run(["make", "report"], cwd=dest, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    if not list((dest / "out").glob("*/report.pdf")):
        raise SystemExit(f"make report at {ref} wrote no PDF")
    return wall


def suite_clone(repeat: int, before: str = CLONE_BEFORE) -> None:
    """Time from `git clone` to the first PDFs, before and after (committed HEAD only)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        floor = floor_seconds(work, repeat)
        runs = max(1, min(repeat, 2))
        after = statistics.median(_clone_to_pdf("HEAD", work / f"a{k}") for k in range(runs))
        old = statistics.median(_clone_to_pdf(before, work / f"b{k}") for k in range(runs))
        print(f"\n== clone: `git clone` + `make report` (pip cache warm, median of {runs})")
        print(f"  before ({before}) : {old:6.1f} s  {x_floor(old, floor)}")
        print(f"  after  (HEAD)    : {after:6.1f} s  {x_floor(after, floor)}")
        print(f"  ratio            : {after / old:.2f}x (target < 1x)")


SUITES = {
    "report": suite_report,
    "warm": suite_warm,
    "read": suite_read,
    "batch": suite_batch,
    "scale": suite_scale,
    "clone": suite_clone,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=", ".join(SUITES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--before", default=CLONE_BEFORE, help="git ref of the 'before' clone (clone suite)"
    )
    args = parser.parse_args()
    unknown = [s for s in args.suites if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(unknown)} (known: {', '.join(SUITES)})")
    for name in args.suites or SUITES:
        if name == "clone":
            suite_clone(args.repeat, args.before)
        else:
            SUITES[name](args.repeat)


if __name__ == "__main__":
    main()
