"""Turn fastai's ``CSVLogger`` file (``history.csv``) into a run on an epoch axis.

fastai writes ``epoch,train_loss,valid_loss,<metrics...>,time``, one row per epoch: the
columns of the table it prints while training, ``epoch`` counted from 0 as that table
shows it. ``valid_loss`` and every metric are computed on the validation set (fastai's
metrics are always held-out); ``train_loss`` is the smoothed training loss. ``time`` is
the epoch's duration as ``mm:ss`` (``h:mm:ss`` past an hour): a duration, shown in the run
info, not a metric. ``#na#`` marks a value fastai did not compute (no validation set). With
``CSVLogger(append=True)`` a later ``fit`` starts again at epoch 0: the last run is
reported, as for appended Keras CSV logs. The monitored series is ``valid_loss``, what
fastai's ``SaveModelCallback`` and ``EarlyStoppingCallback`` watch by default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reporter.errors import HistoryError
from reporter.history.csvlog import cell_number, read_table
from reporter.history.formats import Format
from reporter.history.model import History, Note, Role, Series, note
from reporter.history.runs import select
from reporter.history.text import head_text

MONITOR = "valid_loss"


def looks_fastai(data: bytes, path: str) -> bool:
    first = head_text(data).lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    cols = [c.strip() for c in first.split(",")]
    return len(cols) >= 3 and cols[:2] == ["epoch", "train_loss"] and cols[-1] == "time"


def _seconds(cell: str) -> float | None:
    parts = cell.split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    total = 0.0
    for p in parts:
        total = total * 60 + int(p)
    return total


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


_FASTAI_MISSING = frozenset({"", "#na#", "nan", "none"})


def _value(cell: str, column: str, lineno: int, path: str) -> float:
    return cell_number(
        cell,
        column,
        lineno,
        path,
        _FASTAI_MISSING,
        "fastai writes numbers, #na# for a value it did not compute, and mm:ss times",
    )


def read_fastai(data: bytes, path: str, run: str | None = None) -> list[History]:
    table = read_table(data, path)
    header = table.header
    metrics = [i for i, c in enumerate(header) if c not in ("epoch", "time")]
    rows = table.rows
    epochs = np.array([_value(cells[0], "epoch", ln, path) for ln, cells in rows])
    starts = [0, *(i for i in range(1, len(rows)) if epochs[i] <= epochs[i - 1])]
    notes: list[Note] = list(table.notes)
    if len(starts) > 1:
        notes.append(note("warn.appended_runs", count=len(starts)))
        rows, epochs = rows[starts[-1] :], epochs[starts[-1] :]
    info: dict[str, str] = {}
    if "time" in header:
        t = header.index("time")
        times = [_seconds(cells[t]) for _, cells in rows]
        known = [s for s in times if s is not None]
        if known:
            info["time"] = f"{_clock(sum(known))} ({_clock(sum(known) / len(known))} per epoch)"
    series: dict[str, Series] = {}
    roles: dict[str, Role] = {}
    for i in metrics:
        name = header[i]
        values = np.array([_value(cells[i], name, ln, path) for ln, cells in rows])
        if not np.isfinite(values).any():
            notes.append(note("warn.empty_metric", metric=name))
            continue
        series[name] = Series(name, values, epochs.astype(np.float64), "epoch")
        if name not in ("train_loss", "valid_loss"):
            roles[name] = "val"  # fastai's metrics are computed on the validation set
    if not series:
        raise HistoryError("no metric values in this fastai history.csv", path=path)
    src = Path(path)
    hist = History(
        src.parent.name if src.stem == "history" and src.parent.name else src.stem,
        src,
        series,
        "fastai",
        info,
        tuple(dict.fromkeys(notes)),
        numbering="fastai_csv.epoch",
        monitor=MONITOR if MONITOR in series else None,
        monitor_why="fastai.monitor" if MONITOR in series else "",
        roles=roles,
    )
    return select([hist], run, path)


HISTORY_CSV = Format(
    "fastai-csv",
    "fastai CSVLogger history.csv (epoch,train_loss,valid_loss,...,time)",
    read_fastai,
    looks_fastai,
)
