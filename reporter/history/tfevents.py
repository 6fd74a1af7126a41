"""Turn TensorBoard event files (``events.out.tfevents.*``) into a run on a step axis.

Classic ``simple_value`` scalars and TF2 tensor scalars are both read, through
TensorBoard's own ``EventAccumulator``: an optional extra,
``pip install 'reporter[tensorboard]'``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError
from reporter.history.model import History, Note, Series, note
from reporter.history.runs import select

MISSING = ("reading TensorBoard event files needs the tensorboard extra: "
           "pip install 'reporter[tensorboard]'")


def looks_tfevents(data: bytes, path: str) -> bool:
    """A TFRecord stream: an 8-byte length, a 4-byte CRC, and an Event proto whose first field
    is wall_time (tag 0x09). Event files also carry ``tfevents`` in their name."""
    return len(data) >= 13 and data[12:13] == b"\x09" and int.from_bytes(data[:8], "little") < 1 << 20


def read_tfevents(data: bytes, path: str, run: str | None = None) -> list[History]:
    try:
        from tensorboard.backend.event_processing import event_accumulator
        from tensorboard.util import tensor_util
    except ImportError:
        raise HistoryError(MISSING, path=path) from None
    src = Path(path)
    target = src
    if "tfevents" not in src.name and src.is_file():
        raise HistoryError("TensorBoard only reads files whose name contains 'tfevents' "
                           "(rename it, e.g. events.out.tfevents.1)", path=path)
    acc = event_accumulator.EventAccumulator(
        str(target), size_guidance={"scalars": 0, "tensors": 0, "histograms": 1, "images": 1,
                                    "audio": 1, "compressedHistograms": 1})
    try:
        acc.Reload()
    except Exception as exc:  # corrupt records raise from deep inside TensorBoard
        raise HistoryError(f"cannot read the event file: {type(exc).__name__}: {exc}",
                           path=path) from exc
    tags = acc.Tags()
    raw: dict[str, list[tuple[float, float]]] = {}
    for tag in tags.get("scalars", []):
        raw[tag] = [(float(e.step), float(e.value)) for e in acc.Scalars(tag)]
    for tag in tags.get("tensors", []):
        pts = []
        for e in acc.Tensors(tag):
            arr = _scalar(tensor_util.make_ndarray(e.tensor_proto))
            if arr is not None:
                pts.append((float(e.step), arr))
        if pts:
            raw.setdefault(tag, pts)
    if not raw:
        raise HistoryError("no scalar summaries in this event file", path=path)
    notes: list[Note] = []
    series: dict[str, Series] = {}
    # Keras's TensorBoard callback writes train/ and validation/ folders with the same tags
    prefix = "val_" if src.parent.name.lower() in ("validation", "val", "eval", "valid") else ""
    for tag, pts in raw.items():
        tag = prefix + tag
        pts.sort(key=lambda p: p[0])
        x = np.array([p[0] for p in pts])
        v = np.array([p[1] for p in pts])
        if len(np.unique(x)) != len(x):
            notes.append(note("warn.duplicate_steps", metric=tag))
            keep = np.r_[np.diff(x) != 0, True]
            x, v = x[keep], v[keep]
        bad = int(np.count_nonzero(~np.isfinite(v)))
        if bad:
            notes.append(note("warn.nonfinite", metric=tag, count=bad, total=int(v.size)))
        series[tag] = Series(tag, v, x, "step")
    name = src.parent.name if src.name.startswith("events.out") else src.stem
    if prefix or src.parent.name.lower() == "train":
        name = src.parent.parent.name or name
    hist = History(name, src, series, "tfevents", {}, tuple(dict.fromkeys(notes)), "step")
    return select([hist], run, path)


def merge(runs: list[History]) -> History:
    """One run from the event files of one training (e.g. Keras's train/ and validation/)."""
    series: dict[str, Series] = {}
    notes: list[Note] = []
    for r in runs:
        for name, s in r.series.items():
            series.setdefault(name, s)
        notes.extend(r.warnings)
    first = runs[0]
    return History(first.name, first.source.parent.parent if len(runs) > 1 else first.source,
                   series, "tfevents", {}, tuple(dict.fromkeys(notes)), "step")


def _scalar(arr: Any) -> float | None:
    a = np.asarray(arr)
    if a.size != 1 or a.dtype.kind not in "fiub":
        return None
    v = float(a.reshape(-1)[0])
    return v if math.isfinite(v) or math.isnan(v) or math.isinf(v) else None
