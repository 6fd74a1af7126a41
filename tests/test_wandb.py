"""W&B run files: the framing W&B writes, its records, unfinished runs and the refusals.

Run files are written here by a small writer that follows W&B's own (wandb's
``sdk/internal/datastore.py``): a ``:W&B`` header, 32 KiB blocks, chunks with a CRC-32
of the type byte and the data, FULL/FIRST/MIDDLE/LAST chunks, zero padding at a block's
end. The real run files in ../shared/histories-wild are checked against PROVENANCE.md.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reporter.errors import HistoryError
from reporter.history import is_history_file, load, wandb_run

from .conftest import SHARED, need, render_one, squash_text

WILD = SHARED / "histories-wild"
BLOCK, HEADER = 32768, 7


def frame(payloads: list[bytes]) -> bytes:
    """W&B's DataStore framing of ``payloads``."""
    out = bytearray(struct.pack("<4sHB", b":W&B", 0xBEE1, 0))
    for data in payloads:
        first = True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < HEADER:
                out += b"\0" * left
                continue
            room = left - HEADER
            chunk, data = data[:room], data[room:]
            last = not data
            kind = (1 if last else 2) if first else (4 if last else 3)
            crc = zlib.crc32(chunk, zlib.crc32(bytes((kind,)))) & 0xFFFFFFFF
            out += struct.pack("<IHB", crc, len(chunk), kind) + chunk
            first = False
            if last:
                break
    return bytes(out)


def record(**fields: Any) -> bytes:
    cls = wandb_run.record_class()
    rec = cls()
    if "history" in fields:
        for key, value in fields["history"].items():
            item = rec.history.item.add()
            item.key, item.value_json = key, json.dumps(value)
    for kind in ("config", "summary"):
        for key, value in fields.get(kind, {}).items():
            item = getattr(rec, kind).update.add()
            item.key, item.value_json = key, json.dumps(value)
    if "run" in fields:
        for key, value in fields["run"].items():
            setattr(rec.run, key, value)
    if "exit" in fields:
        rec.exit.exit_code, rec.exit.runtime = fields["exit"]
    if "goal" in fields:
        rec.metric.name, rec.metric.goal = fields["goal"]
    return rec.SerializeToString()


def run_records(epochs: int = 12, finished: bool = True, media: bool = False) -> list[bytes]:
    recs = [
        record(run={"run_id": "abc123", "project": "demo", "display_name": "bright-sun-7"}),
        record(config={"lr": {"value": 0.001, "desc": None}, "_wandb": {"value": {"x": 1}}}),
        record(goal=("val_acc", 2)),
    ]
    for e in range(epochs):
        row: dict[str, Any] = {
            "_step": e,
            "_runtime": 10.0 * (e + 1),
            "_timestamp": 1.7e9 + e,
            "epoch": e + 1,
            "train_loss": 1.0 / (e + 1),
            "val_loss": 1.2 / (e + 1) + 0.02 * max(0, e - 6),
            "val_acc": 0.5 + 0.04 * min(e, 8),
        }
        if media:
            row["examples"] = {"_type": "images/separated", "count": 4}
            row["weights"] = {"_type": "histogram", "values": [1, 2], "bins": [0, 1, 2]}
        recs.append(record(history=row))
    recs.append(record(summary={"val_acc": 0.82, "best_note": "fine"}))
    if finished:
        recs.append(record(exit=(0, 130)))
    return recs


def run_folder(root: Path, payloads: list[bytes], run_id: str = "abc123") -> Path:
    """``wandb/run-<date>-<id>/`` as W&B lays it out, plus the ``latest-run`` link."""
    folder = root / "wandb" / f"run-20240101_120000-{run_id}"
    (folder / "files").mkdir(parents=True)
    (folder / "logs").mkdir()
    (folder / f"run-{run_id}.wandb").write_bytes(frame(payloads))
    (folder / "files" / "wandb-summary.json").write_text(
        json.dumps({"val_acc": 0.82, "_step": 11, "_runtime": 130, "_wandb": {"runtime": 130}})
    )
    (folder / "files" / "output.log").write_text("epoch 1\nepoch 2\n")
    (folder / "files" / "config.yaml").write_text("lr:\n  value: 0.001\n")
    (folder / "logs" / "debug.log").write_text("wandb debug\n")
    latest = root / "wandb" / "latest-run"
    if not latest.exists():
        latest.symlink_to(folder.name)
    return folder


def test_a_run_file_reads_history_config_summary_and_goals(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, run_records(media=True))
    (run,) = load(folder / "run-abc123.wandb")
    assert run.format == "wandb" and run.axis == "step" and run.name == "bright-sun-7"
    assert list(run.series) == ["train_loss", "val_loss", "val_acc"]
    assert run["val_loss"].x.tolist() == list(range(12))
    assert run["train_loss"].values[3] == 0.25
    assert run.epoch_at_step is not None and run.epoch_at_step[1].tolist()[:3] == [1, 2, 3]
    assert run.info["config.lr"] == "0.001" and "config._wandb" not in run.info
    assert run.info["summary.val_acc"] == "0.82" and run.info["exit_code"] == "0"
    assert run.info["run.project"] == "demo" and run.directions == {"val_acc": "max"}
    assert run.numbering == "wandb_run.step"
    keys = [w.key for w in run.warnings]
    assert keys == ["wandb.skipped"]  # 24 media values, no unfinished warning
    assert run.warnings[0].params["count"] == 24
    assert run.warnings[0].params["keys"] == "examples, weights"


def test_records_that_span_blocks_are_joined(tmp_path: Path) -> None:
    big = {f"layer_{i}": "x" * 200 for i in range(400)}  # one 80 kB config record
    payloads = [record(config=big), *run_records(epochs=3000)]
    data = frame(payloads)
    assert len(data) > 5 * BLOCK
    assert 3 in {data[p + 6] for p in range(BLOCK, len(data) - HEADER, BLOCK)}  # MIDDLE chunks
    (tmp_path / "run-big.wandb").write_bytes(data)
    (run,) = load(tmp_path / "run-big.wandb")
    assert len(run["val_loss"]) == 3000 and run.info["config.layer_0"] == "x" * 200


def test_an_unfinished_run_is_read_to_its_last_whole_record(tmp_path: Path) -> None:
    data = frame(run_records(epochs=2000, finished=False))
    cut = data[: 3 * BLOCK + 1000]  # the writer died inside a block
    (tmp_path / "run-cut.wandb").write_bytes(cut)
    (run,) = load(tmp_path / "run-cut.wandb")
    assert [w.key for w in run.warnings] == ["wandb.unfinished"]
    n = len(run["val_loss"])
    assert 100 < n < 2000
    assert run["val_loss"].x.tolist() == list(range(n))
    whole = wandb_run.frame(cut, "x")
    assert whole.cut_at is not None or len(whole.records) == n + 3


def test_a_damaged_chunk_ends_the_walk_with_a_warning(tmp_path: Path) -> None:
    data = bytearray(frame(run_records()))
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "run-bad.wandb").write_bytes(bytes(data))
    (run,) = load(tmp_path / "run-bad.wandb")
    assert {"wandb.unfinished", "wandb.damaged"} <= {w.key for w in run.warnings}


def test_the_run_folder_and_the_wandb_folder_are_sources(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, run_records())
    (run,) = load(folder)
    assert run.name == "bright-sun-7"
    run_folder(tmp_path, run_records(epochs=5), run_id="def456")
    runs = load(tmp_path / "wandb")
    assert sorted(len(r["val_loss"]) for r in runs) == [5, 12]  # latest-run not read twice
    (latest,) = load(tmp_path / "wandb" / "latest-run")
    assert len(latest["val_loss"]) == 12


def test_summary_that_runs_ahead_of_the_file_is_said(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, run_records(epochs=4, finished=False))
    (run,) = load(folder)
    ahead = [w for w in run.warnings if w.key == "wandb.summary_ahead"]
    assert ahead and ahead[0].params == {"summary_step": 11, "last_step": 3}


def test_summary_and_output_log_alone_are_refused(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, run_records())
    with pytest.raises(HistoryError, match="final value only") as err:
        load(folder / "files" / "wandb-summary.json")
    assert "pass the run folder" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(HistoryError, match="console text only"):
        load(folder / "files" / "output.log")
    assert is_history_file(folder / "run-abc123.wandb")


def test_missing_extra_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "run-x.wandb").write_bytes(frame(run_records(epochs=2)))
    monkeypatch.setattr(wandb_run, "record_class", lambda: None)
    with pytest.raises(HistoryError, match=r"reporter\[wandb\]") as err:
        load(tmp_path / "run-x.wandb")
    assert "run-x.wandb" in str(err.value) and "\n" not in str(err.value)


def test_not_a_run_file_names_the_problem(tmp_path: Path) -> None:
    (tmp_path / "run-y.wandb").write_bytes(b"hello world, not wandb")
    with pytest.raises(HistoryError, match="not a W&B run file") as err:
        load(tmp_path / "run-y.wandb")
    assert "run-y.wandb" in str(err.value)


@pytest.mark.slow
def test_a_run_folder_renders_in_one_report(tmp_path: Path) -> None:
    folder = run_folder(tmp_path / "in", run_records(media=True))
    r = render_one(folder, tmp_path / "out")
    assert r.summary["format"] == "wandb" and r.summary["run"] == "bright-sun-7"
    text = squash_text(r.text)
    assert squash_text("The x axis is W&B's _step") in text
    assert squash_text("가로축은 W&B의 _step 값입니다") in text
    assert "bright-sun-7" in r.text


# ----------------------------------------------------------------------------- ../shared

R8 = "wandb__aorvieto__VerySimpleTransformer__wandb_run-20230329_015319-r8mtbfdx_run-r8mtbfdx.wandb"
SY = "wandb__harshtripathi272__ResNet-Optimization__wandb_latest-run_run-syihqcg7.wandb"


@pytest.mark.shared
def test_real_unfinished_run_matches_provenance() -> None:
    (run,) = load(need(WILD / R8))
    assert set(run.series) == {"lr", "train_loss_local", "grad_norm_square"}
    v = run["train_loss_local"]
    assert len(v) == 3957 and v.x.tolist() == list(range(3957))
    assert int(np.nanargmin(v.values)) == 3557 and v.values[3557] == 0.08074834942817688
    assert "wandb.unfinished" in {w.key for w in run.warnings}  # 40 x 32 KiB, no exit record


@pytest.mark.shared
def test_real_one_row_run_matches_provenance() -> None:
    (run,) = load(need(WILD / SY))
    assert {"train_acc", "train_loss", "val_acc", "val_loss", "lr"} <= set(run.series)
    assert run["val_acc"].values.tolist() == [55.22] and run["val_acc"].x.tolist() == [0]
    assert "wandb.unfinished" in {w.key for w in run.warnings}


@pytest.mark.shared
@pytest.mark.parametrize("kind", ["files_wandb-summary.json", "files_output.log"])
def test_real_summary_and_console_files_are_refused(kind: str) -> None:
    files = sorted(WILD.glob(f"wandb__*{kind}")) if WILD.exists() else []
    if not files:
        pytest.skip("../shared is absent")
    for f in files:
        with pytest.raises(HistoryError, match="pass the run folder"):
            load(f)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "score", "step"),
    [
        (
            "kerastuner__MSchell0129__AlphabetSoupCharity__my_dir_intro_to_kt_trial_0000_trial.json",
            "0.5331778526306152",
            "0",
        ),
        (
            "kerastuner__RealFakeDoor__deep-learning-challenge__my_dir_intro_to_kt_trial_00_trial.json",
            "0.7198250691095988",
            "4",
        ),
    ],
)
def test_real_keras_tuner_trials_are_refused_by_name(name: str, score: str, step: str) -> None:
    with pytest.raises(HistoryError) as err:
        load(need(WILD / name))
    msg = str(err.value)
    assert "Keras Tuner trial.json" in msg and "one best value per metric" in msg
    assert f"score {score} at step {step}" in msg and "\n" not in msg


@pytest.mark.shared
@pytest.mark.slow
def test_real_run_renders(tmp_path: Path) -> None:
    r = render_one(need(WILD / R8), tmp_path)
    assert r.summary["metrics"]["train_loss_local"]["best_value"] == 0.08074834942817688
    assert r.summary["metrics"]["train_loss_local"]["best_index"] == 3557
    assert squash_text("read up to its last whole record") in squash_text(r.text)
    from .korean import wrong_particles

    assert wrong_particles(r.text) == []
