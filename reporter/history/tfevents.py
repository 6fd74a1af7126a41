"""Turn TensorBoard event files (``events.out.tfevents.*``) into a run on a step axis.

Classic ``simple_value`` scalars and TF2 tensor scalars (plugin ``scalars``) are both
read. The TFRecord framing is walked here (fast); each record is parsed with
TensorBoard's own ``Event`` protobuf class, an optional extra:
``pip install 'reporter[tensorboard]'``. Other plugins (hparams, images ...) are skipped.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError
from reporter.history.formats import Format
from reporter.history.model import History, Note, Series, logged_series
from reporter.history.regular import MAX_BYTES, read_bytes
from reporter.history.runs import select

MISSING = (
    "reading TensorBoard event files needs the tensorboard extra: "
    "pip install 'reporter[tensorboard]'"
)


def looks_tfevents(data: bytes, path: str) -> bool:
    """A TFRecord stream: an 8-byte length, a 4-byte CRC, and an Event proto whose first field
    is wall_time (tag 0x09). Event files also carry ``tfevents`` in their name."""
    return (
        len(data) >= 13 and data[12:13] == b"\x09" and int.from_bytes(data[:8], "little") < 1 << 20
    )


def _records(data: bytes, path: str) -> Iterator[bytes]:
    """TFRecord framing: u64 length, u32 masked CRC, payload, u32 masked CRC."""
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise HistoryError(
                f"event file truncated at byte {pos}",
                path=path,
                hint="the writer was interrupted; the next flush completes it",
            )
        (length,) = struct.unpack_from("<Q", data, pos)
        start = pos + 12
        if length > len(data) - start - 4:
            raise HistoryError(
                f"event file truncated or corrupt at byte {pos}",
                path=path,
                hint="the writer was interrupted; the next flush completes it",
            )
        yield data[start : start + length]
        pos = start + length + 4


def _value(v: Any) -> float | None:
    """A scalar from a summary value: classic ``simple_value`` or a TF2 0-d tensor."""
    kind = v.WhichOneof("value")
    if kind == "simple_value":
        return float(v.simple_value)
    if kind != "tensor":
        return None
    plugin = v.metadata.plugin_data.plugin_name
    if plugin not in ("", "scalars"):
        return None
    tp = v.tensor
    if tp.tensor_shape.dim and any(d.size != 1 for d in tp.tensor_shape.dim):
        return None
    dtype = _DTYPES.get(tp.dtype)
    if dtype is None:
        return None
    if tp.tensor_content:
        arr = np.frombuffer(tp.tensor_content, dtype=dtype)
        return float(arr[0]) if arr.size == 1 else None
    for field in ("float_val", "double_val", "int_val", "int64_val", "half_val"):
        vals = getattr(tp, field)
        if len(vals) == 1:
            return float(vals[0])
    return None


_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64, 19: np.float16}


def read_tfevents(data: bytes, path: str, run: str | None = None) -> list[History]:
    try:
        from tensorboard.compat.proto import event_pb2  # the optional tensorboard extra
    except ImportError:
        raise HistoryError(MISSING, path=path) from None
    src = Path(path)
    if not data:
        try:
            data = src.read_bytes()
        except OSError as exc:
            raise HistoryError(
                f"cannot read: {exc.strerror or exc}",
                path=path,
                hint="check that the file exists and is readable by this user",
            ) from exc
    raw: dict[str, list[tuple[float, float]]] = {}
    for i, record in enumerate(_records(data, path)):
        try:
            event = event_pb2.Event.FromString(record)
        except Exception as exc:  # protobuf's DecodeError and friends
            raise HistoryError(
                f"record {i} is not a TensorBoard event ({type(exc).__name__})",
                path=path,
                hint="the file is damaged or is not a TensorBoard event file",
            ) from exc
        if not event.HasField("summary"):
            continue
        for v in event.summary.value:
            value = _value(v)
            if value is not None and v.tag:
                raw.setdefault(v.tag, []).append((float(event.step), value))
    if not raw:
        raise HistoryError(
            "no scalar summaries in this event file",
            path=path,
            hint="only scalars (tf.summary.scalar, add_scalar) are reported",
        )
    notes: list[Note] = []
    series: dict[str, Series] = {}
    # Keras's TensorBoard callback writes train/ and validation/ folders with the same tags
    prefix = "val_" if src.parent.name.lower() in ("validation", "val", "eval", "valid") else ""
    for tag, pts in raw.items():
        name = prefix + tag
        series[name] = logged_series(name, [p[0] for p in pts], [p[1] for p in pts], "step", notes)
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
    return History(
        first.name,
        first.source.parent.parent if len(runs) > 1 else first.source,
        series,
        "tfevents",
        {},
        tuple(dict.fromkeys(notes)),
        "step",
    )


def is_events_folder(folder: Path) -> bool:
    """One run's folder of TensorBoard event files: event files in it, or in its direct
    subfolders (Keras's ``train/`` and ``validation/`` writers)."""
    try:
        for entry in folder.iterdir():
            if entry.is_symlink():
                continue
            if entry.is_file() and "tfevents" in entry.name:
                return True
            if entry.is_dir() and any(
                "tfevents" in f.name and f.is_file() and not f.is_symlink()
                for f in entry.iterdir()
            ):
                return True
    except OSError:
        return False
    return False


def _event_files(folder: Path, depth: int = 3) -> list[Path]:
    """Regular ``*tfevents*`` files at most ``depth`` levels below ``folder``, links not
    followed; walked level by level, so a deep tree costs no recursion."""
    found: list[Path] = []
    level = [folder]
    for _ in range(depth):
        below: list[Path] = []
        for here in level:
            try:
                with os.scandir(here) as it:
                    entries = list(it)
            except OSError:
                continue
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    below.append(Path(e.path))
                elif e.is_file(follow_symlinks=False) and "tfevents" in e.name:
                    with contextlib.suppress(OSError):
                        if e.stat(follow_symlinks=False).st_size:  # a writer's empty new file
                            found.append(Path(e.path))
        level = below
    return sorted(found)



def read_folder(path: str, run: str | None = None, limit: int = MAX_BYTES) -> list[History]:
    """One run from every event file below ``path`` (Keras's train/ and validation/ merged);
    each file is read as if given alone: the same --max-bytes, empty and FIFO checks."""
    events = _event_files(Path(path))
    if not events:
        raise HistoryError("no TensorBoard event files in this folder", path=path)
    parts = [r for f in events[:200] for r in read_tfevents(read_bytes(f, limit), str(f), None)]
    return select([merge(parts)], run, path)


EVENTS = Format(
    "tfevents",
    "TensorBoard event files, one file or a folder of them",
    read_tfevents,
    looks_tfevents,
    is_folder=is_events_folder,
    read_folder=read_folder,
    noun="TensorBoard event files",
)
