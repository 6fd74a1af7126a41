"""Every file and run folder in ../shared/histories-real goes through `reporter report`: each
renders, or fails with the clear error its breakage deserves; for each report, the best value
and position of the monitored metric equal an independent reading of the raw file."""

from __future__ import annotations

import csv
import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reporter.history.safepickle import safe_loads

from .conftest import REAL, pdf_text, render_cli

BROKEN = {
    "keras_csvlogger__dhairyasheelsutar__Food-11-image-classification__logs_resnet152_training_EMPTY.csv": "empty file",
    "keras_json__dhairyasheelsutar__Food-11-image-classification__model_history_TRUNCATED.json": "line 1 column 222: invalid JSON: the file ends too early",
}


def inputs() -> list[Path]:
    return sorted(p for p in REAL.iterdir() if p.name != "PROVENANCE.md")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not REAL.exists():
        pytest.skip(f"{REAL} is absent")
    out = tmp_path_factory.mktemp("sweep")
    result = render_cli([str(p) for p in inputs()], out)
    summaries = [json.loads(p.read_text()) for p in sorted(out.glob("*/summary.json"))]
    return {"result": result, "out": out, "summaries": summaries}


def test_every_file_renders_or_fails_clearly(sweep: dict[str, Any]) -> None:
    result = sweep["result"]
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(BROKEN), result.stderr
    for name, message in BROKEN.items():
        assert any(line.startswith(f"error: {REAL / name}") and message in line for line in errors)
    reported = {Path(s["source"]).name for s in sweep["summaries"]}
    reported |= {
        Path(s["source"]).parents[2].name for s in sweep["summaries"] if s["format"] == "mlflow"
    }
    expected = {p.name for p in inputs()} - set(BROKEN)
    assert expected <= reported, expected - reported
    for pdf in sweep["out"].glob("*/report.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF-") and pdf_text(pdf).strip()


def _raw(summary: dict[str, Any]) -> list[tuple[float, float]]:
    """The monitored series read straight from the file, without reporter's readers."""
    src, fmt, name = Path(summary["source"]), summary["format"], summary["monitor"]
    if fmt == "keras-json":
        obj = json.loads(src.read_text())
        obj = obj if name in obj else next(v for v in obj.values() if isinstance(v, dict))
        return [(i + 1.0, float(v)) for i, v in enumerate(obj[name])]
    if fmt == "keras-pickle":
        obj = safe_loads(src.read_bytes())
        obj = {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}
        return [(i + 1.0, float(v)) for i, v in enumerate(obj[name])]
    if fmt == "keras-csv":
        rows = list(csv.DictReader(src.read_text().splitlines()))
        start = max(
            i
            for i, r in enumerate(rows)
            if i == 0 or ("epoch" in r and float(r["epoch"]) <= float(rows[i - 1]["epoch"]))
        )
        return [
            (float(r.get("epoch", i)) + 1, float(r[name])) for i, r in enumerate(rows) if i >= start
        ]
    if fmt == "hf-trainer-state":
        log = json.loads(src.read_text())["log_history"]
        return [(float(e["step"]), float(e[name])) for e in log if name in e]
    if fmt == "lightning-csv":
        rows = list(csv.DictReader(src.read_text().splitlines()))
        return [(float(r["epoch"]) + 1, float(r[name])) for r in rows if r.get(name)]
    if fmt == "mlflow":
        lines = (src / "metrics" / name).read_text().split("\n")
        pts = {int(line.split()[2]): float(line.split()[1]) for line in lines if line.strip()}
        return [
            (s + (1.0 if summary["axis"] == "epoch" and min(pts) == 0 else 0.0), v)
            for s, v in sorted(pts.items())
        ]
    if fmt == "mlflow-sqlite":
        con = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        rows = con.execute(
            "select step, value from metrics where run_uuid=? and key=? order by step",
            (summary["info"]["run_id"], name),
        ).fetchall()
        con.close()
        return [(s + 1.0, v) for s, v in rows]
    if fmt == "tfevents":
        from tensorboard.backend.event_processing import event_accumulator

        acc = event_accumulator.EventAccumulator(str(src), size_guidance={"scalars": 0})
        acc.Reload()
        return [(float(e.step), float(e.value)) for e in acc.Scalars(name)]
    raise AssertionError(fmt)


def test_best_of_the_monitor_equals_an_independent_reading(sweep: dict[str, Any]) -> None:
    checked = 0
    for s in sweep["summaries"]:
        if s["monitor"] is None:
            continue
        pts = [(x, v) for x, v in _raw(s) if math.isfinite(v)]
        values = np.array([v for _, v in pts])
        mode = s["metrics"][s["monitor"]]["mode"]
        i = int(np.argmin(values) if mode == "min" else np.argmax(values))
        got = s["metrics"][s["monitor"]]
        assert got["best_value"] == pytest.approx(values[i], rel=1e-6), s["run"]
        assert got[f"best_{s['axis']}"] == pytest.approx(pts[i][0]), s["run"]
        checked += 1
    assert checked >= 20


def test_korean_words_stay_whole_and_particles_agree(sweep: dict[str, Any]) -> None:
    from .test_korean import check_folder

    assert check_folder(sweep["out"]) == []
