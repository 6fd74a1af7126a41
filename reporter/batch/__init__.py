"""Turn a folder of histories into reports, incrementally, safely and in parallel.

``run_batch`` is what ``reporter batch`` and scheduled jobs call: one run at a time
per output folder (a kernel file lock), only new or changed sources re-rendered
(a content-hash manifest), each source in an isolated worker with a timeout and a
memory limit, every file written atomically, and an index of all runs. It returns
an exit code a scheduler can trust.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import logging
import os
import signal
import stat
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from reporter.batch.discover import Item, Skipped, discover
from reporter.batch.manifest import Manifest, content_hash, fingerprint
from reporter.batch.pool import Task, WorkerPool
from reporter.batch.work import ItemResult, process_item, warm_up
from reporter.config import Options
from reporter.errors import ConfigError, OutputError, ReporterError, clean
from reporter.export import TEMP_NAME, TEMP_PREFIX, _create_temp, atomic_write
from reporter.naming import unique_name

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANTCREAT, EXIT_LOCKED = 0, 1, 2, 73, 75
EXIT_INTERNAL = 70  # sysexits EX_SOFTWARE: a bug stopped the run
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
    repeated: set[str] = field(default_factory=set)  # failed before on the same bytes
    internal_error: str | None = None  # a bug stopped the run (exit 70)


Progress = Callable[[str, ItemResult | None, int, int], None]


def prepare_out(out: Path) -> None:
    """Make sure ``out`` is a writable folder before any work (exit 73 otherwise).

    The probe is created exclusively under an unpredictable name, so a link planted in
    OUT is never followed (or truncated)."""
    try:
        if not out.exists():
            out.mkdir()
        if not out.is_dir():
            raise OutputError(f"{clean(out)} is not a folder")
        fd, probe = _create_temp(out, "write-test")
        os.close(fd)
        probe.unlink()
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(
            f"output folder {clean(out)} is not writable: {exc.strerror or exc}"
        ) from None


def _lock(out: Path) -> int:
    """Hold OUT's kernel lock (released by the kernel when the process dies).

    The lock file is opened without following a link and never truncated."""
    path = out / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(
                f"{clean(path)} is a symbolic link; the lock is never taken through a link",
                hint="remove the link",
            ) from None
        raise OutputError(f"cannot create {clean(path)}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise LockedError(f"another run holds {clean(path)}") from None
    return fd


def _own_temp(path: Path) -> bool:
    """A temp file this tool made: its name pattern, a regular file, owned by this user."""
    if not TEMP_NAME.match(path.name):
        return False
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid()


def clean_temp(out: Path) -> int:
    """Remove temp files a killed run of this tool left in ``out`` and its report folders.

    Only names ``atomic_write`` makes, owned by this user, are removed; a user's own
    ``.tmp-notes`` stays, and no link is followed into another folder."""
    removed = 0
    folders = [out]
    with contextlib.suppress(OSError), os.scandir(out) as it:
        folders += [Path(e.path) for e in it if e.is_dir(follow_symlinks=False)]
    for folder in folders:
        try:
            with os.scandir(folder) as it:
                names = [e.name for e in it if e.name.startswith(TEMP_PREFIX)]
        except OSError:
            continue
        for name in names:
            if _own_temp(folder / name):
                with contextlib.suppress(OSError):
                    (folder / name).unlink()
                    removed += 1
    return removed


def _names(items: list[Item], manifest: Manifest) -> dict[str, str]:
    """Stable, unique, safe folder names: reused from the manifest, else derived from the path.

    Unique case-insensitively within the batch; a name that collides gets a hash of the
    source's path, so it is the same on every run."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for item in items:
        old = manifest.items.get(item.rel, {}).get("base")
        if old and old.lower() not in taken:
            names[item.rel] = old
            taken.add(old.lower())
    # names other sources still own in the manifest are not handed out again
    taken |= {
        str(v["base"]).lower()
        for k, v in manifest.items.items()
        if v.get("base") and k not in names
    }
    for item in items:
        if item.rel in names:
            continue
        stem = str(Path(item.rel).with_suffix("")) if not item.folder else item.rel
        names[item.rel] = unique_name(stem.replace(os.sep, "__"), taken, 120, key=item.rel)
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
    """Report every new or changed history under ``source`` into ``out``.

    The journal says ``complete`` only when the run completed: an interruption says
    ``interrupted``, and any unexpected error says ``internal error`` with exit code 70.
    The index and the journal are rewritten whatever happened (or removed when they cannot
    be, so a stale one never stands)."""
    start = time.perf_counter()
    if not source.is_dir():
        raise ConfigError(f"{clean(source)} is not a folder")
    prepare_out(out)
    lock = _lock(out)
    result = BatchResult(EXIT_OK)
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    manifest = Manifest(out / ".reporter-manifest.json")
    current: set[str] | None = None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    try:
        for s in previous:
            signal.signal(s, interrupt)
        try:
            manifest = Manifest.load(out)
            clean_temp(out)
            current = _run(
                source,
                out,
                options,
                manifest,
                result,
                force,
                settle,
                dict(
                    jobs=jobs,
                    item_timeout=item_timeout,
                    item_memory_mb=item_memory_mb,
                    executor=executor,
                    scheduler=scheduler,
                    progress=progress,
                ),
            )
            result.exit_code = EXIT_FAILED if result.failed else EXIT_OK
        except Interrupted as exc:
            result.interrupted = True
            result.exit_code = EXIT_SIGINT if exc.signum == signal.SIGINT else EXIT_SIGTERM
        except ReporterError as exc:  # OUT stopped being writable half-way (a full disk)
            result.internal_error = exc.one_line()
            result.exit_code = exc.exit_code
        except Exception as exc:  # a bug: never a "complete" journal, and one line, no traceback
            log.debug("internal error", exc_info=True)
            result.internal_error = clean(f"internal error: {type(exc).__name__}: {exc}", 400)
            result.exit_code = EXIT_INTERNAL
        if not result.interrupted:
            _index(out, source, manifest, result, current)
        clean_temp(out)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        try:
            with contextlib.suppress(ReporterError):
                manifest.save()
            _journal(out, result, time.perf_counter() - start)
        finally:
            os.close(lock)  # releases the kernel lock
    result.seconds = time.perf_counter() - start
    return result


def _run(
    source: Path,
    out: Path,
    options: Options,
    manifest: Manifest,
    result: BatchResult,
    force: bool,
    settle: float,
    render: dict[str, Any],
) -> set[str]:
    """Discover, decide what to render, render. Returns the sources found (relative paths)."""
    items, skipped = discover(source, out, settle)
    result.skipped = [s.rel for s in skipped if not s.problem]
    problems: list[Skipped] = [s for s in skipped if s.problem]
    for problem in problems:
        result.failed.append((problem.rel, problem.reason))
        manifest.items[problem.rel] = {"status": "failed", "error": problem.reason}
    fp = fingerprint(options)
    names = _names(items, manifest)
    todo: list[tuple[Item, str]] = []
    for item in items:
        try:
            digest = content_hash(item.path)
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
            result.failed.append((item.rel, reason))
            # no hash: tried again next run
            manifest.items[item.rel] = {
                "status": "failed",
                "base": names[item.rel],
                "error": reason,
            }
            continue
        if not force and manifest.fresh(item.rel, digest, fp, out):
            entry = manifest.items[item.rel]
            if entry.get("status") == "failed":
                result.failed.append((item.rel, entry.get("error") or "failed"))
                result.repeated.add(item.rel)
            else:
                result.unchanged += 1
            continue
        todo.append((item, digest))
    if todo:
        _render(todo, names, out, options, fp, manifest, result, total=len(todo), **render)
    return {i.rel for i in items} | {p.rel for p in problems}


def _index(
    out: Path, source: Path, manifest: Manifest, result: BatchResult, current: set[str] | None
) -> None:
    """Rewrite index.html/pdf when what they show changed or they are missing; remove them
    when they cannot be rewritten, so they never show an older state as the current one."""
    from reporter.batch.index import write_index  # heavy (render, plots): only when needed

    entries = {k: v for k, v in manifest.items.items() if current is None or k in current}
    shown = json.dumps(
        [str(source), entries, result.skipped, result.internal_error],
        sort_keys=True,
        default=str,
    ).encode()
    digest = hashlib.sha256(shown).hexdigest()
    missing = not (out / "index.pdf").is_file() or not (out / "index.html").is_file()
    if digest == manifest.index and not missing:
        return
    try:
        write_index(out, str(source), entries, result.skipped, result.internal_error)
        manifest.index = digest
    except Exception as exc:  # a full disk, or a bug in the index: the reports still stand
        reason = (
            exc.one_line()
            if isinstance(exc, ReporterError)
            else clean(f"internal error: {type(exc).__name__}: {exc}")
        )
        result.failed.append(("index", reason))
        if result.exit_code == EXIT_OK:
            result.exit_code = EXIT_FAILED
        manifest.index = ""
        for name in ("index.html", "index.pdf"):
            with contextlib.suppress(OSError):
                (out / name).unlink()


def _render(
    todo: list[tuple[Item, str]],
    names: dict[str, str],
    out: Path,
    options: Options,
    fp: str,
    manifest: Manifest,
    result: BatchResult,
    *,
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
        # a crash, timeout, write error or memory failure may not repeat: retry it next run;
        # only a failure the input itself causes is final until the input changes
        transient = not ok or item_result.transient
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
        with contextlib.suppress(ReporterError):  # saved again at the end of the run
            manifest.save()
        if progress is not None:
            progress(rel, item_result, done, total)

    tasks_args = [
        (str(item.path), item.rel, names[item.rel], str(out), options) for item, _ in todo
    ]
    if executor == "dask":
        _run_dask(tasks_args, scheduler, record)
        return
    jobs = min(jobs or os.cpu_count() or 1, len(tasks_args))
    # the cores this process may run on (a container's share, not the host's)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else jobs
    tasks = [Task(args[1], process_item, args) for args in tasks_args]
    warm = functools.partial(warm_up, engine=engine_per_worker(jobs, cores))
    with WorkerPool(jobs, item_timeout, item_memory_mb, warm) as pool:
        pool.run(tasks, record)


def engine_per_worker(jobs: int, cores: int) -> bool:
    """Whether each worker gets a PDF engine (reporter.engine). It overlaps a report's two
    steps on a second core: with a core to spare for every worker it halves each report's
    time; with fewer, the workers already keep the cores busy and the engines would only
    take turns with them (measured: 20 reports with --jobs 2 on two cores, 7.6 s with
    engines, 7.3 s without)."""
    return 2 * jobs <= cores


def _run_dask(
    tasks_args: list[tuple[Any, ...]],
    scheduler: str | None,
    record: Callable[[str, bool, Any], None],
) -> None:
    try:
        from distributed import Client  # the optional dask extra
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
    """Write ``batch.json``; if it cannot be written, remove the old one, so a journal of an
    earlier run never claims this one completed."""
    if result.interrupted:
        status = "interrupted"
    elif result.internal_error:
        status = "internal error" if result.exit_code == EXIT_INTERNAL else "stopped"
    else:
        status = "complete"
    body = {
        "status": status,
        "exit_code": result.exit_code,
        "error": result.internal_error,
        "rendered": result.rendered,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
        "failed": [{"source": rel, "reason": reason} for rel, reason in result.failed],
        "seconds": round(seconds, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        atomic_write(
            out / JOURNAL, (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode()
        )
    except ReporterError:
        with contextlib.suppress(OSError):
            (out / JOURNAL).unlink()
        raise
