"""fastai CSVLogger ``history.csv``: epochs from 0, ``time`` a duration, metrics held out."""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.analysis import analyze
from reporter.config import Options
from reporter.errors import HistoryError
from reporter.history import load

from .conftest import render_one, squash_text

HISTORY = """\
epoch,train_loss,valid_loss,accuracy,error_rate,time
0,0.912,0.801,0.61,0.39,00:05
1,0.702,0.612,0.70,0.30,00:04
2,0.551,0.548,0.75,0.25,00:04
3,0.450,0.561,0.74,0.26,00:05
4,0.380,0.590,0.73,0.27,01:02
"""


def _write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    p = tmp_path / "models" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, "utf-8")
    return p


def test_fastai_history_csv(tmp_path: Path) -> None:
    (run,) = load(_write(tmp_path, HISTORY))
    assert run.format == "fastai" and run.name == "models"
    assert list(run.series) == ["train_loss", "valid_loss", "accuracy", "error_rate"]
    assert "time" not in run.series and run.info["time"] == "01:20 (00:16 per epoch)"
    assert run["valid_loss"].x.tolist() == [0, 1, 2, 3, 4]  # as fastai's table prints them
    assert run.roles == {"accuracy": "val", "error_rate": "val"}
    assert run.monitor == "valid_loss" and run.numbering == "fastai_csv.epoch"
    a = analyze(run, Options(patience=2))
    assert a.monitor_choice is not None and a.monitor_choice.name == "valid_loss"
    assert a.stopping is not None and a.stopping.best_epoch == 2


def test_na_cells_are_gaps_and_appended_fits_keep_the_last(tmp_path: Path) -> None:
    text = HISTORY + "0,0.9,#na#,#na#,#na#,00:03\n1,0.8,#na#,#na#,#na#,00:03\n"
    (run,) = load(_write(tmp_path, text))
    assert [w.key for w in run.warnings][:1] == ["warn.appended_runs"]
    assert set(run.series) == {"train_loss"}  # no validation set in the last fit
    assert run["train_loss"].values.tolist() == [0.9, 0.8]


def test_a_bad_cell_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, HISTORY.replace("0.548", "oops"))
    with pytest.raises(HistoryError) as err:
        load(p)
    msg = str(err.value)
    assert "history.csv" in msg and "line 4" in msg and "'oops'" in msg and "\n" not in msg


@pytest.mark.slow
def test_fastai_report_says_how_epochs_are_counted(tmp_path: Path) -> None:
    r = render_one(_write(tmp_path / "in", HISTORY), tmp_path / "out")
    text = squash_text(r.text)
    assert squash_text("Epochs are counted from 0, as fastai prints them") in text
    assert squash_text("fastai의 SaveModelCallback 콜백과") in text
    assert r.summary["monitor"] == "valid_loss"
    from .korean import wrong_particles

    assert wrong_particles(r.text) == []
