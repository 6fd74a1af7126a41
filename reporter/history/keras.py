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
from reporter.history import mlflow, safepickle
from reporter.history.formats import Format
from reporter.history.model import History, Note, Series, epoch_series, note
from reporter.history.runs import MAX_METRICS, MAX_RUNS, select
from reporter.history.text import decode_text, head_text

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


SHORT_LIST = 4  # a list this short beside longer series is metadata (milestones, class weights)


def _number_list(value: object) -> bool:
    """A list whose every item is a number or null (a series, or numeric metadata)."""
    if safepickle.is_array(value):
        return True
    return isinstance(value, list | tuple) and all(
        item is None or (isinstance(item, int | float) and not isinstance(item, bool))
        for item in value
    )


def _as_info(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value[:20]) + (" …" if len(value) > 20 else "")
    return str(value)


def _run(
    mapping: Mapping[Any, Any],
    path: str,
    name: str,
    fmt: str,
    prefix: str = "",
    warnings: tuple[Note, ...] = (),
) -> History | None:
    """One run from a dict of metric lists. What is not a series (strings, lists of strings,
    nested objects, lists mixing numbers and text, short numeric lists beside long series)
    is the run's metadata: kept as info where it is short, named in a warning either way.
    ``None`` when no series remains."""
    series: dict[str, Series] = {}
    info: dict[str, str] = {}
    notes = list(warnings)
    kept: list[str] = []
    refusal: HistoryError | None = None  # why the first non-series list is not one
    lists: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    left_out = 0
    for raw_key, value in mapping.items():
        key = _key(raw_key, path)
        where = f"{prefix}{key}"
        if _is_series(value) and _number_list(value) and len(lists) >= MAX_METRICS:
            left_out += 1
            continue
        if _is_series(value) and _number_list(value):
            lists[key] = _numbers(value, path, where)
        elif isinstance(value, (*_INFO_TYPES, bytes)):
            info[key] = _key(value, path) if isinstance(value, bytes) else str(value)
        elif isinstance(value, list | tuple):  # strings, or numbers mixed with text
            if refusal is None:
                try:
                    _numbers(value, path, where)
                except HistoryError as exc:
                    refusal = exc
            if all(isinstance(v, str | int | float | bool | type(None)) for v in value):
                info[key] = _as_info(value)
            kept.append(where)
        elif isinstance(value, Mapping):
            for sub, item in list(value.items())[:10]:
                if isinstance(sub, str) and isinstance(item, _INFO_TYPES):
                    info[f"{key}.{sub}"] = str(item)
            notes.append(note("warn.nested_ignored", key=where))
        else:
            raise HistoryError(
                f"unexpected {type(value).__name__} value",
                path=path,
                where=where,
                hint="each metric is a flat list of numbers, one per epoch",
            )
    longest = max((v.size for v in lists.values()), default=0)
    for key, values in lists.items():
        if values.size == 0:
            notes.append(note("warn.empty_metric", metric=key))
            continue
        if values.size <= SHORT_LIST < longest and values.size * 2 < longest and not _paired(
            key, lists
        ):
            info[key] = _as_info([float(v) if not float(v).is_integer() else int(v)
                                  for v in values.tolist()])
            kept.append(f"{prefix}{key}")
            continue
        bad = int(np.count_nonzero(~np.isfinite(values)))
        if bad:
            notes.append(note("warn.nonfinite", metric=key, count=bad, total=int(values.size)))
        series[key] = epoch_series(key, values)
    if not series:
        if refusal is not None:
            raise refusal  # nothing else to report: say what is wrong with the list there
        return None
    if kept:
        shown = ", ".join(kept[:6]) + (f", … (+{len(kept) - 6})" if len(kept) > 6 else "")
        notes.append(note("warn.metadata_kept", keys=shown))
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


def _paired(key: str, lists: Mapping[str, Any]) -> bool:
    """``val_loss`` beside ``loss`` (or the reverse): a real series, however short."""
    low = key.lower()
    for prefix in ("val_", "valid_", "validation_", "test_", "eval_"):
        if low.startswith(prefix) and key[len(prefix) :] in lists:
            return True
        if prefix + key in lists:
            return True
    return False


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
        if exc.msg == "Extra data" and text[: exc.pos].rstrip().endswith("}") and text[
            exc.pos :
        ].lstrip().startswith("{"):
            raise HistoryError(
                "this is JSON Lines (one JSON object per line), not one JSON document",
                path=path,
                where=f"line {exc.lineno}",
                hint="leave out --format, or pass --format json-lines",
            ) from exc
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


# ----------------------------------------------------------------------------- recognising


def _first_text(data: bytes) -> str:
    """The first non-blank character of a text file (BOM-aware)."""
    return head_text(data, 400).lstrip("\ufeff \t\r\n")[:1]


PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".p", ".pk", ".pck"})
_PICKLE_STARTS = (b"(", b"}", b"]", b"c", b"N")
_TEXT_SUFFIXES = {".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".txt", ".log"}


def looks_json(data: bytes, path: str) -> bool:
    first = _first_text(data)
    if first in ("{", "["):
        return True
    # a .json file whose top level is a bare string, number or literal: let the JSON
    # reader say what it holds instead of "unknown format"
    return Path(path).suffix.lower() == ".json" and first in (
        '"',
        "-",
        "t",
        "f",
        "n",
        *"0123456789",
    )


def looks_pickle(data: bytes, path: str) -> bool:
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return True
    if looks_json(data, path) or mlflow.looks_sqlite(data, path):
        return False
    suffix = Path(path).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return True
    # Protocol 0/1 pickles of a history start with MARK, EMPTY_DICT/LIST or GLOBAL and end
    # with STOP; a text file that merely ends with a full stop is not one.
    return (
        suffix not in _TEXT_SUFFIXES
        and data[:1] in _PICKLE_STARTS
        and data.rstrip(b"\r\n")[-1:] == b"."
    )


PICKLE = Format(
    "keras-pickle",
    "pickle.dump(history.history), read without running anything",
    read_pickle,
    looks_pickle,
    PICKLE_SUFFIXES,
)
JSON = Format(
    "keras-json",
    "a dict of metric lists, or one run per key",
    read_json,
    looks_json,
    frozenset({".json"}),
)
