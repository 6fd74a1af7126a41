"""Every reader's caps (runs, metrics, bytes, line length) hold whether a file is given alone
or found inside a folder, and keep time and memory bounded by the cap (issue 13)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from reporter.errors import HistoryError
from reporter.history import load
from reporter.history.runs import MAX_METRICS, MAX_RUNS

from . import fuzzing, hostile


def test_a_json_wrapper_reports_at_most_max_runs_and_says_how_many_more(tmp_path: Path) -> None:
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({str(i): hostile.GOOD for i in range(MAX_RUNS + 37)}))
    runs = load(path)
    assert len(runs) == MAX_RUNS
    notes = [w.params for w in runs[0].warnings if w.key == "limit.runs"]
    assert notes == [{"count": 37, "limit": MAX_RUNS}]


def test_a_json_with_a_million_metrics_reads_the_first_max_metrics(tmp_path: Path) -> None:
    path = tmp_path / "wide.json"
    path.write_text(json.dumps({f"m{i:07d}": [0.5] for i in range(MAX_METRICS + 20_000)}))
    start = time.perf_counter()
    (run,) = load(path)
    assert time.perf_counter() - start < 20
    assert len(run.series) == MAX_METRICS
    assert [w.params for w in run.warnings if w.key == "limit.metrics"] == [
        {"count": 20_000, "limit": MAX_METRICS}
    ]


def test_a_csv_line_too_long_for_a_history_is_refused_before_splitting(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss\n0,0.5\n" + "1," * 2_200_000 + "\n")
    with pytest.raises(HistoryError, match=r"line 3: the line is 4,400,000 characters long"):
        load(path)


def test_event_files_inside_a_folder_get_the_same_byte_limit(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    data = fuzzing._event_file(
        [fuzzing._scalar_event("val_loss", 1.0 / (i + 1), i) for i in range(50)]
    )
    folder = tmp_path / "logs" / "validation"
    folder.mkdir(parents=True)
    event = folder / "events.out.tfevents.1.host"
    event.write_bytes(data)
    (folder / "events.out.tfevents.2.host").write_bytes(b"")  # a writer's new, empty file
    assert load(tmp_path / "logs")  # within the limit: read
    for given in (event, tmp_path / "logs"):  # alone or in its folder: the same refusal
        with pytest.raises(HistoryError, match="over the 100-byte limit"):
            load(given, limit=100)


def test_an_mlflow_store_without_an_index_is_scanned_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(fuzzing.sqlite_store([]))
    con = sqlite3.connect(db)
    con.execute("create table params (key text, value text, run_uuid text)")
    for r in range(6):
        con.execute("insert into runs values (?, ?, 'FINISHED', 0, ?)", (f"id{r}", f"run{r}", r))
        con.execute("insert into params values ('lr', ?, ?)", (str(r / 10), f"id{r}"))
        con.executemany(
            "insert into metrics values ('val_loss', ?, 0, ?, ?, 0)",
            [(1.0 / (s + 1 + r), f"id{r}", s) for s in range(5)],
        )
    con.commit()
    con.close()
    statements: list[str] = []
    real = sqlite3.connect

    def traced(*args: Any, **kw: Any) -> sqlite3.Connection:
        connection = real(*args, **kw)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)
    runs = load(db)
    assert len(runs) == 6 and runs[3].info["params.lr"] == "0.3"
    assert [run.series["val_loss"].values[0] for run in runs] == [1.0 / (1 + r) for r in range(6)]
    assert sum("from metrics" in s for s in statements) == 1
    assert sum("from params" in s for s in statements) == 1
