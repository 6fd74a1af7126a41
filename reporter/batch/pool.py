"""Turn a list of tasks into results on warm worker processes that may hang, blow up or crash.

Each worker is a forked process that imports the heavy libraries once, runs tasks
one at a time under an address-space limit, and dies with its parent. The parent
kills a task that runs past its timeout and replaces a worker that crashed
(even on a segfault); either way only that task fails. Each worker gets its own temp
folder (WeasyPrint puts the report fonts there), which the parent removes when the
worker ends, however it ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import multiprocessing as mp
import os
import resource
import shutil
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

_CTX = mp.get_context("fork")


@dataclass
class Task:
    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _worker_main(
    conn: Connection,
    memory_mb: int | None,
    initializer: Callable[[], None] | None,
    parent: int,
    tmp: str,
) -> None:
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(0)
    # temp files (WeasyPrint's font folder) go where the parent cleans up after this worker
    os.environ["TMPDIR"] = tmp
    tempfile.tempdir = tmp
    # a crash is reported by the parent as "crashed (signal N)"; no stack dump on stderr
    faulthandler.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(
            resource.RLIMIT_AS,
            (limit, hard if hard != resource.RLIM_INFINITY and hard < limit else limit),
        )
    if initializer is not None:
        initializer()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        key, fn, args = message
        try:
            result = ("ok", fn(*args))
        except MemoryError:
            result = ("error", "out of memory")
        except BaseException as exc:  # report, never die silently
            result = ("error", f"{type(exc).__name__}: {exc}")
        conn.send((key, result))


class _Worker:
    def __init__(self, memory_mb: int | None, initializer: Callable[[], None] | None) -> None:
        self.conn, child = _CTX.Pipe()
        self.tmp = tempfile.mkdtemp(prefix="reporter-worker-")
        self.process = _CTX.Process(
            target=_worker_main,
            args=(child, memory_mb, initializer, os.getpid(), self.tmp),
            daemon=True,
        )
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class WorkerPool:
    """``jobs`` warm workers; :meth:`run` calls ``on_result(key, ok, value_or_reason)``."""

    def __init__(
        self,
        jobs: int,
        timeout: float | None = None,
        memory_mb: int | None = None,
        initializer: Callable[[], None] | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.initializer = initializer
        self.workers: list[_Worker] = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for w in self.workers:
            if w.process.is_alive() and w.task is None:
                with contextlib.suppress(OSError):
                    w.conn.send(None)
        for w in self.workers:
            w.process.join(2)
            w.kill()
        self.workers = []

    def run(
        self,
        tasks: list[Task],
        on_result: Callable[[str, bool, Any], None],
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        queue = deque(tasks)
        while len(self.workers) < min(self.jobs, len(queue)):
            self.workers.append(_Worker(self.memory_mb, self.initializer))
        while queue or any(w.task for w in self.workers):
            if stop():
                return
            for w in self.workers:
                if w.task is None and queue:
                    w.task, w.started = queue.popleft(), time.monotonic()
                    w.conn.send((w.task.key, w.task.fn, w.task.args))
            busy = [w for w in self.workers if w.task is not None]
            waits: list[Any] = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            ready = wait(waits, timeout=0.2)
            now = time.monotonic()
            for w in list(busy):
                task = w.task
                assert task is not None
                if w.conn in ready:
                    try:
                        key, (status, value) = w.conn.recv()
                    except (EOFError, OSError):
                        pass  # died while answering: handled below as a crash
                    else:
                        w.task = None
                        on_result(key, status == "ok", value)
                        continue
                if not w.process.is_alive() or w.process.sentinel in ready:
                    w.process.join(1)
                    code = w.process.exitcode
                    reason = (
                        f"crashed (signal {-code})"
                        if code is not None and code < 0
                        else f"worker exited with code {code}"
                    )
                    self._replace(w)
                    on_result(task.key, False, reason)
                elif self.timeout is not None and now - w.started > self.timeout:
                    self._replace(w)
                    on_result(task.key, False, f"timed out after {self.timeout:g}s")

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        i = self.workers.index(worker)
        self.workers[i] = _Worker(self.memory_mb, self.initializer)
