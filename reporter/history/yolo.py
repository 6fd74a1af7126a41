"""Turn Ultralytics YOLO training logs into a run: ``results.csv`` and ``results.txt``.

Layouts read (told apart by their columns):

- YOLOv5 ``results.csv``: ``epoch`` counted from 0 as its console prints it
  (``0/99``), ``metrics/mAP_0.5:0.95``, learning rates ``x/lr0..2``.
- Ultralytics 8.0 ``results.csv``: names and cells padded to a fixed width, ``epoch``
  counted from 0 although the console prints ``1/25``: shown from 1, as printed. From
  8.0.1xx on the column is written from 1 (still padded until 8.3.8), so a file whose
  first epoch is 0 is read as counted from 0.
- Ultralytics 8.3.9+ and YOLO11 ``results.csv``: no padding, ``epoch`` from 1 as printed,
  then ``time`` (seconds since the start, not a metric).
- YOLOv5 ≤ 5.0 and YOLOv7 ``results.txt``: no header, whitespace-separated, the epoch
  as ``3/99`` (from 0, as printed), GPU memory as ``1.86G``, 15 columns.

The monitored series is the one Ultralytics keeps ``best.pt`` by: its *fitness*,
computed from the validation metrics as its source does for each task (detect, segment,
pose, OBB: ``0.1·mAP50 + 0.9·mAP50-95`` per box/mask/pose head, summed; classify:
``(top1 + top5) / 2``), the *last* epoch with the highest fitness being the one
``best.pt`` holds (the best moves on a strict improvement, but the file is saved again on a
tie). The newest Ultralytics releases rank by mAP50-95 alone; the report says which formula
it used. Values in the CSV are rounded to 5-6 digits, so a recomputed tie may not be one.
``lr/pg0..N`` and ``x/lr0..2`` are learning rates of the parameter groups.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from reporter.errors import HistoryError
from reporter.history.csvlog import cell_number, read_table
from reporter.history.formats import Format
from reporter.history.model import Direction, History, Note, Role, Series, note
from reporter.history.runs import select
from reporter.history.text import decode_text, head_text

FITNESS = "fitness"
# results.txt (YOLOv5 ≤ 5.0, YOLOv7): the train.py format string, column by column
TXT_COLUMNS = (
    "epoch",
    "gpu_mem",
    "box_loss",
    "obj_loss",
    "cls_loss",
    "total_loss",
    "labels",
    "img_size",
    "P",
    "R",
    "mAP@.5",
    "mAP@.5:.95",
    "val_box_loss",
    "val_obj_loss",
    "val_cls_loss",
)
_TXT_EPOCH = re.compile(r"^(\d+)/(\d+)$")
_MEMORY = re.compile(r"^([0-9.]+)([KMGT]?)B?$", re.IGNORECASE)
# fitness heads: (mAP50 column, mAP50-95 column) per head, by layout
_HEADS = {
    "ultralytics": [
        ("metrics/mAP50(B)", "metrics/mAP50-95(B)"),
        ("metrics/mAP50(M)", "metrics/mAP50-95(M)"),
        ("metrics/mAP50(P)", "metrics/mAP50-95(P)"),
    ],
    "yolov5": [
        ("metrics/mAP_0.5", "metrics/mAP_0.5:0.95"),
        ("metrics/mAP_0.5(M)", "metrics/mAP_0.5:0.95(M)"),
        ("metrics/mAP_0.5(B)", "metrics/mAP_0.5:0.95(B)"),
    ],
    "txt": [("mAP@.5", "mAP@.5:.95")],
}
_CLASSIFY = ("metrics/accuracy_top1", "metrics/accuracy_top5")


# ----------------------------------------------------------------------------- recognising


def _header(data: bytes) -> list[str]:
    head = head_text(data).lstrip("\ufeff \t\r\n")
    first = head.split("\n", 1)[0]
    return [c.strip() for c in first.split(",")]


def looks_results_csv(data: bytes, path: str) -> bool:
    cols = _header(data)
    if not cols or cols[0].lower() != "epoch":
        return False
    has_metrics = any(c.startswith("metrics/") for c in cols)
    has_lr = any(c.startswith(("lr/pg", "x/lr")) for c in cols)
    has_losses = any(c.startswith(("train/", "val/")) for c in cols)
    return has_metrics and (has_lr or has_losses)


def looks_results_txt(data: bytes, path: str) -> bool:
    lines = [ln for ln in head_text(data).splitlines()[:4] if ln.strip()]
    if not lines:
        return False
    for line in lines[: max(1, len(lines) - 1)]:  # the last line of the head may be cut
        cells = line.split()
        if len(cells) != len(TXT_COLUMNS) or not _TXT_EPOCH.match(cells[0]):
            return False
    return True


# ----------------------------------------------------------------------------- fitness


def _fitness(series: dict[str, Series], layout: str) -> tuple[np.ndarray | None, str]:
    """Ultralytics' fitness per epoch and the formula, or ``None`` when the columns lack it."""
    if layout == "ultralytics" and all(c in series for c in _CLASSIFY):
        top1, top5 = (series[c].values for c in _CLASSIFY)
        return (top1 + top5) / 2.0, "(metrics/accuracy_top1 + metrics/accuracy_top5) / 2"
    total: np.ndarray | None = None
    terms = []
    for m50, m5095 in _HEADS[layout]:
        if m50 in series and m5095 in series:
            part = 0.1 * series[m50].values + 0.9 * series[m5095].values
            total = part if total is None else total + part
            terms.append(f"0.1·{m50} + 0.9·{m5095}")
    return total, " + ".join(terms)


def _with_fitness(
    series: dict[str, Series],
    layout: str,
    roles: dict[str, Role],
    info: dict[str, str],
    x: np.ndarray,
) -> tuple[str | None, dict[str, str]]:
    values, formula = _fitness(series, layout)
    if values is None:
        return None, {}
    series[FITNESS] = Series(FITNESS, values.astype(np.float64), x.copy(), "epoch")
    roles[FITNESS] = "val"
    i = _best_pt(values)
    if i is not None:
        info["best.pt"] = f"{_label(x[i])} (fitness {values[i]:.5g})"
    return FITNESS, {"formula": formula}


def _best_pt(fitness: np.ndarray) -> int | None:
    """The row best.pt holds: best_fitness moves on a strict improvement, but best.pt is
    saved again whenever an epoch equals it, so on a tie it is the *last* highest row."""
    finite = np.isfinite(fitness)
    if not finite.any():
        return None
    top = np.nanmax(np.where(finite, fitness, -np.inf))
    return int(np.flatnonzero(fitness == top)[-1])


def _label(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# ----------------------------------------------------------------------------- reading


def read_results_csv(data: bytes, path: str, run: str | None = None) -> list[History]:
    table = read_table(data, path)
    header = table.header
    if header[0].lower() != "epoch":
        raise HistoryError(
            "no 'epoch' column first, so not an Ultralytics results.csv",
            path=path,
            hint="leave out --format to let the reader be chosen from the content",
        )
    columns = {name: i for i, name in enumerate(header) if name}
    yolov5 = any(c.startswith(("x/lr", "metrics/mAP_0.5")) for c in columns)
    rows = table.rows
    notes: list[Note] = list(table.notes)
    if yolov5 and len(rows) > 1 and rows[-1][1][0].strip() == rows[-2][1][0].strip():
        # YOLOv5 validates best.pt once more on COCO and logs it under the last epoch again
        rows = rows[:-1]
        notes.append(note("warn.yolo_final_row", line=table.rows[-1][0]))
    table.rows = rows
    values: dict[str, np.ndarray] = {}
    for name, i in columns.items():
        cells = [cells[i] for _, cells in table.rows]
        values[name] = np.array(
            [_cell(c, name, ln, path) for c, (ln, _) in zip(cells, table.rows, strict=True)],
            dtype=np.float64,
        )
    epoch = values.pop(header[0])
    info: dict[str, str] = {}
    if "time" in values:
        info["time (s)"] = f"{np.nanmax(values['time']):.0f}"
        del values["time"]
    if yolov5:
        layout, numbering, x = "yolov5", "yolov5", epoch
    elif epoch.size and epoch[0] == 0:  # 8.0 wrote self.epoch; from 8.0.1xx on, epoch + 1
        layout, numbering, x = "ultralytics", "ultralytics_from0", epoch + 1.0
    else:
        layout, numbering, x = "ultralytics", "ultralytics", epoch
    series: dict[str, Series] = {}
    roles: dict[str, Role] = {}
    for name, v in values.items():
        gaps = int(np.count_nonzero(~np.isfinite(v)))
        if gaps:
            notes.append(note("warn.nonfinite", metric=name, count=gaps, total=int(v.size)))
        series[name] = Series(name, v, x.astype(np.float64), "epoch")
        if name.startswith("metrics/"):
            roles[name] = "val"
    monitor, facts = _with_fitness(series, layout, roles, info, x)
    return _one_run(
        path, series, info, notes, numbering, monitor, facts, roles, run, "Ultralytics results.csv"
    )


def _cell(cell: str, column: str, lineno: int, path: str) -> float:
    return cell_number(
        cell,
        column,
        lineno,
        path,
        hint="Ultralytics writes numbers only; the file may be damaged there",
    )


def read_results_txt(data: bytes, path: str, run: str | None = None) -> list[History]:
    text = decode_text(data, path)
    rows: list[list[float]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        cells = line.split()
        if not cells:
            continue
        if len(cells) != len(TXT_COLUMNS):
            raise HistoryError(
                f"{len(cells)} fields where a YOLOv5/YOLOv7 results.txt has {len(TXT_COLUMNS)}",
                path=path,
                where=f"line {lineno}",
                hint="the line is damaged; results.txt has one line of 15 fields per epoch",
            )
        m = _TXT_EPOCH.match(cells[0])
        if not m:
            raise HistoryError(
                f"{cells[0][:20]!r} is not an epoch such as 3/99",
                path=path,
                where=f"line {lineno}",
                hint="results.txt starts every line with epoch/last-epoch",
            )
        row = [float(m.group(1)), _memory(cells[1], lineno, path)]
        row += [_cell(c, TXT_COLUMNS[i + 2], lineno, path) for i, c in enumerate(cells[2:])]
        rows.append(row)
    if not rows:
        raise HistoryError("empty file", path=path, hint="nothing was logged yet")
    table = np.array(rows, dtype=np.float64)
    x = table[:, 0]
    planned = int(_TXT_EPOCH.match(text.split()[0]).group(2)) + 1  # type: ignore[union-attr]
    info = {"epochs planned": str(planned), "img_size": _label(table[-1, 7])}
    series: dict[str, Series] = {}
    roles: dict[str, Role] = {}
    for j, name in enumerate(TXT_COLUMNS):
        if name in ("epoch", "labels", "img_size"):
            continue
        series[name] = Series(name, table[:, j].copy(), x.copy(), "epoch")
        if name in ("P", "R", "mAP@.5", "mAP@.5:.95"):
            roles[name] = "val"
    notes: list[Note] = []
    if len(rows) < planned:
        notes.append(note("warn.run_unfinished", done=len(rows), planned=planned))
    monitor, facts = _with_fitness(series, "txt", roles, info, x)
    return _one_run(
        path, series, info, notes, "yolov5", monitor, facts, roles, run, "YOLOv5/v7 results.txt"
    )


def _memory(cell: str, lineno: int, path: str) -> float:
    """``1.86G`` → 1.86 (GB), as the console prints it."""
    m = _MEMORY.match(cell)
    if not m:
        raise HistoryError(
            f"{cell[:20]!r} is not a GPU memory such as 1.86G",
            path=path,
            where=f"line {lineno}",
            hint="results.txt's second field is the GPU memory in use",
        )
    scale = {"": 1e-9, "K": 1e-6, "M": 1e-3, "G": 1.0, "T": 1e3}[m.group(2).upper()]
    return float(m.group(1)) * scale


_DIRECTIONS: dict[str, Direction] = {FITNESS: "max", "P": "max", "R": "max"}


def _one_run(
    path: str,
    series: dict[str, Series],
    info: dict[str, str],
    notes: list[Note],
    numbering: str,
    monitor: str | None,
    facts: dict[str, str],
    roles: dict[str, Role],
    run: str | None,
    log: str,
) -> list[History]:
    parent = Path(path).parent.name
    name = parent if parent and Path(path).stem == "results" else Path(path).stem
    best = _best_pt(series[FITNESS].values) if FITNESS in series else None
    hist = History(
        name,
        Path(path),
        series,
        "yolo",
        {"log": log, **info},
        tuple(dict.fromkeys(notes)),
        "epoch",
        None,
        numbering=numbering,
        monitor=monitor,
        monitor_why="monitor.ultralytics_fitness" if monitor else "",
        monitor_facts=facts,
        roles=roles,
        directions={k: v for k, v in _DIRECTIONS.items() if k in series},
        best_checkpoint=None if best is None else float(series[FITNESS].x[best]),
    )
    return select([hist], run, path)


RESULTS_CSV = Format(
    "yolo",
    "an Ultralytics YOLO results.csv (YOLOv5, YOLOv8, YOLO11)",
    read_results_csv,
    looks_results_csv,
)
RESULTS_TXT = Format(
    "yolo-txt",
    "a YOLOv5 (up to 5.0) or YOLOv7 results.txt",
    read_results_txt,
    looks_results_txt,
)
