"""Turn minutes of machine time into fuzzing evidence: every reader, and the analysis, on
hypothesis-generated hostile input, each in its own child process.

    python scripts/fuzz.py                   # 180 s per target, all targets
    python scripts/fuzz.py --seconds 30 keras-pickle tfevents

The properties are those of tests/test_fuzz.py, run until the time is up instead of for
a fixed small budget. A child runs under a 2 GiB address-space limit, so a native crash
or a memory blow-up shows up as that target's failure, not as a dead fuzzer. Prints one
line per target (examples run, slowest example, peak RSS) and exits 1 on any finding.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import fuzzing  # noqa: E402  (needs ROOT on sys.path)

TARGETS = [*fuzzing.READERS, "analysis"]


def _property(target: str) -> tuple[Any, Any]:
    """(strategy, check) for one target; check raises on a finding."""
    from hypothesis import strategies as st

    if target in fuzzing.READERS:
        return fuzzing.reader_property(target)
    if target == "analysis":
        from tests import test_fuzz

        def check_analysis(args: tuple[Any, Any, Any]) -> None:
            with fuzzing.bounded():
                test_fuzz.test_analysis_invariants.hypothesis.inner_test(*args)

        return st.tuples(test_fuzz.SERIES, test_fuzz.SERIES, test_fuzz.ACCURACY), check_analysis
    raise SystemExit(f"unknown target {target!r} (known: {', '.join(TARGETS)})")


def _child(target: str, seconds: float, queue: Any) -> None:
    import warnings

    from hypothesis import HealthCheck, given, settings

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    warnings.simplefilter("ignore")  # a library's DeprecationWarning is not a finding here
    strategy, check = _property(target)
    count = 0
    slowest = 0.0

    @settings(
        max_examples=500,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(strategy)
    def prop(data: Any) -> None:
        nonlocal count, slowest
        count += 1
        t = time.perf_counter()
        check(data)
        slowest = max(slowest, time.perf_counter() - t)

    end = time.monotonic() + seconds
    rounds = 0
    try:
        while time.monotonic() < end:
            prop()
            rounds += 1
    except BaseException as exc:  # the shrunk failing example is in the message
        import traceback

        error = "".join(traceback.format_exception(exc))[-3000:]
        queue.put({"target": target, "ok": False, "examples": count, "error": error})
        return
    queue.put(
        {
            "target": target,
            "ok": True,
            "examples": count,
            "rounds": rounds,
            "slowest_ms": round(slowest * 1000, 1),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=TARGETS)
    parser.add_argument("--seconds", type=float, default=180.0, help="per target")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    results = []
    for target in args.targets:
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(target, args.seconds, queue))
        proc.start()
        proc.join(args.seconds + 600)
        if proc.is_alive():
            proc.kill()
            result = {"target": target, "ok": False, "error": "the fuzzer itself hung"}
        elif queue.empty():
            result = {"target": target, "ok": False, "error": f"child died (exit {proc.exitcode})"}
        else:
            result = queue.get()
        results.append(result)
        if result["ok"]:
            print(
                f"{target:18} ok  {result['examples']:>8,} examples  "
                f"slowest {result['slowest_ms']:>7.1f} ms  peak RSS {result['peak_rss_mb']} MiB",
                flush=True,
            )
        else:
            print(f"{target:18} FINDING after {result.get('examples', '?')} examples:", flush=True)
            print("   ", result["error"], flush=True)
    total = sum(r.get("examples", 0) for r in results)
    print(f"{'total':18}     {total:>8,} examples")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
