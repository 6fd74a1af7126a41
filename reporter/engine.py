"""Turn report HTML into PDF bytes in a sibling process that has WeasyPrint loaded, while this
process draws the figures.

A report has two long steps that need different libraries: matplotlib draws the figures,
WeasyPrint lays out and paints the pages. :func:`start` forks a process that imports
WeasyPrint at once (while this one imports matplotlib) and then renders jobs: it lays out a
report's pages as soon as the HTML arrives, with an empty box of the right size for each
figure, and paints each figure in when it arrives (:class:`reporter.export.Later`). On two
cores the two steps overlap; the PDF is byte for byte the one the one-process path writes.

Without a running engine (the Python API, a platform without ``fork``, a process with threads,
``REPORTER_ENGINE=0``)
or when it has died, :func:`job` renders in this process, after the figures are drawn.
The engine is our own child: jobs and results cross a pipe as pickles between two processes
of the same program, never from a file.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reporter.errors import RenderError
from reporter.export import Attached, PdfResult, html_to_pdf

log = logging.getLogger(__name__)

ENV = "REPORTER_ENGINE"  # "0": render PDFs in this process (no sibling)


def available() -> bool:
    """Whether a sibling engine can be forked here: Linux, not switched off, and this process
    has one thread (forking a threaded process, e.g. one that loaded JAX, can deadlock)."""
    if not sys.platform.startswith("linux") or os.environ.get(ENV) == "0":
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


@dataclass
class _Engine:
    pid: int
    conn: Any  # multiprocessing.connection.Connection
    tmp: str  # the engine's temp folder (WeasyPrint's fonts): removed by this process
    owner: int = field(default_factory=os.getpid)  # the process that forked it
    busy: bool = False


def _ours() -> _Engine | None:
    """This process's engine. A process forked from one that has an engine (a batch worker)
    inherits the handle: it drops its copy and never talks to an engine that is not its own."""
    global _engine, _dead
    if _engine is not None and _engine.owner != os.getpid():
        with contextlib.suppress(OSError):
            _engine.conn.close()
        _engine, _dead = None, []
    return _engine


_engine: _Engine | None = None
_dead: list[_Engine] = []  # engines that died: stop() reaps them and removes their folders


def start() -> bool:
    """Fork the engine (once per process); call it before importing matplotlib, with no other
    thread running. ``False`` when it cannot run here."""
    global _engine
    if _ours() is not None:
        return True
    if not available():
        return False
    from multiprocessing import Pipe

    try:
        ours, theirs = Pipe()
    except OSError:
        return False
    try:
        # the engine's temp files go where this process removes them, however the engine ends
        tmp = tempfile.mkdtemp(prefix="reporter-engine-")
        # what both processes hold stays shared: the collector of neither walks (and so
        # writes to, copying the page) an object that lived before the fork
        gc.freeze()
        pid = os.fork()
    except OSError:  # no process to spare (RLIMIT_NPROC, memory): render here
        log.debug("no PDF engine: rendering in this process", exc_info=True)
        ours.close()
        theirs.close()
        with contextlib.suppress(NameError):
            shutil.rmtree(tmp, ignore_errors=True)
        return False
    if pid == 0:  # the engine
        code = 0
        try:
            ours.close()
            os.environ["TMPDIR"] = tempfile.tempdir = tmp
            _serve(theirs)
        except BaseException:  # the parent falls back to rendering itself
            code = 1
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # the parent does too, if it can
            os._exit(code)
    theirs.close()
    _engine = _Engine(pid, ours, tmp)
    return True


def stop() -> None:
    """Tell the engine to finish, wait for it and remove its temp folder (it also ends when
    this process ends)."""
    global _engine, _dead
    engine, _engine = _ours(), None
    dead, _dead = _dead, []
    for gone in dead:  # engines lost during a job: reap them, remove their files
        with contextlib.suppress(OSError):
            gone.conn.close()  # one still alive ends on this end-of-file
        try:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(gone.pid, 0)
        finally:
            shutil.rmtree(gone.tmp, ignore_errors=True)
    if engine is None:
        return
    with contextlib.suppress(OSError, ValueError):
        engine.conn.send(None)
    engine.conn.close()
    try:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(engine.pid, 0)
    finally:  # even when a second Ctrl-C ends the wait
        shutil.rmtree(engine.tmp, ignore_errors=True)


@contextlib.contextmanager
def running(wanted: bool = True) -> Iterator[None]:
    """The engine for the length of a command (``wanted=False``: none)."""
    started = wanted and start()
    try:
        yield
    finally:
        if started:
            stop()


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Inbox:
    """The figures of the job being rendered, as the parent sends them (a :class:`Later`)."""

    def __init__(self, conn: Any, boxes: Mapping[str, bytes]) -> None:
        self.conn = conn
        self.boxes = boxes
        self.figures: dict[str, bytes] = {}
        self.abandoned = False

    def wait(self, url: str) -> bytes | None:
        while url not in self.figures and not self.abandoned:
            message = self.conn.recv()
            if message[0] == "figure":
                self.figures[message[1]] = message[2]
            elif message[0] == "abandon":
                self.abandoned = True
        return None if self.abandoned else self.figures[url]


def _serve(conn: Any) -> None:
    """The engine's life: import WeasyPrint, then render jobs until told to stop."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from reporter.export import forget_inherited, release_fonts, warm_engine

    forget_inherited()
    warm_engine()
    try:
        while _one_job(conn):
            pass
    finally:
        release_fonts()


def _one_job(conn: Any) -> bool:
    """Render the next job; ``False`` when told to stop (or the parent is gone)."""
    try:
        message = conn.recv()
    except EOFError:
        return False
    if message is None:
        return False
    if message[0] != "job":  # left over from a job the parent gave up on: not ours to read
        return True
    _, html, figures, boxes, attachments, epoch = message
    if epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = epoch
    inbox = _Inbox(conn, boxes)
    gc.disable()  # a report makes ~10^6 objects: collect once, after the reply, not ~50 times
    try:
        reply: tuple[Any, ...] = ("ok", html_to_pdf(html, figures, attachments, inbox))
    except RenderError as exc:  # rebuilt as it was on the other side of the pipe
        reply = ("render_error", exc.message, exc.path, exc.where, exc.hint)
    except MemoryError:
        reply = ("memory_error", "out of memory")
    except Exception as exc:  # a bug: the parent reports it
        reply = ("error", f"{type(exc).__name__}: {exc}")
    # the parent sends every figure (or abandons) before it reads the reply: take them
    # all off the pipe, or the next job would read them as its own
    for url in boxes:
        if inbox.wait(url) is None:
            break
    conn.send(("abandoned",) if inbox.abandoned else reply)
    gc.enable()
    gc.collect()
    return True


@dataclass
class Job:
    """One PDF on its way: give it the figures as they are drawn, then take the result."""

    html: str
    attachments: tuple[Attached, ...]
    boxes: Mapping[str, bytes]
    figures: dict[str, bytes] = field(default_factory=dict)
    engine: _Engine | None = None

    def figure(self, url: str, svg: bytes) -> None:
        self.figures[url] = svg
        if self.engine is not None and url in self.boxes:
            self._send(("figure", url, svg))

    def abandon(self) -> None:
        """The figures did not come out as planned: this PDF will not be used."""
        if self.engine is not None:
            self._send(("abandon",))
            with contextlib.suppress(RenderError, MemoryError, RuntimeError):
                self._reply()
            self.engine = None
        self.boxes = {}

    def result(self) -> PdfResult:
        if self.engine is not None:
            gc.collect()  # while the engine paints: free what drawing the figures left behind
            reply = self._reply()
            if reply is not None:
                return reply
        return html_to_pdf(self.html, self.figures, self.attachments)

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            assert self.engine is not None
            self.engine.conn.send(message)
        except (OSError, ValueError):
            self._lost()

    def _reply(self) -> PdfResult | None:
        """The engine's answer; ``None`` when it died (this process renders instead)."""
        engine = self.engine
        if engine is None:
            return None
        try:
            reply = engine.conn.recv()
        except (EOFError, OSError):
            self._lost()
            return None
        engine.busy = False
        self.engine = None
        kind = reply[0]
        if kind == "ok":
            result: PdfResult = reply[1]
            return result
        if kind == "abandoned":
            return None
        if kind == "render_error":
            raise RenderError(reply[1], path=reply[2], where=reply[3], hint=reply[4])
        if kind == "memory_error":
            raise MemoryError(reply[1])
        raise RuntimeError(f"PDF engine: {reply[1]}")

    def _lost(self) -> None:
        global _engine
        log.debug("the PDF engine is gone; rendering in this process")
        if self.engine is not None:
            _dead.append(self.engine)
        if _engine is self.engine:
            _engine = None
        self.engine = None


def job(
    html: str,
    attachments: tuple[Attached, ...] = (),
    figures: Mapping[str, bytes] | None = None,
    boxes: Mapping[str, bytes] | None = None,
) -> Job:
    """Start rendering ``html``: on the engine at once when one runs (``boxes``: the figures
    still to come, as empty SVGs of their size), else in this process on :meth:`Job.result`."""
    engine = _ours()
    engine = engine if engine is not None and not engine.busy else None
    todo = Job(html, attachments, dict(boxes or {}), dict(figures or {}), engine)
    if engine is not None:
        engine.busy = True
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        todo._send(("job", html, dict(figures or {}), todo.boxes, attachments, epoch))
    return todo
