"""Turn one history source into its reports inside a worker, and say what happened in plain data.

Runs in a worker process (or on a Dask worker): everything it returns is plain
data that pickles, and every failure becomes a one-line reason instead of an
exception crossing the process boundary.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reporter.config import Options
from reporter.errors import ReporterError, clean


@dataclass
class RunOutcome:
    """One report written: where, and the numbers the index shows."""

    name: str
    folder: str
    kind: str
    monitor: str | None
    best: float | None
    stop: float | int | None
    keep: float | int | None
    confidence: str
    pages: int
    axis: str


@dataclass
class ItemResult:
    """What became of one source."""

    rel: str
    status: str  # "ok" | "failed"
    error: str | None = None
    runs: list[RunOutcome] = field(default_factory=list)
    seconds: float = 0.0
    transient: bool = False  # may succeed next time (write error, out of memory, a bug)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def warm_up(engine: bool = True) -> None:
    """Pay the heavy imports once per worker, not once per report: WeasyPrint in the worker's
    PDF engine (forked first, see :mod:`reporter.engine`; ``engine=False``: here, in this
    process), matplotlib and Jinja2 here."""
    from reporter import engine as engines

    if engine:
        engines.start()  # before matplotlib: the engine only needs WeasyPrint
    else:
        from reporter.export import warm_engine

        warm_engine()
    from reporter import pipeline  # noqa: F401  (matplotlib, Jinja2)
    from reporter.i18n import messages
    from reporter.plots import style

    style()
    messages()
    # everything imported so far lives as long as the worker: keep the cyclic collector from
    # walking it again during every report (export._settle_heap does the same for one report)
    gc.collect()
    gc.freeze()


def process_item(path: str, rel: str, base: str, out: str, options: Options) -> ItemResult:
    """Report every run of the source at ``path`` into ``out/<base>[~run]``."""
    # imported here: the parent process that schedules items never pays for matplotlib
    from reporter.analysis import positions
    from reporter.analysis.series import x_at
    from reporter.pipeline import report_source

    start = time.perf_counter()

    def failed(reason: str, transient: bool) -> ItemResult:
        return ItemResult(rel, "failed", reason, [], time.perf_counter() - start, transient)

    try:
        outcomes = []
        for result in report_source(path, options, Path(out), base=base):
            rec = result.analysis.recommendation
            xs = positions(result.analysis.history, rec.monitor)
            best = result.analysis.bests.get(rec.monitor) if rec.monitor else None
            outcomes.append(
                RunOutcome(
                    result.name,
                    result.folder.name,
                    rec.kind,
                    rec.monitor,
                    None if best is None or not math.isfinite(best.value) else best.value,
                    x_at(xs, rec.stop_index),
                    x_at(xs, rec.keep_index),
                    rec.confidence,
                    result.pages,
                    result.analysis.history.axis,
                )
            )
        return ItemResult(rel, "ok", None, outcomes, time.perf_counter() - start)
    except ReporterError as exc:
        return failed(exc.one_line(), exc.transient)
    except MemoryError:
        return failed("out of memory (raise --item-memory)", True)
    except OSError as exc:
        return failed(clean(f"{exc.strerror or exc} (errno {exc.errno})"), True)
    except Exception as exc:  # a bug in one item must not stop the batch
        return failed(clean(f"internal error: {type(exc).__name__}: {exc}"), True)
