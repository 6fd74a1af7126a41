"""Turn JSON Lines training logs (one JSON object per line) into :class:`History` runs.

Rows are merged into one series per key, placed at the row's own counter
(``iteration``, ``iter``, ``step``, ``global_step`` or ``epoch``). Bare ``NaN`` and
``Infinity`` tokens are read; blank lines are skipped; a last line cut short (the
writer is still running) is left out with a warning. Runs appended to one file (the
counter starts again) are kept apart, like appended CSV runs. Lists of numbers are
expanded with names where their meaning is known (COCO's 12 statistics) and otherwise
left out with a note. Four dialects are recognised by their keys, each with its
framework's conventions:

- Detectron2 ``metrics.json``: training rows by ``iteration``; evaluation results
  (``bbox/AP``, ``segm/AP``, per-class ``bbox/AP-<name>``) merged into training rows
  or on rows of their own (the final evaluation after the last iteration included).
- MMEngine ``vis_data/scalars.json``: for epoch-based loops, training rows carry
  ``step`` = iteration and validation rows ``step`` = epoch, so training rows are
  placed inside their epoch on one epoch axis; ``-1`` COCO placeholders are gaps.
- mmcv 1.x ``*.log.json``: an environment header line, then rows with ``mode``
  ``train``/``val``; strings such as ``bbox_mAP_copypaste`` are not metrics.
- DETR/DeiT ``log.txt``: one row per epoch (from 0), ``train_*`` and ``test_*`` keys
  (``test_`` is the held-out side); ``test_coco_eval_bbox`` lists the 12 COCO
  statistics, named AP, AP50, ... as pycocotools prints them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError
from reporter.history.formats import Format
from reporter.history.model import Axis, History, Note, Role, Series, logged_series, note
from reporter.history.runs import select
from reporter.history.text import decode_text, head_text

COUNTERS = ("iteration", "iter", "step", "global_step", "epoch")
# pycocotools COCOeval.summarize(), in order (bbox/segm); -1 means "no such objects"
COCO_STATS = (
    "AP",
    "AP50",
    "AP75",
    "APs",
    "APm",
    "APl",
    "AR1",
    "AR10",
    "AR100",
    "ARs",
    "ARm",
    "ARl",
)
COCO_KEYPOINT_STATS = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
MAX_EXPANDED = 32  # longer unnamed lists are left out
DETECTRON2_TASKS = {"bbox", "segm", "keypoints", "sem_seg", "panoptic_seg", "lvis", "box_proposals"}
_AP_LIKE = re.compile(r"(^|[/_\-])(m?AP|AR|mAR|bbox_mAP|segm_mAP)", re.IGNORECASE)


# ----------------------------------------------------------------------------- recognising


def looks_jsonl(data: bytes, path: str) -> bool:
    """A first line that is a whole JSON object, followed by a line that starts another."""
    text = head_text(data, 65536).lstrip("\ufeff \t\r\n")
    if not text.startswith("{"):
        return False
    end = text.find("\n")
    if end < 0:
        return Path(path).suffix.lower() in (".jsonl", ".ndjson") and _is_object(text)
    if not _is_object(text[:end]):
        return False
    rest = text[end:].lstrip(" \t\r\n")
    return rest.startswith("{") or (not rest and Path(path).suffix.lower() in (".jsonl", ".ndjson"))


def _is_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


# ----------------------------------------------------------------------------- parsing


@dataclass
class Row:
    line: int
    data: dict[str, Any]


def parse_lines(data: bytes, path: str) -> tuple[list[Row], list[Note]]:
    """Every non-blank line as an object; a damaged last line is dropped with a warning."""
    text = decode_text(data, path)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    rows: list[Row] = []
    notes: list[Note] = []
    for k, (lineno, line) in enumerate(numbered):
        try:
            obj = json.loads(line, object_pairs_hook=_last_wins(notes, lineno))
        except json.JSONDecodeError as exc:
            if k == len(numbered) - 1 and rows:
                notes.append(note("warn.jsonl_last_line", line=lineno))
                break
            raise HistoryError(
                f"line {lineno} of this JSON Lines log is not a JSON object ({exc.msg})",
                path=path,
                where=f"line {lineno} column {exc.colno}",
                hint="each line holds one JSON object; fix or delete that line",
            ) from exc
        except RecursionError as exc:
            raise HistoryError(
                f"line {lineno} is nested too deeply",
                path=path,
                where=f"line {lineno}",
                hint="not a training log (log rows are flat objects)",
            ) from exc
        except ValueError as exc:  # an integer of more than 4300 digits
            raise HistoryError(
                f"line {lineno}: number too large",
                path=path,
                where=f"line {lineno}",
                hint="not a training log; metric values are ordinary floats",
            ) from exc
        if not isinstance(obj, dict):
            raise HistoryError(
                f"line {lineno} holds a {type(obj).__name__}, not an object",
                path=path,
                where=f"line {lineno}",
                hint="each line of a JSON Lines log is one object of named values",
            )
        rows.append(Row(lineno, obj))
    if not rows:
        raise HistoryError("empty file", path=path, hint="nothing was logged yet")
    return rows, notes


def _last_wins(notes: list[Note], lineno: int) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                notes.append(note("warn.duplicate_key", key=f"{key} (line {lineno})"))
            out[key] = value
        return out

    return hook


def _number(value: Any) -> float | None:
    """A metric value, or ``None`` when the value is not a number (strings, bools, objects)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


# ----------------------------------------------------------------------------- the model


@dataclass
class Points:
    """Values of one run, gathered row by row: ``name -> [(x, value)]`` and each name's role."""

    values: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)  # name -> why
    info: dict[str, str] = field(default_factory=dict)
    gaps: dict[str, int] = field(default_factory=dict)  # -1 placeholders read as gaps

    def add(self, name: str, x: float, value: float, role: Role | None = None) -> None:
        self.values.setdefault(name, []).append((x, value))
        if role is not None:
            self.roles.setdefault(name, role)


def _expand(name: str, items: list[Any], points: Points, x: float, role: Role | None) -> None:
    """A list value: COCO statistics by their names, other short numeric lists by position."""
    numbers = [_number(v) for v in items]
    if not items or any(v is None for v in numbers):
        points.left_out.setdefault(name, "list")
        return
    low = name.lower()
    names: tuple[str, ...] | None = None
    if "coco_eval" in low and len(items) == len(COCO_STATS):
        names = COCO_STATS
    elif "coco_eval" in low and "keypoint" in low and len(items) == len(COCO_KEYPOINT_STATS):
        names = COCO_KEYPOINT_STATS
    if names is None and len(items) > MAX_EXPANDED:
        points.left_out.setdefault(name, "long list")
        return
    for i, v in enumerate(numbers):
        assert v is not None
        label = f"{name}/{names[i]}" if names else f"{name}[{i}]"
        if names and v == -1.0:
            points.gaps[label] = points.gaps.get(label, 0) + 1
            v = math.nan
        points.add(label, x, v, role)


def _row_values(
    row: Mapping[str, Any],
    points: Points,
    x: float,
    skip: Iterable[str] = (),
    role: Role | None = None,
    rename: Mapping[str, str] | None = None,
    placeholders: bool = False,
) -> None:
    skip = set(skip)
    for key, value in row.items():
        if key in skip:
            continue
        name = (rename or {}).get(key, key)
        if isinstance(value, list):
            _expand(name, value, points, x, role)
            continue
        v = _number(value)
        if v is None:
            if isinstance(value, str | bool) or value is None:
                if value is not None and name not in points.values:
                    points.info.setdefault(name, str(value)[:200])
            else:
                points.left_out.setdefault(name, "object")
            continue
        if placeholders and v == -1.0 and _AP_LIKE.search(name):
            points.gaps[name] = points.gaps.get(name, 0) + 1
            v = math.nan
        points.add(name, x, v, role)


def _history(
    points: Points,
    path: str,
    name: str,
    notes: list[Note],
    axis: Axis,
    dialect: str,
    numbering: str,
    monitor: str | None = None,
    monitor_why: str = "",
    info: Mapping[str, str] | None = None,
) -> History:
    notes = list(notes)
    series: dict[str, Series] = {}
    for key, pts in points.values.items():
        if key in COUNTERS:
            continue
        series[key] = logged_series(key, [p[0] for p in pts], [p[1] for p in pts], axis, notes)
    for key, count in points.gaps.items():
        # the -1 placeholders are gaps by design: say so once, not also as "non-finite values"
        notes = [
            n
            for n in notes
            if not (
                n.key == "warn.nonfinite"
                and n.params.get("metric") == key
                and n.params.get("count") == count
            )
        ]
        notes.append(note("warn.placeholder_gaps", metric=key, count=count))
    if points.left_out:
        shown = ", ".join(list(points.left_out)[:5])
        more = len(points.left_out) - 5
        notes.append(
            note("warn.jsonl_left_out", keys=shown + (f", … (+{more})" if more > 0 else ""))
        )
    if not series:
        raise HistoryError(
            "no metrics found (no line holds a number besides its counters)",
            path=path,
            hint='a training log has rows such as {"iteration": 19, "loss": 0.9}',
        )
    full_info = {"log": dialect, **(info or {})}
    for k, v in points.info.items():
        if len(full_info) < 40 and k not in series:
            full_info.setdefault(k, v)
    roles = {k: r for k, r in points.roles.items() if k in series}
    if monitor is not None and monitor not in series:
        monitor, monitor_why = None, ""
    return History(
        name,
        Path(path),
        series,
        "json-lines",
        full_info,
        tuple(dict.fromkeys(notes)),
        axis,
        None,
        numbering=numbering,
        monitor=monitor,
        monitor_why=monitor_why,
        monitor_facts={"monitor": monitor} if monitor else {},
        roles=roles,
    )


def _segments(counters: list[float | None]) -> list[int]:
    """Row positions where a run starts: the first row, and every row whose counter goes back."""
    starts = [0]
    last: float | None = None
    for i, c in enumerate(counters):
        if c is None:
            continue
        if last is not None and c < last:
            starts.append(i)
        last = c
    return starts


def _split_runs(
    rows: list[Row],
    counter_of: Any,
    build: Any,
    path: str,
    run: str | None,
) -> list[History]:
    """Split ``rows`` where ``counter_of(row)`` goes back, build each run, pick by ``--run``."""
    counters = [counter_of(r) for r in rows]
    starts = _segments(counters)
    bounds = [*starts, len(rows)]
    stem = Path(path).stem
    runs: list[History] = []
    for k in range(len(starts)):
        part = rows[bounds[k] : bounds[k + 1]]
        name = stem if len(starts) == 1 else f"{stem}-run{k + 1}"
        hist = build(part, name)
        if len(starts) > 1:
            hist = _with(hist, info={**hist.info, "run": str(k + 1)})
        runs.append(hist)
    chosen = select(runs, run, path, default="last")
    if len(runs) > 1 and run is None:
        only = chosen[0]
        chosen = [
            _with(
                only,
                name=stem,
                warnings=(*only.warnings, note("warn.appended_runs", count=len(runs))),
            )
        ]
    return chosen


def _with(h: History, **changes: Any) -> History:
    return dataclasses.replace(h, **changes)


# ----------------------------------------------------------------------------- dialects


def _dialect(rows: list[Row]) -> str:
    keys: set[str] = set()
    for r in rows[:200]:
        keys.update(r.data)
    if any(r.data.get("mode") in ("train", "val", "test") for r in rows[:200]):
        return "mmcv"
    if "iteration" in keys:
        return "detectron2"
    if (
        "step" in keys
        and ("lr" in keys or any(k.startswith("loss") for k in keys))
        and not any(k.startswith(("train_", "test_")) for k in keys)
    ):
        return "mmengine"
    if "epoch" in keys and any(k.startswith(("train_", "test_")) for k in keys):
        return "detr"
    return "generic"


def read_jsonl(data: bytes, path: str, run: str | None = None) -> list[History]:
    rows, notes = parse_lines(data, path)
    dialect = _dialect(rows)
    reader = {
        "detectron2": _detectron2,
        "mmengine": _mmengine,
        "mmcv": _mmcv,
        "detr": _detr,
        "generic": _generic,
    }[dialect]
    return reader(rows, notes, path, run)


def _detectron2(rows: list[Row], notes: list[Note], path: str, run: str | None) -> list[History]:
    """Training rows by ``iteration``; evaluation results are the held-out side."""
    train_rows = [r for r in rows if "total_loss" in r.data or "lr" in r.data]
    counts: dict[str, int] = {}
    for r in rows:
        for k in r.data:
            counts[k] = counts.get(k, 0) + 1
    n_train = max(len(train_rows), 1)

    def is_eval(key: str) -> bool:
        head = key.split("/", 1)[0]
        if "/" in key and head in DETECTRON2_TASKS:
            return True
        low = key.lower()
        return (
            counts.get(key, 0) * 2 <= n_train
            and "loss" not in low
            and key not in ("lr", "iteration", "data_time", "time", "eta_seconds")
            and "/" in key
        )

    def build(part: list[Row], name: str) -> History:
        points = Points()
        for r in part:
            x = _number(r.data.get("iteration"))
            if x is None:
                continue
            for key, value in r.data.items():
                if key == "iteration":
                    continue
                role: Role | None = "val" if is_eval(key) else None
                _row_values({key: value}, points, x, role=role)
        monitor = next(
            (
                m
                for m in ("bbox/AP", "segm/AP", "keypoints/AP", "sem_seg/mIoU", "panoptic_seg/PQ")
                if m in points.values
            ),
            None,
        )
        return _history(
            points,
            path,
            name,
            notes,
            "step",
            "Detectron2 metrics.json",
            "detectron2",
            monitor,
            "monitor.detectron_ap" if monitor else "",
        )

    # evaluation-only rows sit at the iteration after the last (max_iter): not a restart
    return _split_runs(rows, lambda r: _number(r.data.get("iteration")), build, path, run)


_TRAIN_ONLY = {"lr", "memory", "time", "data_time", "eta", "eta_seconds", "grad_norm"}


def _is_train_row(row: Mapping[str, Any]) -> bool:
    return "lr" in row or any(k.startswith("loss") or k.endswith("loss") for k in row)


def _val_names(train_keys: set[str], val_keys: set[str]) -> dict[str, str]:
    """Validation keys that collide with training keys get a ``val/`` prefix."""
    return {k: f"val/{k}" for k in val_keys if k in train_keys}


def _epoch_positions(train: list[tuple[float, float]]) -> Any:
    """Map (epoch, position-in-training) → x on an epoch axis: epoch e spans (e-1, e], its
    last logged row at e (epochs counted from 1, as MMEngine and mmcv print them)."""
    ends: dict[float, float] = {}
    for epoch, pos in train:
        ends[epoch] = max(ends.get(epoch, -math.inf), pos)
    knots_p = [0.0]
    knots_e = [min(ends, default=1.0) - 1.0]
    for epoch in sorted(ends):
        if ends[epoch] > knots_p[-1]:
            knots_p.append(ends[epoch])
            knots_e.append(epoch)

    def x_of(epoch: float, pos: float) -> float:
        x = float(np.interp(pos, knots_p, knots_e))
        return min(max(x, epoch - 1.0), epoch)

    return x_of


def _mmengine(rows: list[Row], notes: list[Note], path: str, run: str | None) -> list[History]:
    """Training rows at ``step`` = iteration; validation rows at ``step`` = epoch when the
    loop is epoch-based (training rows then carry ``epoch``), else at the iteration."""

    def build(part: list[Row], name: str) -> History:
        train = [r for r in part if _is_train_row(r.data)]
        val = [r for r in part if not _is_train_row(r.data)]
        by_epoch = any("epoch" in r.data for r in train)
        train_keys = {k for r in train for k in r.data}
        val_keys = {k for r in val for k in r.data} - {"step"}
        rename = _val_names(train_keys, val_keys)
        points = Points()
        if by_epoch:
            pos = [
                (e, s)
                for r in train
                if (e := _number(r.data.get("epoch"))) is not None
                and (s := _number(r.data.get("step"))) is not None
            ]
            x_of = _epoch_positions(pos)
        for r in train:
            step = _number(r.data.get("step"))
            if step is None:
                continue
            epoch = _number(r.data.get("epoch"))
            x = x_of(epoch, step) if by_epoch and epoch is not None else step
            _row_values(r.data, points, x, skip=("step", "epoch", "iter"))
        for r in val:
            x_val = _number(r.data.get("step"))
            if x_val is None:
                continue
            _row_values(
                r.data,
                points,
                x_val,
                skip=("step", *(k for k in rename if k in _TRAIN_ONLY)),
                role="val",
                rename=rename,
                placeholders=True,
            )
        for k in list(points.values):
            if k.startswith("val/") and k[4:] in _TRAIN_ONLY:
                del points.values[k]
        return _history(
            points,
            path,
            name,
            notes,
            "epoch" if by_epoch else "step",
            "MMEngine scalars.json",
            "mmengine_epoch" if by_epoch else "mmengine_iter",
        )

    def counter(r: Row) -> float | None:
        return _number(r.data.get("step")) if _is_train_row(r.data) else None

    return _split_runs(rows, counter, build, path, run)


def _mmcv(rows: list[Row], notes: list[Note], path: str, run: str | None) -> list[History]:
    """mmcv 1.x: a header line (env_info/config), then ``mode`` train/val rows."""
    header: dict[str, str] = {}
    body = []
    for r in rows:
        if "mode" not in r.data:
            for k in (
                "mmcls_version",
                "mmdet_version",
                "mmseg_version",
                "mmcv_version",
                "seed",
                "exp_name",
            ):
                if k in r.data and isinstance(r.data[k], str | int | float):
                    header[k] = str(r.data[k])[:200]
            continue
        body.append(r)
    if not body:
        raise HistoryError(
            "no training rows (only the environment header)",
            path=path,
            hint="training stopped before the first log interval",
        )

    def build(part: list[Row], name: str) -> History:
        train = [r for r in part if r.data.get("mode") == "train"]
        val = [r for r in part if r.data.get("mode") in ("val", "test")]
        by_epoch = any("epoch" in r.data for r in part)
        train_keys = {k for r in train for k in r.data}
        val_keys = {k for r in val for k in r.data} - {"mode", "epoch", "iter"}
        rename = _val_names(train_keys, val_keys)
        points = Points()
        # epoch e spans (e-1, e]: a row at inner iteration i of n logged is at e - 1 + i/n
        last_iter: dict[float, float] = {}
        for r in train:
            e, i = _number(r.data.get("epoch")), _number(r.data.get("iter"))
            if e is not None and i is not None:
                last_iter[e] = max(last_iter.get(e, 0.0), i)
        order = 0.0
        for r in train:
            e, i = _number(r.data.get("epoch")), _number(r.data.get("iter"))
            if by_epoch and e is not None and i is not None and last_iter.get(e, 0.0) > 0:
                x = e - 1.0 + min(i / last_iter[e], 1.0)
            elif i is not None:
                x = i
            else:
                order += 1
                x = order
            _row_values(r.data, points, x, skip=("mode", "epoch", "iter"))
        for r in val:
            e = _number(r.data.get("epoch")) if by_epoch else _number(r.data.get("iter"))
            if e is None:
                continue
            _row_values(
                r.data,
                points,
                e,
                skip=("mode", "epoch", "iter", *_TRAIN_ONLY),
                role="val",
                rename=rename,
                placeholders=True,
            )
        return _history(
            points,
            path,
            name,
            notes,
            "epoch" if by_epoch else "step",
            "mmcv log.json",
            "mmcv_epoch" if by_epoch else "mmcv_iter",
            info=header,
        )

    def counter(r: Row) -> float | None:
        if r.data.get("mode") != "train":
            return None
        e, i = _number(r.data.get("epoch")), _number(r.data.get("iter"))
        if e is not None:
            return e * 1e9 + (i or 0.0)
        return i

    return _split_runs(body, counter, build, path, run)


def _detr(rows: list[Row], notes: list[Note], path: str, run: str | None) -> list[History]:
    """DETR/DeiT ``log.txt``: one row per epoch, counted from 0 as their console prints."""

    def build(part: list[Row], name: str) -> History:
        points = Points()
        info: dict[str, str] = {}
        for r in part:
            x = _number(r.data.get("epoch"))
            if x is None:
                continue
            if "n_parameters" in r.data:
                info["n_parameters"] = str(r.data["n_parameters"])
            _row_values(r.data, points, x, skip=("epoch", "n_parameters"))
        return _history(points, path, name, notes, "epoch", "DETR/DeiT log.txt", "detr", info=info)

    return _split_runs(rows, lambda r: _number(r.data.get("epoch")), build, path, run)


def _generic(rows: list[Row], notes: list[Note], path: str, run: str | None) -> list[History]:
    """Any other JSON Lines log: x is the first counter most rows carry, else the row number."""
    counts = {c: sum(1 for r in rows if _number(r.data.get(c)) is not None) for c in COUNTERS}
    counter = next((c for c in COUNTERS if counts[c] * 2 >= len(rows)), None)

    def build(part: list[Row], name: str) -> History:
        points = Points()
        for k, r in enumerate(part, start=1):
            x = _number(r.data.get(counter)) if counter else float(k)
            if x is None:
                continue
            _row_values(r.data, points, x, skip=(counter,) if counter else ())
        axis: Axis = "epoch" if counter in (None, "epoch") else "step"
        return _history(
            points,
            path,
            name,
            notes,
            axis,
            "JSON Lines",
            f"as_logged:{counter}" if counter else "row_number",
        )

    if counter is None:
        return select([build(rows, Path(path).stem)], run, path)
    return _split_runs(rows, lambda r: _number(r.data.get(counter)), build, path, run)


JSON_LINES = Format(
    "json-lines",
    "one JSON object per line: Detectron2 metrics.json, MMEngine scalars.json, "
    "mmcv *.log.json, DETR/DeiT log.txt",
    read_jsonl,
    looks_jsonl,
    frozenset({".jsonl", ".ndjson"}),
)
