"""Turn MLflow runs into :class:`History` runs: the file store (``mlruns/``) and the SQLite store.

File store: a run folder holds ``meta.yaml``, ``metrics/<name>`` (lines of
``timestamp value step``; names with ``/`` are nested folders), ``params/`` and
``tags/`` (one value per file). The SQLite tracking store (``mlflow.db``) keeps
the same in tables ``runs``, ``metrics``, ``params`` and ``tags``; it is opened
read-only with the standard library. MLflow itself is not needed.

Steps are MLflow's ``step`` values; when every metric of a run uses consecutive
whole steps from 0 or 1 (what Keras/skorch autologging writes per epoch) they
are shown as epochs counted from 1.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError, UnsafeInputError
from reporter.history.formats import Format
from reporter.history.model import Axis, History, Note, Series, logged_series, note
from reporter.history.runs import MAX_RUNS, select
from reporter.history.text import decode_text

STATUS = {"1": "RUNNING", "2": "SCHEDULED", "3": "FINISHED", "4": "FAILED", "5": "KILLED"}


DAMAGED = "the metric file is damaged; MLflow writes one 'timestamp value step' per line"


def looks_sqlite(data: bytes, path: str) -> bool:
    return data.startswith(b"SQLite format 3\x00")


def is_file_store(path: Path) -> bool:
    """A run folder, an experiment folder or an ``mlruns`` root."""
    if not path.is_dir():
        return False
    if (path / "meta.yaml").is_file() and (path / "metrics").is_dir():
        return True
    return any(True for _ in _run_dirs(path, limit=1))


def _inside(root: Path, candidate: Path) -> bool:
    try:
        return candidate.resolve(strict=True).is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def _run_dirs(root: Path, limit: int = MAX_RUNS) -> Iterator[Path]:
    """Run folders below ``root`` (at most three levels), never leaving ``root`` through links."""
    found = 0
    for dirpath, dirnames, _files in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if len(here.relative_to(root).parts) > 3:
            dirnames[:] = []
            continue
        if (
            (here / "meta.yaml").is_file()
            and (here / "metrics").is_dir()
            and not (here / "metrics").is_symlink()
        ):
            found += 1
            yield here
            dirnames[:] = []
            if found >= limit:
                return
        dirnames[:] = sorted(d for d in dirnames if d not in (".trash", "artifacts", "models"))


def _meta(path: Path) -> dict[str, str]:
    """The flat ``key: value`` lines of a ``meta.yaml`` (no YAML library needed)."""
    out: dict[str, str] = {}
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        if ":" in line and not line.startswith((" ", "\t", "-")):
            key, _, value = line.partition(":")
            out[key.strip()] = value.strip().strip("'\"")
    return out


def _read_values(folder: Path, root: Path, kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    base = folder / kind
    if not base.is_dir():
        return out
    for file in sorted(base.rglob("*")):
        if file.is_symlink():
            raise UnsafeInputError(
                f"{kind}/{file.relative_to(base)} is a symbolic link; links are not followed",
                path=str(file),
                hint="copy the file into the run folder instead of linking to it",
            )
        if file.is_file():
            out[str(file.relative_to(base))] = file.read_text("utf-8", errors="replace").strip()[
                :500
            ]
    return out


def _metric_file(file: Path, name: str) -> tuple[np.ndarray, np.ndarray, list[Note]]:
    steps: list[int] = []
    values: list[float] = []
    notes: list[Note] = []
    text = decode_text(file.read_bytes(), str(file))
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) not in (2, 3):
            raise HistoryError(
                f"expected 'timestamp value step', found {len(fields)} field(s)",
                path=str(file),
                where=f"line {lineno}",
                hint=DAMAGED,
            )
        ts, value = fields[0], fields[1]
        step = fields[2] if len(fields) == 3 else "0"
        try:
            int(ts)
            st = int(step)
        except ValueError:
            raise HistoryError(
                "timestamp and step must be whole numbers",
                path=str(file),
                where=f"line {lineno}",
                hint=DAMAGED,
            ) from None
        try:
            v = float(value)
        except ValueError:
            raise HistoryError(
                f"{value[:30]!r} is not a number",
                path=str(file),
                where=f"line {lineno}",
                hint=DAMAGED,
            ) from None
        steps.append(st)
        values.append(v)
    return np.array(steps, dtype=np.float64), np.array(values, dtype=np.float64), notes


def _to_series(
    raw: dict[str, tuple[np.ndarray, np.ndarray]], notes: list[Note]
) -> tuple[dict[str, Series], Axis]:
    """Series keyed by metric name; duplicates at one step keep the last value logged."""
    logged = {name: logged_series(name, st, v, "step", notes) for name, (st, v) in raw.items()}
    multi = [s.x for s in logged.values() if len(s) > 1]
    epochs = bool(multi) and all(x[0] in (0.0, 1.0) and np.all(np.diff(x) == 1) for x in multi)
    offset = 1.0 if epochs and min(x[0] for x in multi) == 0.0 else 0.0
    axis: Axis = "epoch" if epochs else "step"
    series = {name: Series(name, s.values, s.x + offset, axis) for name, s in logged.items()}
    return series, axis


def _run_from_folder(folder: Path, root: Path) -> History:
    meta = _meta(folder / "meta.yaml")
    metrics_dir = folder / "metrics"
    notes: list[Note] = []
    raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for file in sorted(metrics_dir.rglob("*")):
        if file.is_symlink():
            raise UnsafeInputError(
                f"metrics/{file.relative_to(metrics_dir)} is a symbolic link; "
                "links are not followed",
                path=str(file),
                hint="copy the file into the run folder instead of linking to it",
            )
        if not file.is_file():
            continue
        if not _inside(root, file):
            raise UnsafeInputError(
                "a metric file lies outside the input folder",
                path=str(file),
                hint="copy the file into the run folder instead of linking to it",
            )
        name = file.relative_to(metrics_dir).as_posix()
        st, v, n = _metric_file(file, name)
        notes.extend(n)
        if st.size:
            raw[name] = (st, v)
    if not raw:
        raise HistoryError(
            "no metrics found in this MLflow run",
            path=str(folder),
            hint="the run logged no metrics (mlflow.log_metric)",
        )
    series, axis = _to_series(raw, notes)
    params = _read_values(folder, root, "params")
    tags = _read_values(folder, root, "tags")
    run_id = meta.get("run_id") or meta.get("run_uuid") or folder.name
    run_name = meta.get("run_name") or tags.get("mlflow.runName") or run_id[:8]
    info = {
        "run_id": run_id,
        "run_name": run_name,
        "status": STATUS.get(meta.get("status", ""), meta.get("status", "")),
        "experiment_id": meta.get("experiment_id", ""),
    }
    info |= {f"params.{k}": v for k, v in params.items()}
    info |= {f"tags.{k}": v for k, v in tags.items() if not k.startswith("mlflow.log-model")}
    label = run_name if run_name == run_id[:8] else f"{run_name}-{run_id[:8]}"
    return History(label, folder, series, "mlflow", info, tuple(dict.fromkeys(notes)), axis)


def read_file_store(path: str, run: str | None = None) -> list[History]:
    root = Path(path)
    folders = (
        [root]
        if (root / "meta.yaml").is_file() and (root / "metrics").is_dir()
        else list(_run_dirs(root))
    )
    if not folders:
        raise HistoryError(
            "no MLflow run folder (meta.yaml + metrics/) found",
            path=path,
            hint="point at mlruns/, an experiment folder or a run folder",
        )
    runs = []
    ids = []
    for folder in folders:
        try:
            runs.append(_run_from_folder(folder, root))
            ids.append(runs[-1].info["run_id"])
        except HistoryError as exc:
            if len(folders) == 1 or run is not None:
                raise
            if "no metrics found" not in exc.message:
                raise
    if not runs:
        raise HistoryError(
            "no MLflow run here has metrics", path=path, hint="the runs logged no metrics"
        )
    return select(runs, run, path, default="all", ids=ids)


def _sql_number(cell: object, path: str, where: str, column: str) -> float:
    """A number from a metrics row; NULL is a gap for values, anything else non-numeric is an
    error naming the row."""
    if cell is None and column == "value":
        return math.nan
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell)
    try:
        return float(str(cell))
    except ValueError:
        raise HistoryError(
            f"{column} {str(cell)[:30]!r} is not a number",
            path=path,
            where=where,
            hint="the database is damaged or was not written by MLflow",
        ) from None


def _sqlite_rows(
    con: sqlite3.Connection, wanted: set[str], with_params: bool
) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, Any]]]]:
    """Every run's metric rows (ordered by key, step, time) and params, each table read in
    one pass: a store without an index on ``run_uuid`` is scanned once, not once per run."""
    metrics: dict[str, list[tuple[Any, ...]]] = {}
    cursor = con.execute(
        "select run_uuid, key, value, step, is_nan from metrics "
        "order by run_uuid, key, step, timestamp"
    )
    for run_uuid, *row in cursor:
        if str(run_uuid) in wanted:
            metrics.setdefault(str(run_uuid), []).append(tuple(row))
    params: dict[str, list[tuple[Any, Any]]] = {}
    if with_params:
        for run_uuid, key, value in con.execute("select run_uuid, key, value from params"):
            if str(run_uuid) in wanted:
                params.setdefault(str(run_uuid), []).append((key, value))
    return metrics, params


def read_sqlite(data: bytes, path: str, run: str | None = None) -> list[History]:
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise HistoryError(
            f"cannot open the SQLite file: {exc}",
            path=path,
            hint="check that it is an MLflow tracking database (mlflow.db)",
        ) from exc
    con.text_factory = lambda b: b.decode("utf-8", "replace")  # a damaged file is still read
    try:
        tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
        if not {"runs", "metrics"} <= tables:
            raise HistoryError(
                "an SQLite file, but not an MLflow tracking store (no runs/metrics tables)",
                path=path,
                hint="point at the database given to mlflow --backend-store-uri",
            )
        runs_rows = con.execute(
            "select run_uuid, name, status, experiment_id from runs order by start_time"
        ).fetchall()
        wanted = runs_rows[:MAX_RUNS]
        capped = (
            [note("limit.runs", count=len(runs_rows) - MAX_RUNS, limit=MAX_RUNS)]
            if len(runs_rows) > MAX_RUNS
            else []
        )
        metrics, params = _sqlite_rows(con, {str(r[0]) for r in wanted}, "params" in tables)
        runs: list[History] = []
        ids: list[str] = []
        for run_uuid, name, status, experiment in wanted:
            rows = metrics.get(str(run_uuid))
            if not rows:
                continue
            notes: list[Note] = list(capped)
            raw: dict[str, tuple[list[float], list[float]]] = {}
            for key, value, step, is_nan in rows:
                st, vs = raw.setdefault(str(key), ([], []))
                where = f"metrics {str(key)[:60]!r} of run {str(run_uuid)[:32]}"
                st.append(_sql_number(step, path, where, "step"))
                vs.append(math.nan if is_nan else _sql_number(value, path, where, "value"))
            arrays = {k: (np.array(a), np.array(b)) for k, (a, b) in raw.items()}
            series, axis = _to_series(arrays, notes)
            run_uuid = str(run_uuid)
            info = {
                "run_id": run_uuid,
                "run_name": str(name or run_uuid[:8]),
                "status": str(status),
                "experiment_id": str(experiment),
            }
            info |= {f"params.{k}": str(v)[:500] for k, v in params.get(run_uuid, [])}
            runs.append(
                History(
                    f"{Path(path).stem}-{name or 'run'}-{run_uuid[:8]}",
                    Path(path),
                    series,
                    "mlflow-sqlite",
                    info,
                    tuple(dict.fromkeys(notes)),
                    axis,
                )
            )
            ids.append(run_uuid)
    except sqlite3.Error as exc:
        raise HistoryError(
            f"cannot read the MLflow store: {exc}",
            path=path,
            hint="the database is damaged or from an unsupported MLflow version",
        ) from exc
    finally:
        con.close()
    if not runs:
        raise HistoryError(
            "no run in this MLflow store has metrics", path=path, hint="the runs logged no metrics"
        )
    return select(runs, run, path, default="all", ids=ids)


SQLITE = Format(
    "mlflow-sqlite",
    "an MLflow tracking database such as mlflow.db",
    read_sqlite,
    looks_sqlite,
    frozenset({".db", ".sqlite"}),
)
FILE_STORE = Format(
    "mlflow",
    "an MLflow file store folder (mlruns/, an experiment or a run)",
    is_folder=is_file_store,
    read_folder=lambda path, run, limit: read_file_store(path, run),
    noun="an MLflow run store",
)
