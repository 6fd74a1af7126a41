"""reporter.keras.ReportCallback on a real Keras 3 model (JAX on the CPU, from the test
extra): the report is written when fit ends, replays the fit's own EarlyStopping to the
same epoch, says so on page 1, and no failure of the callback stops training (issue 17)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = "jax"  # before Keras is first imported; the lightest CPU backend
pytest.importorskip("jax")
keras = pytest.importorskip("keras")

import reporter  # noqa: E402
from reporter import api  # noqa: E402
from reporter.errors import ConfigError  # noqa: E402
from reporter.keras import ReportCallback, ReportWarning  # noqa: E402

from .conftest import pdf_text  # noqa: E402

# Keras's own get_weights() (restore_best_weights) under numpy 2 with JAX arrays; not ours
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def data() -> tuple[Any, Any]:
    """A tiny noisy regression: training improves for a few epochs, validation soon stalls."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(size=256) * 2).astype("float32")
    return x, y


def model(name: str = "tiny") -> Any:
    keras.utils.set_random_seed(0)
    m = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)],
        name=name,
    )
    m.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    return m


def fit(m: Any, callbacks: list[Any], epochs: int = 40) -> Any:
    x, y = data()
    return m.fit(
        x, y, validation_split=0.25, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks
    )


def test_the_report_replays_the_early_stop_keras_made(tmp_path: Path) -> None:
    es = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=2, min_delta=0.01, start_from_epoch=1,
        restore_best_weights=True,
    )  # fmt: skip
    cb = ReportCallback(out=tmp_path / "reports")
    history = fit(model(), [es, cb])
    epochs_run = len(history.history["loss"])
    assert es.stopped_epoch > 0 and epochs_run < 40  # Keras stopped early
    assert cb.error is None and cb.result is not None
    folder = tmp_path / "reports" / "tiny"
    assert cb.result.folder == folder.resolve()
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF-")
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    stop = summary["early_stopping"]
    assert stop["stop_fired"] and stop["stopped_epoch"] == es.stopped_epoch + 1 == epochs_run
    assert (stop["monitor"], stop["mode"], stop["patience"]) == ("val_loss", "min", 2)
    assert (stop["min_delta"], stop["start_from_epoch"]) == (0.01, 1)
    assert summary["epochs"] == epochs_run
    assert summary["metrics"]["val_loss"]["best_epoch"] == 1 + int(
        np.argmin(history.history["val_loss"])
    )
    info = summary["info"]
    assert info["Keras stopped at epoch"] == str(es.stopped_epoch + 1)
    assert "patience=2" in info["Keras EarlyStopping"]
    assert "restore_best_weights=True" in info["Keras EarlyStopping"]
    assert "Keras EarlyStopping" in pdf_text(folder / "report.pdf")  # page 1 says so


def test_options_given_to_the_callback_win_and_no_early_stopping_is_fine(tmp_path: Path) -> None:
    es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    cb = ReportCallback(out=tmp_path, name="mine", patience=4, lang="en")
    fit(model(), [cb, es], epochs=4)
    assert cb.result is not None and cb.result.name == "mine"
    summary = cb.result.summary
    assert summary["options"]["patience"] == 4 and summary["options"]["lang"] == "en"
    alone = ReportCallback(out=tmp_path, name="alone")
    history = fit(model(), [alone], epochs=3)
    assert alone.result is not None and "Keras EarlyStopping" not in alone.result.summary["info"]
    assert alone.result.summary["info"]["Keras epochs planned"] == "3"
    # the History that fit returns, given to reporter.report as in a notebook
    direct = reporter.report(history, out=tmp_path / "direct")
    assert direct.name == "tiny" and direct.summary["format"] == "keras-history"
    assert direct.summary["info"]["keras.epochs"] == "3"
    assert direct.summary["metrics"] == alone.result.summary["metrics"]


def test_every_n_epochs_rewrites_the_report_while_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reporter.keras as rk

    epochs_seen: list[int] = []
    real = api.report_with

    def spy(source: Any, *args: Any, **kw: Any) -> Any:
        epochs_seen.append(len(source["loss"]))
        return real(source, *args, **kw)

    monkeypatch.setattr(rk, "report_with", spy)
    cb = ReportCallback(out=tmp_path, every=2)
    fit(model(), [cb], epochs=5)
    assert epochs_seen == [2, 4, 5]
    assert cb.result is not None and cb.result.summary["epochs"] == 5
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == ["report.pdf", "summary.json"]


def test_a_failing_renderer_does_not_stop_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reporter.pipeline as pipeline

    def boom(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(pipeline, "render_report", boom)
    cb = ReportCallback(out=tmp_path)
    with pytest.warns(ReportWarning, match="renderer exploded.*training goes on"):
        history = fit(model(), [cb], epochs=3)
    assert len(history.history["loss"]) == 3
    assert isinstance(cb.error, RuntimeError) and cb.result is None


def test_an_unwritable_out_folder_does_not_stop_fit(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    cb = ReportCallback(out=blocker, every=1)
    with pytest.warns(ReportWarning, match="cannot write"):
        history = fit(model(), [cb], epochs=3)
    assert len(history.history["loss"]) == 3 and cb.result is None


def test_warnings_as_errors_still_do_not_stop_fit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cb = ReportCallback(out=blocker)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReportWarning)
        history = fit(model(), [cb], epochs=2)
    assert len(history.history["loss"]) == 2
    assert "the training report was not written" in caplog.text  # logged, not printed


def test_bad_callback_arguments_fail_before_training() -> None:
    with pytest.raises(ConfigError, match="unknown option 'patiance'"):
        ReportCallback(patiance=3)
    with pytest.raises(ConfigError, match="every must be"):
        ReportCallback(every=0)


def test_without_keras_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)  # as if Keras were not installed
    monkeypatch.delitem(sys.modules, "reporter.keras")
    with pytest.raises(ImportError, match=r"pip install 'reporter\[keras\]'"):
        importlib.import_module("reporter.keras")
