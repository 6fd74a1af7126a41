"""Logs from the wild: JSON Lines dialects, Ultralytics YOLO, tolerant dicts, held-out by name.

Small files are written here in each framework's own layout (as its source writes them);
the real files in ../shared/histories-wild are checked against PROVENANCE.md's independent
best values at the end.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reporter.analysis import analyze
from reporter.config import Options
from reporter.errors import HistoryError
from reporter.history import FORMATS, REGISTRY, format_help, is_history_file, load
from reporter.i18n import messages
from reporter.summary import build_summary

from .conftest import SHARED, need, render_one, squash_text
from .korean import split_words, vocabulary, wrong_particles

WILD = SHARED / "histories-wild"


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def lines(rows: list[dict[str, Any]]) -> str:
    # json.dumps writes NaN as a bare token, as Detectron2 and DETR do
    return "".join(json.dumps(r) + "\n" for r in rows)


def summary_of(path: Path, **options: Any) -> dict[str, Any]:
    (run,) = load(path)
    opts = Options(**options)
    return build_summary(analyze(run, opts), opts, messages())


# ----------------------------------------------------------------------------- JSON Lines


def detectron2_log(restart: bool = False, final_row: bool = True) -> str:
    rows: list[dict[str, Any]] = []
    for it in (19, 39, 59, 79, 99):
        row: dict[str, Any] = {
            "iteration": it,
            "total_loss": 2.0 - it / 100,
            "loss_cls": 1.0 - it / 200,
            "lr": 0.00025,
            "data_time": 0.01,
            "fast_rcnn/cls_accuracy": 0.5 + it / 400,
        }
        if it in (39, 79):  # evaluation merged into the training row
            row.update({"bbox/AP": 30.0 + it / 10, "bbox/AP50": 50.0, "bbox/AP-cat": float("nan")})
        rows.append(row)
    if final_row:  # current Detectron2: an evaluation-only row at max_iter
        rows.append({"iteration": 100, "bbox/AP": 37.5, "bbox/AP50": 55.0, "bbox/AP-cat": 12.0})
    text = lines(rows)
    if restart:
        text = lines(rows[:2]) + text
    return text


def test_detectron2_metrics_json(tmp_path: Path) -> None:
    path = write(tmp_path, "output/metrics.json", detectron2_log())
    (run,) = load(path)
    assert run.format == "json-lines" and run.axis == "step" and run.numbering == "detectron2"
    np.testing.assert_array_equal(run["total_loss"].x, [19, 39, 59, 79, 99])
    # merged evaluations and the final evaluation-only row, at the file's own iterations
    np.testing.assert_array_equal(run["bbox/AP"].x, [39, 79, 100])
    np.testing.assert_array_equal(run["bbox/AP"].values, [33.9, 37.9, 37.5])
    assert run.roles["bbox/AP"] == "val" and run.roles["bbox/AP-cat"] == "val"
    assert "total_loss" not in run.roles and "fast_rcnn/cls_accuracy" not in run.roles
    s = summary_of(path)
    assert s["monitor"] == "bbox/AP" and s["monitor_choice"]["code"] == "detectron_ap"
    assert s["metrics"]["bbox/AP"]["best_step"] == 79 and s["metrics"]["bbox/AP"]["best_index"] == 1
    assert s["numbering"]["convention"] == "detectron2" and s["numbering"]["first"] == 39
    assert "iteration" in s["numbering"]["text"]["en"]
    assert s["held_out"]["how"] == "reader" and "bbox/AP" in s["held_out"]["series"]


def test_detectron2_appended_runs_are_kept_apart(tmp_path: Path) -> None:
    path = write(tmp_path, "metrics.json", detectron2_log(restart=True))
    (last,) = load(path)
    assert [str(w) for w in last.warnings if w.key == "warn.appended_runs"]
    np.testing.assert_array_equal(last["total_loss"].x, [19, 39, 59, 79, 99])
    first, second = load(path, run="all")
    np.testing.assert_array_equal(first["total_loss"].x, [19, 39])
    assert second.info["run"] == "2"


def test_jsonl_last_line_cut_short_is_a_warning_not_an_error(tmp_path: Path) -> None:
    text = detectron2_log() + '{"iteration": 119, "total_lo'
    (run,) = load(write(tmp_path, "metrics.json", text))
    assert any(w.key == "warn.jsonl_last_line" for w in run.warnings)
    # a damaged line in the middle is an error naming the line; never "invalid JSON"
    bad = detectron2_log().replace('"iteration": 59', '"iteration": 59,,', 1)
    with pytest.raises(HistoryError, match=r"line 3.*JSON Lines") as exc:
        load(write(tmp_path, "bad.json", bad))
    assert "invalid JSON" not in str(exc.value)


def mmengine_scalars(epochs: int = 4, iters: int = 10, val_every: int = 2) -> str:
    rows: list[dict[str, Any]] = []
    step = 0
    for e in range(1, epochs + 1):
        for i in (5, 10):  # logged every 5 of 10 iterations
            step = (e - 1) * iters + i
            rows.append(
                {
                    "lr": 0.01,
                    "data_time": 0.1,
                    "loss": 2.0 / e - i / 100,
                    "time": 0.3,
                    "epoch": e,
                    "memory": 100,
                    "step": step,
                }
            )
        if e % val_every == 0:  # validation rows: step is the epoch
            rows.append(
                {
                    "coco/bbox_mAP": 0.1 * e,
                    "coco/bbox_mAP_s": -1.0,
                    "data_time": 0.05,
                    "time": 0.07,
                    "step": e,
                }
            )
    return lines(rows)


def test_mmengine_epoch_based_scalars_on_one_epoch_axis(tmp_path: Path) -> None:
    path = write(tmp_path, "vis_data/scalars.json", mmengine_scalars())
    (run,) = load(path)
    assert run.axis == "epoch" and run.numbering == "mmengine_epoch"
    # training rows inside their epoch (iteration 5 of 10 at x = e - 0.5), validation at e
    np.testing.assert_allclose(run["loss"].x, [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4])
    np.testing.assert_array_equal(run["coco/bbox_mAP"].x, [2, 4])
    assert math.isnan(run["coco/bbox_mAP_s"].values[0])  # -1: no small objects, a gap
    assert any(w.key == "warn.placeholder_gaps" for w in run.warnings)
    assert not any(w.key == "warn.nonfinite" for w in run.warnings)
    assert "val/time" not in run.series and "time" in run.series  # timing is training-side
    s = summary_of(path)
    assert s["monitor"] == "coco/bbox_mAP" and s["metrics"]["coco/bbox_mAP"]["best_epoch"] == 4


def test_mmengine_iteration_based(tmp_path: Path) -> None:
    rows = [{"lr": 0.1, "loss": 1.0 - k / 10, "iter": k * 50, "step": k * 50} for k in (1, 2, 3)]
    rows.append({"mIoU": 40.0, "step": 150})
    (run,) = load(write(tmp_path, "scalars.json", lines(rows)))
    assert run.axis == "step" and run.numbering == "mmengine_iter"
    np.testing.assert_array_equal(run["mIoU"].x, [150])


def mmcv_log() -> str:
    header = {
        "env_info": "sys.platform: linux\nPython: 3.8",
        "config": "model = dict()",
        "seed": 42,
        "mmcls_version": "0.25.0",
        "CLASSES": ["a", "b"],
    }
    rows: list[dict[str, Any]] = []
    for e in (1, 2, 3):
        for i in (10, 20):
            rows.append(
                {
                    "mode": "train",
                    "epoch": e,
                    "iter": i,
                    "lr": 0.1,
                    "memory": 900,
                    "data_time": 0.01,
                    "loss": 1.0 / e + 0.1 / i,
                    "time": 0.2,
                }
            )
        rows.append(
            {
                "mode": "val",
                "epoch": e,
                "iter": 20,
                "lr": 0.1,
                "accuracy_top-1": 60.0 + e,
                "bbox_mAP_copypaste": "0.1 0.2",
            }
        )
    return json.dumps(header) + "\n" + lines(rows)


def test_mmcv_log_json(tmp_path: Path) -> None:
    path = write(tmp_path, "20230207_121050.log.json", mmcv_log())
    (run,) = load(path)
    assert run.numbering == "mmcv_epoch" and run.info["mmcls_version"] == "0.25.0"
    np.testing.assert_allclose(run["loss"].x, [0.5, 1, 1.5, 2, 2.5, 3])
    np.testing.assert_array_equal(run["accuracy_top-1"].x, [1, 2, 3])
    assert "bbox_mAP_copypaste" not in run.series and "val/lr" not in run.series
    assert run.roles["accuracy_top-1"] == "val"
    s = summary_of(path)
    assert s["monitor"] == "accuracy_top-1" and s["metrics"]["accuracy_top-1"]["best_epoch"] == 3


def detr_log(epochs: range = range(3)) -> str:
    rows = []
    for e in epochs:
        rows.append(
            {
                "train_lr": 1e-4,
                "train_loss": 3.0 - e,
                "test_loss": 3.2 - e / 2,
                "test_class_error": 50.0 - e,
                "test_coco_eval_bbox": [
                    0.1 * (e + 1),
                    0.2,
                    0.15,
                    -1.0,
                    0.1,
                    0.2,
                    0.1,
                    0.2,
                    0.3,
                    -1.0,
                    0.2,
                    0.3,
                ],
                "epoch": e,
                "n_parameters": 41_000_000,
            }
        )
    return lines(rows)


def test_detr_log_txt(tmp_path: Path) -> None:
    path = write(tmp_path, "outputs/log.txt", detr_log())
    (run,) = load(path)
    assert run.numbering == "detr" and run.info["n_parameters"] == "41000000"
    np.testing.assert_array_equal(run["test_loss"].x, [0, 1, 2])  # from 0, as DETR prints
    ap = run["test_coco_eval_bbox/AP"]
    np.testing.assert_allclose(ap.values, [0.1, 0.2, 0.3])
    assert np.isnan(run["test_coco_eval_bbox/APs"].values).all()
    s = summary_of(path)
    # no val_*: test_* is the held-out side, and the report says so
    assert s["held_out"]["how"] == "test" and "test_loss" in s["held_out"]["series"]
    assert "test_*" in s["held_out"]["text"]["en"]
    assert s["monitor"] == "test_loss" and s["recommendation"]["kind"] != "no_validation"
    assert s["metrics"]["test_coco_eval_bbox/AP"]["best_epoch"] == 2


def test_generic_jsonl_and_lists(tmp_path: Path) -> None:
    rows = [
        {
            "global_step": 100 * k,
            "loss": 1.0 / k,
            "hist": list(range(40)),
            "phase": "train",
            "pair": [0.5, 0.25],
        }
        for k in (1, 2, 3)
    ]
    (run,) = load(write(tmp_path, "log.jsonl", lines(rows)))
    assert run.numbering == "as_logged:global_step" and run.axis == "step"
    assert set(run.series) == {"loss", "pair[0]", "pair[1]"}
    assert any(w.key == "warn.jsonl_left_out" and "hist" in w.params["keys"] for w in run.warnings)
    one = load(write(tmp_path, "one.jsonl", '{"loss": 0.5}\n'))
    assert one[0].numbering == "row_number"


def test_json_lines_never_called_invalid_json(tmp_path: Path) -> None:
    path = write(tmp_path, "metrics.json", detectron2_log())
    with pytest.raises(HistoryError) as exc:
        load(path, fmt="keras-json")
    assert "JSON Lines" in str(exc.value) and "invalid JSON" not in str(exc.value)
    with pytest.raises(HistoryError, match="looks like json-lines"):
        load(path, fmt="tfevents")


# ----------------------------------------------------------------------------- Ultralytics

V80_CSV = (
    "                  epoch,         train/box_loss,   metrics/precision(B),      metrics/recall(B),"
    "       metrics/mAP50(B),    metrics/mAP50-95(B),           val/box_loss,                 lr/pg0\n"
    "                      0,                    1.5,                    0.2,                    0.1,"
    "                    0.3,                    0.1,                    2.0,                  0.07\n"
    "                      1,                    1.2,                    0.4,                    0.3,"
    "                    0.5,                    0.3,                    1.8,                  0.04\n"
    "                      2,                    1.1,                    0.5,                    0.4,"
    "                    0.9,                    0.2,                    1.9,                  0.01\n"
)
V11_SEG_CSV = (
    "epoch,time,train/box_loss,train/seg_loss,metrics/precision(B),metrics/recall(B),"
    "metrics/mAP50(B),metrics/mAP50-95(B),metrics/precision(M),metrics/recall(M),"
    "metrics/mAP50(M),metrics/mAP50-95(M),val/box_loss,val/seg_loss,lr/pg0,lr/pg1,lr/pg2\n"
    "1,10.5,1.5,2.0,0.2,0.1,0.3,0.1,0.2,0.1,0.3,0.1,2.0,2.5,0.001,0.001,0.001\n"
    "2,20.1,1.2,1.8,0.4,0.3,0.5,0.3,0.4,0.3,0.4,0.2,1.8,2.2,0.002,0.002,0.002\n"
    "3,30.2,1.1,1.7,0.5,0.4,0.5,0.3,0.4,0.3,0.4,0.2,1.9,2.3,0.003,0.003,0.003\n"
)
V5_CSV = (
    "               epoch,      train/box_loss,      train/obj_loss,   metrics/precision,"
    "      metrics/recall,     metrics/mAP_0.5,metrics/mAP_0.5:0.95,        val/box_loss,"
    "               x/lr0\n"
    "                   0,                0.1,               0.05,                0.2,"
    "                0.1,                0.3,                0.1,               0.09,"
    "              0.07\n"
    "                   1,               0.08,               0.04,                0.4,"
    "                0.3,                0.5,                0.3,               0.07,"
    "              0.05\n"
)
V7_TXT = "".join(  # '%10s' * 2 + '%10.4g' * 6, then '%10.4g' * 7, as train.py writes it
    f"{f'{e}/9':>10}{'1.86G':>10}{0.1 - e / 100:>10.4g}{0.05:>10.4g}{0:>10}{0.2:>10.4g}"
    f"{24:>10}{416:>10}{0.3:>10.4g}{0.2:>10.4g}{0.1 * e:>10.4g}{0.05 * e:>10.4g}"
    f"{0.09:>10.4g}{0.06:>10.4g}{0:>10}\n"
    for e in range(4)
)


def test_ultralytics_v80_epochs_counted_from_zero_are_shown_as_printed(tmp_path: Path) -> None:
    path = write(tmp_path, "runs/detect/train/results.csv", V80_CSV)
    (run,) = load(path)
    assert run.format == "yolo" and run.name == "train" and run.numbering == "ultralytics_from0"
    np.testing.assert_array_equal(run["val/box_loss"].x, [1, 2, 3])  # console: 1/3, 2/3, 3/3
    fitness = run["fitness"].values  # 0.1·mAP50 + 0.9·mAP50-95
    np.testing.assert_allclose(fitness, [0.12, 0.32, 0.27])
    assert run.info["best.pt"].startswith("2 ")
    s = summary_of(path)
    assert s["monitor"] == "fitness" and s["monitor_choice"]["code"] == "ultralytics_fitness"
    assert "0.1·metrics/mAP50(B) + 0.9·metrics/mAP50-95(B)" in s["monitor_choice"]["text"]["en"]
    assert s["metrics"]["fitness"]["best_epoch"] == 2
    assert s["metrics"]["metrics/mAP50(B)"]["best_epoch"] == 3
    assert "lr/pg0" in [f["key"] for f in s["families"] if f["kind"] == "schedule"]


def test_ultralytics_v11_segment_fitness_sums_box_and_mask(tmp_path: Path) -> None:
    (run,) = load(write(tmp_path, "results.csv", V11_SEG_CSV))
    assert run.numbering == "ultralytics" and "time" not in run.series
    np.testing.assert_array_equal(run["fitness"].x, [1, 2, 3])  # written from 1, as printed
    np.testing.assert_allclose(run["fitness"].values, [0.24, 0.54, 0.54])
    # a tie: best_fitness stays at epoch 2, but best.pt is saved again at 3
    assert run.info["best.pt"].startswith("3 ")


def test_ultralytics_classify_fitness(tmp_path: Path) -> None:
    text = (
        "epoch,time,train/loss,metrics/accuracy_top1,metrics/accuracy_top5,val/loss,lr/pg0\n"
        "1,1,1.0,0.5,0.9,1.1,0.001\n2,2,0.8,0.7,0.95,0.9,0.001\n"
    )
    (run,) = load(write(tmp_path, "results.csv", text))
    np.testing.assert_allclose(run["fitness"].values, [0.7, 0.825])


def test_yolov5_csv_counts_from_zero_and_x_lr_is_a_learning_rate(tmp_path: Path) -> None:
    path = write(tmp_path, "results.csv", V5_CSV + V5_CSV.splitlines(keepends=True)[-1])
    (run,) = load(path)
    assert run.numbering == "yolov5"
    np.testing.assert_array_equal(run["val/box_loss"].x, [0, 1])  # console: 0/1, 1/1
    # the repeated last epoch is YOLOv5's final best.pt validation, left out with a note
    assert any(w.key == "warn.yolo_final_row" for w in run.warnings)
    s = summary_of(path)
    assert "x/lr0" in [f["key"] for f in s["families"] if f["kind"] == "schedule"]


def test_yolov7_results_txt(tmp_path: Path) -> None:
    path = write(tmp_path, "runs/train/exp4/results.txt", V7_TXT)
    (run,) = load(path)
    assert run.format == "yolo" and run.name == "exp4" and run.numbering == "yolov5"
    np.testing.assert_array_equal(run["mAP@.5:.95"].x, [0, 1, 2, 3])
    np.testing.assert_allclose(run["gpu_mem"].values, [1.86] * 4)
    assert run.info["epochs planned"] == "10"
    assert any(w.key == "warn.run_unfinished" for w in run.warnings)  # 4 of 10 epochs
    s = summary_of(path)
    assert s["monitor"] == "fitness" and s["metrics"]["P"]["mode"] == "max"
    assert "gpu_mem" in [f["key"] for f in s["families"] if f["kind"] == "diagnostic"]
    assert s["unknown_direction"] == []
    assert s["metrics"]["mAP@.5:.95"]["best_epoch"] == 3


def test_results_txt_damaged_line_names_it(tmp_path: Path) -> None:
    bad = V7_TXT.replace("1.86G", "lots", 1)
    with pytest.raises(HistoryError, match=r"line 1.*GPU memory"):
        load(write(tmp_path, "results.txt", bad), fmt="yolo-txt")


# ----------------------------------------------------------------------------- dicts, held-out


def test_dict_with_metadata_renders_its_series(tmp_path: Path) -> None:
    history = {
        "loss": [1.0, 0.8, 0.6, 0.5, 0.45, 0.4, 0.38, 0.36, 0.35, 0.34],
        "val_loss": [1.1, 0.9, 0.8, 0.85, 0.8, 0.78, 0.8, 0.82, 0.85, 0.9],
        "class_names": ["cat", "dog"],
        "phase": "finetune",
        "milestones": [2, 3],
        "optimizer": {"name": "adam", "lr": 0.001},
        "mixed": [0.5, "n/a"],
        "epochs": 4,
    }
    (run,) = load(write(tmp_path, "h.json", json.dumps(history)))
    assert set(run.series) == {"loss", "val_loss"}
    assert run.info["class_names"] == "cat, dog" and run.info["phase"] == "finetune"
    assert run.info["milestones"] == "2, 3"
    notes = {w.key: w for w in run.warnings}
    assert "warn.metadata_kept" in notes
    for key in ("class_names", "milestones", "mixed"):
        assert key in notes["warn.metadata_kept"].params["keys"]
    assert run.info["optimizer.name"] == "adam" and notes["warn.nested_ignored"]
    # only metadata: refused, naming the key and what it holds
    with pytest.raises(HistoryError, match="names: expected a list of numbers, found str"):
        load(write(tmp_path, "meta.json", json.dumps({"names": ["a", "b"], "x": "y"})))


@pytest.mark.parametrize("prefix", ["test_", "valid_", "eval_", "dev_", "holdout_"])
def test_held_out_side_by_name(tmp_path: Path, prefix: str) -> None:
    history = {"loss": [1.0, 0.7, 0.5, 0.4, 0.35], f"{prefix}loss": [1.1, 0.8, 0.7, 0.75, 0.8]}
    s = summary_of(write(tmp_path, "h.json", json.dumps(history)))
    assert s["monitor"] == f"{prefix}loss" and s["recommendation"]["kind"] != "no_validation"
    assert s["held_out"]["how"] == ("test" if prefix == "test_" else "name")
    assert (s["held_out"]["text"] is not None) == (prefix == "test_")


# ----------------------------------------------------------------------------- the registry


def test_registry_drives_help_and_discovery(tmp_path: Path) -> None:
    assert next(iter(FORMATS)) == "mlflow-sqlite" and "mlflow" not in FORMATS
    help_text = format_help()
    for f in REGISTRY:
        assert f.name in help_text
    assert is_history_file(write(tmp_path, "run.jsonl", "not even json"))  # claimed suffix
    assert is_history_file(write(tmp_path, "log.txt", detr_log()))  # recognised content
    assert is_history_file(write(tmp_path, "results.txt", V7_TXT))
    assert not is_history_file(write(tmp_path, "notes.txt", "training went well\n"))
    assert not is_history_file(write(tmp_path, "output.log", "epoch 1 done\nepoch 2 done\n"))


def test_report_shows_numbering_monitor_and_held_out(tmp_path: Path) -> None:
    r = render_one(write(tmp_path / "in", "outputs/log.txt", detr_log()), tmp_path / "out")
    text = squash_text(r.text)
    for sentence in (
        "Epochs are counted from 0, as DETR and DeiT print them",
        "There are no val_* series, so the test_* series are the held-out side",
        "There is no val_loss, so the held-out loss is monitored",
        "에포크는 DETR·DeiT 콘솔",
    ):
        assert squash_text(sentence) in text


# ----------------------------------------------------------------------------- ../shared


# file, series, best value, best position, epoch/step label, axis
PROVENANCE = [
    (
        "yolo__Abonia1__YOLOv8-Fire-and-Smoke-Detection__runs_detect_train_results.csv",
        "metrics/mAP50-95(B)",
        0.45929,
        24,
        25,
        "epoch",
    ),
    (
        "yolo__Alexandor136__YOLOv11_cls__runs_classify_train3_results.csv",
        "metrics/accuracy_top1",
        1.0,
        2,
        3,
        "epoch",
    ),
    (
        "yolo__AmelNozieres__Mushrooms_YOLOv5__runs_train_exp2_results.txt",
        "mAP@.5:.95",
        0.4266,
        92,
        92,
        "epoch",
    ),
    (
        "yolo__TituShahoriar__Yolo-v7-custom-data-set__runs_train_exp4_results.txt",
        "mAP@.5:.95",
        0.3671,
        19,
        19,
        "epoch",
    ),
    (
        "detectron2__AnabelVazquez__Mask-RCNN_COCO-Database__output_metrics.json",
        "total_loss",
        0.5029988062888151,
        13,
        279,
        "step",
    ),
    (
        "detectron2__Ghailen-Ben-Achour__detectron2_detection__output_metrics.json",
        "bbox/AP",
        75.7732398239824,
        2,
        300,
        "step",
    ),
    (
        "detectron2__K-Merrick__water-meters__output_metrics.json",
        "bbox/AP",
        64.13193197811927,
        3,
        1799,
        "step",
    ),
    (
        "mmengine__crazy-winds__openmmlab-learn__homeworks_Balloon_det_work_dir_20230609_081929_vis_data_scalars.json",
        "coco/bbox_mAP",
        0.747,
        9,
        50,
        "epoch",
    ),
    (
        "mmengine__crazy-winds__openmmlab-learn__homeworks_fruit_30_cls_work_dir_20230607_075047_vis_data_scalars.json",
        "accuracy/top1",
        93.44000244140625,
        39,
        40,
        "epoch",
    ),
    (
        "mmengine__woxinyonghen__OpenMMLabCamp__homework01_jinjie_20230207_121050.log.json",
        "accuracy_top-1",
        98.704,
        98,
        99,
        "epoch",
    ),
    (
        "custom__Jannik-m12__whale-call-classifier__results_training_history.json",
        "val_accuracy",
        0.29288703203201294,
        13,
        14,
        "epoch",
    ),
    (
        "custom__Moqixis__object_detection_detr__outputs_log.txt",
        "test_coco_eval_bbox/AP",
        0.7597355857037735,
        1,
        1,
        "epoch",
    ),
]


@pytest.mark.shared
@pytest.mark.parametrize(
    ("name", "series", "value", "index", "label", "axis"),
    PROVENANCE,
    ids=[p[0].split("__")[0] + "-" + p[0].split("__")[1] for p in PROVENANCE],
)
def test_real_wild_logs_match_provenance(
    name: str, series: str, value: float, index: int, label: int, axis: str
) -> None:
    s = summary_of(need(WILD / name))
    m = s["metrics"][series]
    assert m["best_value"] == pytest.approx(value, rel=1e-12)
    assert m["best_index"] == index
    assert m[f"best_{axis}"] == label
    assert s["numbering"]["text"]["en"]


@pytest.mark.shared
@pytest.mark.slow
def test_real_yolo_report_says_what_best_pt_holds(tmp_path: Path) -> None:
    src = need(WILD / PROVENANCE[1][0])
    r = render_one(src, tmp_path)
    assert r.summary["monitor"] == "fitness"
    assert r.summary["info"]["best.pt"].startswith("20 ")  # the last epoch of the 1.0 tie
    assert "Epochs are counted from 1, as Ultralytics prints them" in r.text
    assert wrong_particles(r.text) == []


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize("index", [2, 5, 9, 11])  # YOLOv5 txt, Detectron2, mmcv, DETR
def test_real_wild_reports_read_as_korean(tmp_path: Path, index: int) -> None:
    r = render_one(need(WILD / PROVENANCE[index][0]), tmp_path)
    s = r.summary
    known = vocabulary(s["recommendation"]["text"]["ko"], *(f["text"]["ko"] for f in s["findings"]))
    assert split_words(r.text, known) == []
    assert wrong_particles(r.text) == []
