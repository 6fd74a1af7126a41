"""Turn Keras ``history.history`` saved as JSON or pickle into :class:`History` runs.

The shape is a dict ``metric -> list of numbers`` (one per epoch). Also read:
a wrapper holding one run per key (``{"0": {...}}``), scalar metadata mixed
with the lists (kept as run info), and a bare list of numbers (one metric,
named after the file).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError, UnsafeInputError
from reporter.history import safepickle
from reporter.history.model import History, Note, Series, epoch_series, note
from reporter.history.runs import MAX_METRICS, MAX_RUNS, select
from reporter.history.text import decode_text

_INFO_TYPES = (str, int, float, bool, type(None))


def _key(key: object, path: str) -> str:
    if isinstance(key, bytes):
        try:
            return key.decode("utf-8")
        except UnicodeDecodeError:
            return key.decode("latin-1")
    if isinstance(key, str):
        return key
    raise HistoryError(
        f"metric names must be strings, found a {type(key).__name__} key {key!r:.40}",
        path=path,
        hint="save history.history, whose keys are the metric names",
    )


def _is_series(value: object) -> bool:
    return isinstance(value, list | tuple) or safepickle.is_array(value)


def _numbers(value: object, path: str, where: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A flat list of numbers as float64; checked before any numpy conversion."""
    if safepickle.is_array(value):
        return safepickle.array_values(value)
    assert isinstance(value, list | tuple)
    out = np.empty(len(value), dtype=np.float64)
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int | float | type(None)):
            raise HistoryError(
                f"expected a list of numbers, found {type(item).__name__} at position {i}",
                path=path,
                where=where,
                hint="each metric is a flat list of numbers, one per epoch (null for a gap)",
            )
        if item is None:
            out[i] = math.nan
            continue
        try:
            out[i] = float(item)
        except OverflowError:
            out[i] = math.inf if item > 0 else -math.inf
    return out


def _run(
    mapping: Mapping[Any, Any],
    path: str,
    name: str,
    fmt: str,
    prefix: str = "",
    warnings: tuple[Note, ...] = (),
) -> History | None:
    series: dict[str, Series] = {}
    info: dict[str, str] = {}
    notes = list(warnings)
    left_out = 0
    for raw_key, value in mapping.items():
        key = _key(raw_key, path)
        where = f"{prefix}{key}"
        if _is_series(value) and len(series) >= MAX_METRICS:
            left_out += 1
            continue
        if _is_series(value):
            values = _numbers(value, path, where)
            if values.size == 0:
                notes.append(note("warn.empty_metric", metric=key))
                continue
            bad = int(np.count_nonzero(~np.isfinite(values)))
            if bad:
                notes.append(note("warn.nonfinite", metric=key, count=bad, total=int(values.size)))
            series[key] = epoch_series(key, values)
        elif isinstance(value, (*_INFO_TYPES, bytes)):
            info[key] = _key(value, path) if isinstance(value, bytes) else str(value)
        elif isinstance(value, Mapping):
            notes.append(note("warn.nested_ignored", key=where))
        else:
            raise HistoryError(
                f"unexpected {type(value).__name__} value",
                path=path,
                where=where,
                hint="each metric is a flat list of numbers, one per epoch",
            )
    if not series:
        return None
    if left_out:
        notes.append(note("limit.metrics", count=left_out, limit=MAX_METRICS))
    lengths = {len(s) for s in series.values()}
    if len(lengths) > 1:
        notes.append(
            note(
                "warn.unequal_lengths",
                lengths=", ".join(f"{k}: {len(s)}" for k, s in list(series.items())[:6]),
            )
        )
    return History(
        name=name, source=Path(path), series=series, format=fmt, info=info, warnings=tuple(notes)
    )


def runs_from_object(
    obj: object, path: str, fmt: str, warnings: tuple[Note, ...] = ()
) -> list[History]:
    """Normalise a decoded JSON/pickle object into one or more runs."""
    stem = Path(path).stem or "history"
    if isinstance(obj, list | tuple) or safepickle.is_array(obj):
        values = _numbers(obj, path, "(top level)")
        if values.size == 0:
            raise HistoryError(
                "no metrics found (the list is empty)",
                path=path,
                hint="training saved no epochs yet",
            )
        return [
            History(
                name=stem,
                source=Path(path),
                series={stem: epoch_series(stem, values)},
                format=fmt,
                warnings=(*warnings, note("warn.bare_list", metric=stem)),
            )
        ]
    if not isinstance(obj, Mapping):
        raise HistoryError(
            f"expected an object of metric lists at the top level, found {type(obj).__name__}",
            path=path,
            where="(top level)",
            hint='a Keras history looks like {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}',
        )
    run = _run(obj, path, stem, fmt, warnings=warnings)
    if run is not None:
        return [run]
    runs = []
    wrapped = [(k, v) for k, v in obj.items() if isinstance(v, Mapping)]
    capped = (note("limit.runs", count=len(wrapped) - MAX_RUNS, limit=MAX_RUNS),)
    for raw_key, value in wrapped[:MAX_RUNS]:
        key = _key(raw_key, path)
        notes = (*warnings, *capped) if len(wrapped) > MAX_RUNS else warnings
        nested = _run(value, path, f"{stem}-{key}", fmt, prefix=f"{key}.", warnings=notes)
        if nested is not None:
            runs.append(nested)
    if not runs:
        raise HistoryError(
            "no metrics found (no key holds a list of numbers)",
            path=path,
            hint='a Keras history looks like {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]}',
        )
    return runs


def _pairs_hook(warn: list[Note]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                warn.append(note("warn.duplicate_key", key=key))
            out[key] = value
        return out

    return hook


def load_json(data: bytes, path: str) -> tuple[object, tuple[Note, ...]]:
    """Parse JSON text with clear errors; duplicates and non-finite numbers become warnings."""
    text = decode_text(data, path)
    warn: list[Note] = []
    try:
        obj = json.loads(text, object_pairs_hook=_pairs_hook(warn))
    except json.JSONDecodeError as exc:
        what = "the file ends too early (truncated?)" if exc.pos >= len(text.rstrip()) else exc.msg
        raise HistoryError(
            f"invalid JSON: {what}",
            path=path,
            where=f"line {exc.lineno} column {exc.colno}",
            hint="the save was interrupted; re-save it"
            if what.startswith("the file ends")
            else "fix the JSON there (a JSON checker shows the context)",
        ) from exc
    except RecursionError as exc:
        raise HistoryError(
            "invalid JSON: nested too deeply",
            path=path,
            hint="not a training history (histories nest two levels at most)",
        ) from exc
    except ValueError as exc:  # int too large (sys.int_info.str_digits_check_threshold)
        raise HistoryError(
            "invalid JSON: number too large (an integer of more than 4300 digits)",
            path=path,
            hint="not a training history; metric values are ordinary floats",
        ) from exc
    return obj, tuple(dict.fromkeys(warn))


def read_json(data: bytes, path: str, run: str | None = None) -> list[History]:
    obj, warnings = load_json(data, path)
    return select(runs_from_object(obj, path, "keras-json", warnings), run, path)


def read_pickle(data: bytes, path: str, run: str | None = None) -> list[History]:
    try:
        obj = safepickle.safe_loads(data)
        return select(runs_from_object(obj, path, "keras-pickle"), run, path)
    except UnsafeInputError as exc:
        raise exc.at(path) from None
