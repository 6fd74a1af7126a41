"""Every reader on small files written here: the variants people actually produce."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from reporter.errors import HistoryError, UnsafeInputError
from reporter.history import load


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def keys(run: object) -> list[str]:
    return list(run.series)  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- Keras CSV

CSV = "epoch,acc,loss,val_acc,val_loss\n0,0.5,1.0,0.4,1.1\n1,0.6,0.8,0.5,0.9\n2,0.7,0.6,0.55,0.85\n"


@pytest.mark.parametrize("variant", ["plain", "crlf", "crcrlf", "bom", "semicolon", "tab"])
def test_csvlogger_variants(tmp_path: Path, variant: str) -> None:
    text = CSV
    if variant == "crlf":
        text = text.replace("\n", "\r\n")
    elif variant == "crcrlf":
        text = text.replace("\n", "\r\r\n")
    elif variant == "semicolon":
        text = text.replace(",", ";")
    elif variant == "tab":
        text = text.replace(",", "\t")
    data = text.encode()
    if variant == "bom":
        data = b"\xef\xbb\xbf" + data
    (run,) = load(write(tmp_path, "training.log", data))
    assert run.format == "keras-csv" and keys(run) == ["acc", "loss", "val_acc", "val_loss"]
    np.testing.assert_array_equal(run["val_loss"].x, [1, 2, 3])  # epoch 0 is "Epoch 1/3"
    np.testing.assert_array_equal(run["val_loss"].values, [1.1, 0.9, 0.85])


def test_csv_without_epoch_column_and_pandas_index(tmp_path: Path) -> None:
    (run,) = load(write(tmp_path, "a.csv", "loss,val_loss\n1.0,1.1\n0.5,0.7\n"))
    np.testing.assert_array_equal(run["loss"].x, [1, 2])
    (run,) = load(write(tmp_path, "b.csv", ",loss,val_loss\n0,1.0,1.1\n1,0.5,0.7\n"))
    assert keys(run) == ["loss", "val_loss"]


def test_gaps_and_short_rows_are_warnings_with_line_numbers(tmp_path: Path) -> None:
    text = "epoch,loss,val_loss\n0,1.0,NA\n1,nan,0.9\n2,0.5\n3,,0.7\n"
    (run,) = load(write(tmp_path, "g.csv", text))
    assert np.isnan(run["val_loss"].values[0]) and np.isnan(run["val_loss"].values[2])
    notes = {(w.key, w.params.get("metric")): w for w in run.warnings}
    assert notes[("warn.csv_gaps", "loss")].params["lines"] == "3, 5"
    assert notes[("warn.short_rows", None)].params["lines"] == "4"


def test_appended_runs_last_by_default_all_on_request(tmp_path: Path) -> None:
    text = "epoch,loss,val_loss\n0,1,1\n1,0.5,0.6\n2,0.4,0.5\n0,0.9,0.95\n1,0.45,0.5\n"
    p = write(tmp_path, "runs.csv", text)
    (last,) = load(p)
    assert len(last["loss"]) == 2 and "warn.appended_runs" in [w.key for w in last.warnings]
    both = load(p, run="all")
    assert [len(r["loss"]) for r in both] == [3, 2] and [r.name for r in both] == [
        "runs-run1",
        "runs-run2",
    ]
    (first,) = load(p, run="1")
    assert len(first["loss"]) == 3
    with pytest.raises(HistoryError, match="holds 2 run"):
        load(p, run="3")
    # appended with its header repeated
    (again,) = load(
        write(tmp_path, "h.csv", "loss,val_loss\n1,1\n0.5,0.6\nloss,val_loss\n0.9,0.8\n")
    )
    assert len(again["loss"]) == 1


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("epoch,loss\n", "no rows"),
        ("epoch,loss,loss\n0,1,2\n", "duplicate column name 'loss'"),
        ("epoch,loss\n0,1,2\n", "line 2: 3 fields but the header has 2"),
        ("epoch;loss\n0;0,5\n", "column 'loss': '0,5' is not a number"),
        ("epoch,loss\n0,abc\n", "line 2: column 'loss': 'abc' is not a number"),
        ("0,1.5\n1,0.5\n", "no header row"),
        ("epoch,loss\n0," + "9" * 2_000_000 + "\n", "malformed CSV|not a number"),
    ],
)
def test_csv_errors_name_line_and_column(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(HistoryError, match=match):
        load(write(tmp_path, "bad.csv", text), limit=10_000_000)


# ----------------------------------------------------------------------------- Lightning

LIGHTNING = """epoch,lr-AdamW,step,train_loss_step,train_loss_epoch,val_loss,val_acc
,0.001,9,,,,
0,,9,1.5,,,
0,,19,1.2,,,
0,,19,,,1.1,0.5
0,,19,,1.3,,
,0.001,19,,,,
,0.001,19,,,,
,0.0005,29,,,,
1,,29,0.9,,,
1,,39,0.7,,,
1,,39,,,0.8,0.7
1,,39,,0.8,,
"""


def test_lightning_sparse_rows_become_series(tmp_path: Path) -> None:
    (run,) = load(write(tmp_path, "lightning_logs/version_3/metrics.csv", LIGHTNING))
    assert run.format == "lightning-csv" and run.name == "version_3-metrics"
    np.testing.assert_array_equal(run["val_loss"].x, [1, 2])  # once per epoch
    np.testing.assert_array_equal(run["train_loss_epoch"].values, [1.3, 0.8])
    assert len(run["train_loss_step"]) == 4  # per step, fractional epochs
    assert np.all(np.diff(run["train_loss_step"].x) > 0) and run["train_loss_step"].x[-1] <= 2
    assert list(run["lr-AdamW"].values) == [0.001, 0.001, 0.0005]  # duplicate rows merged
    from reporter.analysis import analyze

    a = analyze(run)
    assert a.catalog.metric("val_loss").train == "train_loss_epoch"
    assert a.recommendation.monitor == "val_loss"


# ----------------------------------------------------------------------------- Hugging Face


def trainer_state(log: list[dict[str, object]], **extra: object) -> str:
    return json.dumps({"log_history": log, "global_step": 300, **extra})


def test_trainer_state_steps_epochs_and_best(tmp_path: Path) -> None:
    log = [
        {"epoch": 0.5, "learning_rate": 1e-4, "loss": 2.0, "step": 50},
        {"epoch": 1.0, "eval_loss": 1.5, "eval_accuracy": 0.6, "eval_runtime": 3.0, "step": 100},
        {"epoch": 1.5, "learning_rate": 5e-5, "loss": 1.2, "step": 150},
        {"epoch": 2.0, "eval_loss": 1.2, "eval_accuracy": 0.7, "eval_runtime": 3.1, "step": 200},
        {"epoch": 3.0, "eval_loss": 1.3, "eval_accuracy": 0.72, "eval_runtime": 3.0, "step": 300},
        {
            "epoch": 3.0,
            "step": 300,
            "train_loss": 1.5,
            "train_runtime": 100.0,
            "train_samples_per_second": 9.0,
            "train_steps_per_second": 3.0,
            "total_flos": 1e12,
        },
    ]
    p = write(
        tmp_path,
        "run/trainer_state.json",
        trainer_state(log, best_metric=1.2, best_model_checkpoint="out/checkpoint-200"),
    )
    (run,) = load(p)
    assert run.format == "hf-trainer-state" and run.axis == "step" and run.name == "run"
    np.testing.assert_array_equal(run["eval_loss"].x, [100, 200, 300])
    np.testing.assert_array_equal(run["loss"].x, [50, 150])
    assert "train_runtime" not in run.series and run.info["train_loss"] == "1.5"
    assert run.info["metric_for_best_model"] == "eval_loss"
    assert run.epoch_at_step is not None
    from reporter.analysis import analyze

    a = analyze(run)
    assert a.recommendation.monitor == "eval_loss" and a.bests["eval_loss"].epoch == 200
    assert next(f for f in a.findings if f.code == "trainer_best").key.endswith("agrees")


def test_trainer_state_eval_sets_are_families(tmp_path: Path) -> None:
    log = []
    for step in (100, 200, 300):
        for g in ("g0", "g1", "g2"):
            log.append(
                {
                    "epoch": step / 100,
                    "step": step,
                    f"eval_{g}_loss": 1.0 / step,
                    f"eval_{g}_accuracy": step / 400,
                }
            )
    (run,) = load(write(tmp_path, "trainer_state.json", trainer_state(log)))
    from reporter.analysis import analyze

    fams = {f.key: f for f in analyze(run).catalog.families}
    assert [m.label for m in fams["loss · eval sets"].metrics] == ["g0", "g1", "g2"]


@pytest.mark.parametrize(
    ("state", "match"),
    [
        ({"log_history": []}, "log_history is empty"),
        ({"log_history": [1, 2]}, r"log_history\[0\] is a int"),
        ({"log_history": "x"}, "no log_history list"),
    ],
)
def test_trainer_state_errors(tmp_path: Path, state: dict[str, object], match: str) -> None:
    with pytest.raises(HistoryError, match=match):
        load(write(tmp_path, "trainer_state.json", json.dumps(state)), fmt="hf-trainer-state")


def test_trainer_state_missing_step_falls_back_with_a_warning(tmp_path: Path) -> None:
    (run,) = load(
        write(
            tmp_path,
            "trainer_state.json",
            trainer_state([{"loss": 1.0}, {"loss": 0.5}, {"eval_loss": 0.7}]),
        )
    )
    assert "warn.hf_no_step" in [w.key for w in run.warnings]


# ----------------------------------------------------------------------------- MLflow


def mlflow_run(
    root: Path,
    run_id: str,
    name: str,
    metrics: dict[str, list[tuple[float, int]]],
    params: dict[str, str] | None = None,
    status: int = 3,
) -> Path:
    folder = root / "mlruns" / "1" / run_id
    (folder / "metrics").mkdir(parents=True)
    (folder / "meta.yaml").write_text(
        f"artifact_uri: file:///x\nexperiment_id: '1'\nrun_id: {run_id}\nrun_name: {name}\n"
        f"status: {status}\nlifecycle_stage: active\n"
    )
    for metric, values in metrics.items():
        f = folder / "metrics" / metric
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("".join(f"{1700000000000 + s} {v} {s}\n" for v, s in values))
    for kind, values in (("params", params or {}), ("tags", {"mlflow.runName": name})):
        (folder / kind).mkdir()
        for k, v in values.items():
            (folder / kind / k).write_text(v)
    return folder


def test_mlflow_file_store_run_and_nested_names(tmp_path: Path) -> None:
    folder = mlflow_run(
        tmp_path,
        "a" * 32,
        "calm-fox",
        {
            "val/loss": [(1.0, 0), (0.8, 1), (0.9, 2)],
            "train/loss": [(1.2, 0), (0.9, 1), (0.7, 2)],
            "metrics/mAP50": [(0.1, 0), (0.2, 1), (0.3, 2), (0.35, 2)],
        },
        {"lr": "0.01"},
        status=4,
    )
    (run,) = load(folder)
    assert run.format == "mlflow" and run.name == "calm-fox-aaaaaaaa" and run.axis == "epoch"
    assert set(run.series) == {"val/loss", "train/loss", "metrics/mAP50"}
    np.testing.assert_array_equal(run["val/loss"].x, [1, 2, 3])
    assert run["metrics/mAP50"].values[-1] == 0.35 and run.info["status"] == "FAILED"
    assert run.info["params.lr"] == "0.01"
    assert "warn.duplicate_steps" in [w.key for w in run.warnings]


def test_mlflow_store_with_several_runs(tmp_path: Path) -> None:
    mlflow_run(tmp_path, "b" * 32, "one", {"loss": [(1.0, 0), (0.5, 1)]})
    mlflow_run(tmp_path, "c" * 32, "two", {"loss": [(1.0, 0), (0.4, 1)]})
    mlflow_run(tmp_path, "d" * 32, "two", {"loss": [(1.0, 0), (0.3, 1)]})
    root = tmp_path / "mlruns"
    assert len(load(root)) == 3
    assert [r.info["run_id"][:1] for r in load(root, run="cccc")] == ["c"]
    assert load(root, run="one")[0].info["run_name"] == "one"
    with pytest.raises(HistoryError, match="matches 2 runs.*cccccccc two; dddddddd two"):
        load(root, run="two")


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("1700000000000 0.5\n1700000000001 0.4 1 9\n", "line 2: expected 'timestamp value step'"),
        ("17000000000.5 0.5 0\n", "whole numbers"),
        ("1700000000000 abc 0\n", "'abc' is not a number"),
    ],
)
def test_mlflow_metric_file_errors(tmp_path: Path, line: str, match: str) -> None:
    folder = mlflow_run(tmp_path, "e" * 32, "x", {"loss": [(1.0, 0)]})
    (folder / "metrics" / "loss").write_text(line)
    with pytest.raises(HistoryError, match=match):
        load(folder)


def test_mlflow_nan_values_are_gaps(tmp_path: Path) -> None:
    folder = mlflow_run(tmp_path, "f" * 32, "x", {"loss": [(1.0, 0), (float("nan"), 1), (0.5, 2)]})
    (run,) = load(folder)
    assert np.isnan(run["loss"].values[1]) and "warn.nonfinite" in [w.key for w in run.warnings]


def test_mlflow_symlinks_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("1700000000000 1.0 0\n")
    folder = mlflow_run(tmp_path, "9" * 32, "x", {"loss": [(1.0, 0)]})
    (folder / "metrics" / "leak").symlink_to(secret)
    with pytest.raises(UnsafeInputError, match="symbolic link"):
        load(folder)
    loop = mlflow_run(tmp_path / "other", "8" * 32, "y", {"loss": [(1.0, 0)]})
    (loop / "metrics" / "loop").symlink_to(loop / "metrics")
    with pytest.raises(UnsafeInputError, match="symbolic link"):
        load(loop)


def test_mlflow_sqlite_store(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    con = sqlite3.connect(db)
    con.executescript(
        "create table runs (run_uuid text, name text, status text, experiment_id int, start_time int);"
        "create table metrics (key text, value float, timestamp int, run_uuid text, step int, is_nan bool);"
        "create table params (key text, value text, run_uuid text);"
    )
    con.execute("insert into runs values ('r1', 'first', 'FINISHED', 1, 1)")
    con.execute("insert into runs values ('r2', 'empty', 'FAILED', 1, 2)")
    for step, (tl, vl) in enumerate([(1.0, 1.1), (0.7, 0.9), (0.5, 0.95)]):
        con.execute("insert into metrics values ('train_loss', ?, 0, 'r1', ?, 0)", (tl, step))
        con.execute("insert into metrics values ('valid_loss', ?, 0, 'r1', ?, 0)", (vl, step))
    con.execute("insert into metrics values ('valid_loss', 0, 0, 'r1', 3, 1)")
    con.execute("insert into params values ('lr', '0.1', 'r1')")
    con.commit()
    con.close()
    (run,) = load(db)
    assert run.format == "mlflow-sqlite" and run.info["params.lr"] == "0.1"
    assert np.isnan(run["valid_loss"].values[3]) and run["valid_loss"].x[0] == 1
    not_mlflow = tmp_path / "other.db"
    sqlite3.connect(not_mlflow).execute("create table t (a int)").connection.commit()
    with pytest.raises(HistoryError, match="not an MLflow tracking store"):
        load(not_mlflow)


# ----------------------------------------------------------------------------- TensorBoard


def write_events(folder: Path, scalars: dict[str, list[tuple[int, float]]], tensors: bool) -> Path:
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    from tensorboard.util import tensor_util

    writer = EventFileWriter(str(folder))
    for tag, points in scalars.items():
        for step, value in points:
            if tensors:
                meta = summary_pb2.SummaryMetadata(
                    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
                )
                v = summary_pb2.Summary.Value(
                    tag=tag, metadata=meta, tensor=tensor_util.make_tensor_proto(np.float32(value))
                )
            else:
                v = summary_pb2.Summary.Value(tag=tag, simple_value=value)
            writer.add_event(
                event_pb2.Event(
                    step=step, wall_time=1.0 + step, summary=summary_pb2.Summary(value=[v])
                )
            )
    writer.close()
    (path,) = folder.glob("events.out.tfevents.*")
    return path


@pytest.mark.parametrize("tensors", [False, True])
def test_tfevents_classic_and_tensor_scalars(tmp_path: Path, tensors: bool) -> None:
    pytest.importorskip("tensorboard")
    path = write_events(
        tmp_path / "run1",
        {"loss": [(0, 1.0), (1, 0.5), (2, 0.4)], "val_loss": [(0, 1.1), (1, 0.7), (2, 0.8)]},
        tensors,
    )
    (run,) = load(path)
    assert run.format == "tfevents" and run.axis == "step"
    np.testing.assert_allclose(run["val_loss"].values, [1.1, 0.7, 0.8], rtol=1e-6)


def test_tfevents_keras_train_and_validation_folders_merge(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    write_events(tmp_path / "logs" / "train", {"epoch_loss": [(0, 1.0), (1, 0.5)]}, True)
    write_events(tmp_path / "logs" / "validation", {"epoch_loss": [(0, 1.2), (1, 0.9)]}, True)
    (run,) = load(tmp_path / "logs")
    assert set(run.series) == {"epoch_loss", "val_epoch_loss"} and run.name == "logs"


def test_tfevents_without_the_extra_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_tensorboard(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("tensorboard"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    path = write(
        tmp_path,
        "events.out.tfevents.1.host",
        b"\x18\x00\x00\x00\x00\x00\x00\x00" + b'\xa3\x7fK"\t' + b"\x00" * 30,
    )
    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(HistoryError, match=r"pip install 'reporter\[tensorboard\]'"):
        load(path)


def test_unknown_format_lists_what_was_tried(tmp_path: Path) -> None:
    with pytest.raises(
        HistoryError, match="unknown format.*mlflow.*tfevents.*keras-pickle.*json-lines.*keras-csv"
    ):
        load(write(tmp_path, "x.bin", b"\x01\x02\x03 binary"))
    with pytest.raises(HistoryError, match="neither an MLflow run store nor a W&B run folder nor TensorBoard"):
        load(tmp_path)


def test_lightning_csv_with_an_infinite_epoch_is_read(tmp_path: Path) -> None:
    """Found by the fuzzer: an ``inf`` epoch cell counted as the number of epochs
    (OverflowError). It is no count; the run is read, its short rows warned about."""
    path = tmp_path / "metrics.csv"
    path.write_bytes(b"loss,epoch,step\n0.0,0.0\n0.0,inf\n")
    (run,) = load(path)
    assert run.format == "lightning-csv"
    assert list(run["loss"].values) == [0.0, 0.0]
    assert [w.key for w in run.warnings] == ["warn.short_rows"]
