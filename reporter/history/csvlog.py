"""Turn CSV training logs into runs: Keras ``CSVLogger``, ``DataFrame.to_csv``, Lightning.

Keras logs have one row per epoch (an ``epoch`` column counted from 0, or none);
runs appended to the same file restart their epoch count and become separate
runs. Lightning's ``metrics.csv`` is sparse: each row carries the metrics logged
at one ``step``, so each metric is rebuilt from its own rows, per epoch when it
was logged once per epoch and per step otherwise (drawn on a fractional-epoch
axis). Empty, ``NA`` and ``nan`` cells are gaps.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reporter.errors import HistoryError
from reporter.history.formats import Format
from reporter.history.model import History, Note, Series, logged_series, note
from reporter.history.runs import select
from reporter.history.text import decode_text, head_text

MISSING = {"", "na", "nan", "null", "none", "n/a", "-nan"}
MAX_FIELD = 1 << 20
MAX_LINE = 4 * MAX_FIELD  # no history line is this long: refused before it is split into cells


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, cells)
    segments: list[int] = field(default_factory=list)  # row positions where a repeated header began
    notes: list[Note] = field(default_factory=list)


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_line_lengths(lines: list[str], path: str) -> None:
    """Refuse a line too long to be a history row before the CSV reader splits it into cells
    (a 60 MB line of ``1,`` would become 30 million strings)."""
    for lineno, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise HistoryError(
                f"the line is {len(line):,} characters long, over the {MAX_LINE:,} limit",
                path=path,
                where=f"line {lineno}",
                hint="this is not a training log (or it is damaged); no CSV history has such lines",
            )


def read_table(data: bytes, path: str) -> Table:
    """Header and rows, with line numbers; structural problems are errors naming the line."""
    text = decode_text(data, path)
    text = text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    _check_line_lengths(lines, path)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise HistoryError("empty file", path=path, hint="nothing was logged yet")
    delim = _delimiter(lines[first])
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(lines, delimiter=delim)
    header: list[str] | None = None
    table = Table([], [])
    short_lines: list[int] = []
    try:
        for lineno, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            cells = [c.strip() for c in cells]
            if header is None:
                header = cells
                _check_header(header, path, lineno, delim)
                table.header = header
                continue
            if cells == header:
                table.segments.append(len(table.rows))
                continue
            if len(cells) > len(header):
                raise HistoryError(
                    f"{len(cells)} fields but the header has {len(header)} (delimiter {delim!r})",
                    path=path,
                    where=f"line {lineno}",
                    hint="remove the extra field, or quote a value that contains the delimiter",
                )
            if len(cells) < len(header):
                short_lines.append(lineno)
                cells = cells + [""] * (len(header) - len(cells))
            table.rows.append((lineno, cells))
    except csv.Error as exc:
        raise HistoryError(
            f"malformed CSV: {exc}",
            path=path,
            where=f"line {reader.line_num}",
            hint="check the quoting on that line",
        ) from exc
    if header is None or not table.rows:
        raise HistoryError(
            "no metrics found (the CSV has a header but no rows)",
            path=path,
            hint="training stopped before the first epoch was logged",
        )
    if short_lines:
        table.notes.append(
            note("warn.short_rows", count=len(short_lines), lines=_lines(short_lines))
        )
    return table


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (f", … (+{len(numbers) - 5})" if len(numbers) > 5 else "")


def _check_header(header: list[str], path: str, lineno: int, delim: str) -> None:
    if all(_is_number(c) for c in header if c):
        raise HistoryError(
            "the first row holds numbers, not column names (no header row)",
            path=path,
            where=f"line {lineno}",
            hint="add a header line such as epoch,loss,val_loss",
        )
    seen: set[str] = set()
    for i, name in enumerate(header):
        if name and name in seen:
            raise HistoryError(
                f"duplicate column name {name!r} in the header",
                path=path,
                where=f"line {lineno}, column {i + 1}",
                hint="rename or drop one of the two columns",
            )
        seen.add(name)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


NUMBER_HINT = "use a dot as the decimal point; leave the cell empty (or NA) for a gap"


def cell_number(
    cell: str,
    column: str,
    lineno: int,
    path: str,
    missing: frozenset[str] | set[str] = MISSING,
    hint: str = NUMBER_HINT,
) -> float:
    """A table cell as a number: a gap (NaN) when it is one of ``missing`` (lower case),
    else a :class:`HistoryError` naming the line, the column and what to do (``hint``)."""
    text = cell.strip()
    if text.lower() in missing:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise HistoryError(
            f"column {column!r}: {text[:40]!r} is not a number",
            path=path,
            where=f"line {lineno}",
            hint=hint,
        ) from None


_number = cell_number


def _column(table: Table, name: str) -> int | None:
    for i, h in enumerate(table.header):
        if h.lower() == name:
            return i
    return None


def looks_lightning(data: bytes, path: str) -> bool:
    if Path(path).suffix.lower() == ".json":
        return False
    head = head_text(data).lstrip("\ufeff").splitlines()
    if not head:
        return False
    cols = [c.strip().lower() for c in head[0].replace(";", ",").replace("\t", ",").split(",")]
    return "step" in cols and len(cols) >= 2 and not head[0].lstrip().startswith(("{", "["))


def looks_csv(data: bytes, path: str) -> bool:
    if Path(path).suffix.lower() == ".json":
        return False
    head = head_text(data).lstrip("\ufeff")
    first = head.splitlines()[0] if head.splitlines() else ""
    if first.lstrip().startswith(("{", "[")) or "\x00" in first:
        return False
    if not any(d in first for d in (",", ";", "\t")):
        return False
    return any(c.isalpha() for c in first) or Path(path).suffix.lower() in (".csv", ".tsv", ".log")


# ----------------------------------------------------------------------------- Keras CSVLogger


def read_keras_csv(data: bytes, path: str, run: str | None = None) -> list[History]:
    table = read_table(data, path)
    epoch_col = _column(table, "epoch")
    index_col = 0 if table.header[0] in ("", "Unnamed: 0") else None
    key_col = epoch_col if epoch_col is not None else index_col
    columns = [i for i in range(len(table.header)) if i not in (epoch_col, index_col)]
    if not columns:
        raise HistoryError(
            "no metric columns besides the epoch", path=path, hint="log at least one metric"
        )
    values = np.array(
        [
            [_number(cells[i], table.header[i], ln, path) for i in columns]
            for ln, cells in table.rows
        ],
        dtype=np.float64,
    ).reshape(len(table.rows), -1)
    keys = (
        np.array(
            [_number(cells[key_col], table.header[key_col], ln, path) for ln, cells in table.rows]
        )
        if key_col is not None
        else None
    )
    # a run restarts where the epoch count goes back (CSVLogger(append=True) after a restart)
    starts = sorted({0, *table.segments})
    if keys is not None:
        starts = sorted({*starts, *(i for i in range(1, len(keys)) if keys[i] <= keys[i - 1])})
    bounds = [*starts, len(table.rows)]
    stem = Path(path).stem
    runs = []
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        if a == b:
            continue
        seg = values[a:b]
        x = (keys[a:b] + 1.0) if keys is not None else np.arange(1, b - a + 1, dtype=np.float64)
        notes = list(table.notes)
        series = {}
        for j, col in enumerate(columns):
            name = table.header[col] or f"column_{col + 1}"
            v = seg[:, j].copy()
            gaps = [table.rows[a + i][0] for i in np.flatnonzero(~np.isfinite(v))]
            if gaps:
                notes.append(
                    note("warn.csv_gaps", metric=name, count=len(gaps), lines=_lines(gaps))
                )
            series[name] = Series(name, v, x.astype(np.float64), "epoch")
        name = stem if len(bounds) == 2 else f"{stem}-run{k + 1}"
        runs.append(
            History(
                name,
                Path(path),
                series,
                "keras-csv",
                {"run": str(k + 1)},
                tuple(dict.fromkeys(notes)),
            )
        )
    chosen = select(runs, run, path, default="last")
    if len(runs) > 1 and run is None:
        only = chosen[0]
        chosen = [
            History(
                Path(path).stem,
                only.source,
                only.series,
                only.format,
                only.info,
                (*only.warnings, note("warn.appended_runs", count=len(runs))),
            )
        ]
    return chosen


# ----------------------------------------------------------------------------- Lightning


def read_lightning(data: bytes, path: str, run: str | None = None) -> list[History]:
    table = read_table(data, path)
    step_col = _column(table, "step")
    epoch_col = _column(table, "epoch")
    if step_col is None:
        raise HistoryError(
            "no 'step' column, so not a Lightning metrics.csv",
            path=path,
            hint="leave out --format to let the reader be chosen from the content",
        )
    metric_cols = [i for i in range(len(table.header)) if i not in (step_col, epoch_col)]
    steps = np.array([_number(c[step_col], "step", ln, path) for ln, c in table.rows])
    epochs = (
        np.array([_number(c[epoch_col], "epoch", ln, path) for ln, c in table.rows])
        if epoch_col is not None
        else np.full(len(steps), np.nan)
    )
    # step → epoch map from rows that carry both (lr-* rows have an empty epoch)
    known = np.isfinite(steps) & np.isfinite(epochs)
    map_steps, map_epochs = _epoch_map(steps[known], epochs[known])
    notes = list(table.notes)
    series: dict[str, Series] = {}
    finite_epochs = epochs[np.isfinite(epochs)]  # an "inf" cell is no epoch count
    n_epochs = int(finite_epochs.max()) + 1 if finite_epochs.size else 0
    for col in metric_cols:
        name = table.header[col]
        pts = []
        for (ln, cells), st, ep in zip(table.rows, steps, epochs, strict=True):
            cell = cells[col]
            if cell == "":
                continue
            pts.append((st, ep, _number(cell, name, ln, path), ln))
        if not pts:
            notes.append(note("warn.empty_metric", metric=name))
            continue
        # identical (step, value) rows are repeats (LearningRateMonitor logs once per param group)
        dedup: dict[tuple[float, float], tuple[float, float, float, int]] = {}
        for p in pts:
            dedup[(p[0], p[2])] = p
        pts = sorted(dedup.values(), key=lambda p: (p[0], p[3]))
        st = np.array([p[0] for p in pts])
        ep = np.array([p[1] for p in pts])
        v = np.array([p[2] for p in pts])
        per_epoch = (
            np.isfinite(ep).all()
            and len(np.unique(ep)) == len(ep)
            and (len(ep) > 1 or n_epochs <= 1)
            and not name.endswith("_step")
        )
        x = ep + 1.0 if per_epoch else _fractional_epoch(st, map_steps, map_epochs)
        series[name] = logged_series(name, x, v, "epoch", notes)
    if not series:
        raise HistoryError(
            "no metrics found (every metric column is empty)",
            path=path,
            hint="training stopped before anything was logged",
        )
    parent = Path(path).parent.name
    name = f"{parent}-{Path(path).stem}" if parent.startswith("version_") else Path(path).stem
    hist = History(
        name, Path(path), series, "lightning-csv", {}, tuple(dict.fromkeys(notes)), "epoch", None
    )
    return select([hist], run, path)


def _epoch_map(steps: np.ndarray, epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the step → epoch map: epoch e ends at its last step, drawn at x = e + 1."""
    if steps.size == 0:
        return np.array([0.0]), np.array([0.0])
    knots_s = [float(steps.min()) - 1.0]
    knots_e = [float(epochs.min())]
    for e in np.unique(epochs):
        last = float(steps[epochs == e].max())
        if last > knots_s[-1]:
            knots_s.append(last)
            knots_e.append(float(e) + 1.0)
    return np.array(knots_s), np.array(knots_e)


def _fractional_epoch(
    steps: np.ndarray, map_steps: np.ndarray, map_epochs: np.ndarray
) -> np.ndarray:
    """Steps placed on the epoch axis: epoch e spans (e, e+1], matching per-epoch x = e+1."""
    if map_steps.size < 2:
        return steps.astype(np.float64)
    return np.asarray(np.interp(steps, map_steps, map_epochs), dtype=np.float64)


LIGHTNING = Format(
    "lightning-csv", "a PyTorch Lightning metrics.csv", read_lightning, looks_lightning
)
KERAS_CSV = Format(
    "keras-csv",
    "a Keras CSVLogger file or DataFrame.to_csv",
    read_keras_csv,
    looks_csv,
    frozenset({".csv", ".tsv"}),
)
