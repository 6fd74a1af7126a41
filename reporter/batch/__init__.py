"""Turn a folder of histories into reports, incrementally, safely and in parallel.

``run_batch`` is what ``reporter batch`` and scheduled jobs call: one run at a time
per output folder (a kernel file lock), only new or changed sources re-rendered
(a content-hash manifest), each source in an isolated worker with a timeout and a
memory limit, every file written atomically, and an index of all runs. It returns
an exit code a scheduler can trust.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from reporter.batch.discover import Item, discover
from reporter.batch.manifest import Manifest, content_hash, fingerprint
from reporter.batch.work import ItemResult, process_item, warm_up
from reporter.config import Options
from reporter.errors import ConfigError, OutputError, clean

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANTCREAT, EXIT_LOCKED = 0, 1, 2, 73, 75
EXIT_SIGINT, EXIT_SIGTERM = 130, 143
LOCK_NAME = ".reporter.lock"
JOURNAL = "batch.json"


class LockedError(OutputError):
    """Another batch run holds the output folder's lock."""

    exit_code = EXIT_LOCKED


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class BatchResult:
    exit_code: int
    rendered: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


Progress = Callable[[str, ItemResult | None, int, int], None]


def prepare_out(out: Path) -> None:
    """Make sure ``out`` is a writable folder before any work (exit 73 otherwise)."""
    try:
        if not out.exists():
            out.mkdir()
        if not out.is_dir():
            raise OutputError(f"{clean(out)} is not a folder")
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(
            f"output folder {clean(out)} is not writable: {exc.strerror or exc}"
        ) from None


def clean_temp(out: Path) -> int:
    """Remove temp files left by a killed run (``.tmp-*`` below ``out``)."""
    removed = 0
    for tmp in out.rglob(".tmp-*"):
        if tmp.is_file() and not tmp.is_symlink():
            try:
                tmp.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def _names(items: list[Item], manifest: Manifest) -> dict[str, str]:
    """Stable, unique, safe folder names: reused from the manifest, else derived from the path."""
    from reporter.naming import safe_name

    names: dict[str, str] = {}
    taken: set[str] = set()
    for item in items:
        old = manifest.items.get(item.rel, {}).get("base")
        if old and old.lower() not in taken:
            names[item.rel] = old
            taken.add(old.lower())
    for item in items:
        if item.rel in names:
            continue
        stem = str(Path(item.rel).with_suffix("")) if not item.folder else item.rel
        base = safe_name(stem.replace(os.sep, "__"), 120)
        candidate, n = base, 2
        while candidate.lower() in taken or candidate.lower() in {
            v.get("base", "").lower() for k, v in manifest.items.items() if k != item.rel
        }:
            candidate, n = f"{base}-{n}", n + 1
        names[item.rel] = candidate
        taken.add(candidate.lower())
    return names


def run_batch(
    source: Path,
    out: Path,
    options: Options,
    jobs: int | None = None,
    force: bool = False,
    item_timeout: float | None = 600.0,
    item_memory_mb: int | None = 4096,
    executor: str = "local",
    scheduler: str | None = None,
    settle: float = 2.0,
    progress: Progress | None = None,
) -> BatchResult:
    """Report every new or changed history under ``source`` into ``out``."""
    from filelock import FileLock, Timeout

    start = time.perf_counter()
    if not source.is_dir():
        raise ConfigError(f"{clean(source)} is not a folder")
    prepare_out(out)
    lock = FileLock(str(out / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise LockedError(f"another run holds {clean(out / LOCK_NAME)}") from None
    result = BatchResult(EXIT_OK)
    manifest = Manifest.load(out)
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    try:
        for s in previous:
            signal.signal(s, interrupt)
        clean_temp(out)
        items, skipped = discover(source, out, settle)
        result.skipped = [s.rel for s in skipped]
        fp = fingerprint(options)
        names = _names(items, manifest)
        todo: list[tuple[Item, str]] = []
        for item in items:
            try:
                digest = content_hash(item.path)
            except OSError as exc:
                result.failed.append((item.rel, f"cannot read: {exc.strerror or exc}"))
                manifest.items[item.rel] = {
                    "status": "failed",
                    "base": names[item.rel],
                    "error": f"cannot read: {exc.strerror or exc}",
                }
                continue
            if not force and manifest.fresh(item.rel, digest, fp, out):
                entry = manifest.items[item.rel]
                if entry.get("status") == "failed":
                    result.failed.append((item.rel, entry.get("error") or "failed"))
                else:
                    result.unchanged += 1
                continue
            todo.append((item, digest))
        total = len(todo)
        if todo:
            _render(
                todo,
                names,
                out,
                options,
                fp,
                manifest,
                result,
                jobs,
                item_timeout,
                item_memory_mb,
                executor,
                scheduler,
                progress,
                total,
            )
        current = {i.rel for i in items}
        entries = {k: v for k, v in manifest.items.items() if k in current}
        index_missing = not (out / "index.pdf").exists() or not (out / "index.html").exists()
        if todo or index_missing or manifest.rebuilt:
            from reporter.batch.index import write_index
            from reporter.errors import ReporterError

            try:
                write_index(out, str(source), entries, result.skipped)
            except ReporterError as exc:
                result.failed.append(("index", exc.one_line()))
        result.exit_code = EXIT_FAILED if result.failed else EXIT_OK
    except Interrupted as exc:
        result.interrupted = True
        result.exit_code = EXIT_SIGINT if exc.signum == signal.SIGINT else EXIT_SIGTERM
        clean_temp(out)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        try:
            manifest.save()
            _journal(out, result, time.perf_counter() - start)
        finally:
            lock.release()
    result.seconds = time.perf_counter() - start
    return result


def _render(
    todo: list[tuple[Item, str]],
    names: dict[str, str],
    out: Path,
    options: Options,
    fp: str,
    manifest: Manifest,
    result: BatchResult,
    jobs: int | None,
    item_timeout: float | None,
    item_memory_mb: int | None,
    executor: str,
    scheduler: str | None,
    progress: Progress | None,
    total: int,
) -> None:
    digests = {item.rel: digest for item, digest in todo}
    done = 0

    def record(rel: str, ok: bool, value: Any) -> None:
        nonlocal done
        done += 1
        item_result = (
            value if ok and isinstance(value, ItemResult) else ItemResult(rel, "failed", str(value))
        )
        # a crash, timeout or memory failure may not repeat: retry it next run
        transient = not ok or "out of memory" in (item_result.error or "")
        entry: dict[str, Any] = {
            "base": names[rel],
            "hash": digests[rel],
            "fingerprint": fp,
            "status": item_result.status,
            "error": item_result.error,
            "deterministic": not transient,
            "outputs": [r.folder for r in item_result.runs],
            "runs": [r.__dict__ for r in item_result.runs],
            "seconds": round(item_result.seconds, 3),
        }
        manifest.items[rel] = entry
        if item_result.status == "ok":
            result.rendered += 1
        else:
            result.failed.append((rel, item_result.error or "failed"))
        manifest.save()
        if progress is not None:
            progress(rel, item_result, done, total)

    tasks_args = [
        (str(item.path), item.rel, names[item.rel], str(out), options) for item, _ in todo
    ]
    if executor == "dask":
        _run_dask(tasks_args, scheduler, record)
        return
    from reporter.batch.pool import Task, WorkerPool

    jobs = jobs or os.cpu_count() or 1
    tasks = [Task(args[1], process_item, args) for args in tasks_args]
    with WorkerPool(min(jobs, len(tasks)), item_timeout, item_memory_mb, warm_up) as pool:
        pool.run(tasks, record)


def _run_dask(
    tasks_args: list[tuple[Any, ...]],
    scheduler: str | None,
    record: Callable[[str, bool, Any], None],
) -> None:
    from concurrent.futures import as_completed

    try:
        from distributed import Client
    except ImportError:
        raise ConfigError(
            "--executor dask needs the dask extra: pip install 'reporter[dask]'"
        ) from None
    if not scheduler:
        raise ConfigError("--executor dask needs --scheduler ADDRESS")
    with Client(scheduler) as client:  # type: ignore[no-untyped-call]
        executor = client.get_executor(pure=False)
        futures = {executor.submit(process_item, *args): args[1] for args in tasks_args}
        for future in as_completed(futures):
            rel = futures[future]
            try:
                record(rel, True, future.result())
            except Exception as exc:  # a worker lost or a task error
                record(rel, False, clean(f"{type(exc).__name__}: {exc}"))


def _journal(out: Path, result: BatchResult, seconds: float) -> None:
    from reporter.export import atomic_write

    body = {
        "status": "interrupted" if result.interrupted else "complete",
        "exit_code": result.exit_code,
        "rendered": result.rendered,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
        "failed": [{"source": rel, "reason": reason} for rel, reason in result.failed],
        "seconds": round(seconds, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    atomic_write(out / JOURNAL, (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode())
