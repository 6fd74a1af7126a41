"""The Python API (issue 17): reporter.report/compare on paths and in-memory histories, the
CLI's option names, the typed errors, bad input as safe as through the CLI, and the notebook
view (_repr_html_)."""

from __future__ import annotations

import base64
import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import reporter
from reporter import api
from reporter.config import Options
from reporter.errors import ConfigError, HistoryError, OutputError

from .conftest import ROOT, render_one

H = {
    "loss": [1.0, 0.7, 0.5, 0.4, 0.35, 0.33, 0.32, 0.31],
    "val_loss": [1.1, 0.8, 0.6, 0.55, 0.56, 0.58, 0.6, 0.63],
    "accuracy": [0.5, 0.6, 0.7, 0.75, 0.8, 0.82, 0.83, 0.85],
    "val_accuracy": [0.45, 0.55, 0.65, 0.7, 0.7, 0.69, 0.68, 0.67],
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> reporter.Reports:
    """One in-memory history reported once for the module."""
    return reporter.report(dict(H, optimizer="adam"), out=tmp_path_factory.mktemp("api"))


# ----------------------------------------------------------------------------- the package


def test_import_reporter_stays_light() -> None:
    code = (
        "import sys, reporter; "
        "print([m for m in ('matplotlib', 'weasyprint', 'keras', 'pandas', 'jinja2', 'jax')"
        " if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_reporter_compare_stays_the_function_after_the_submodule_is_imported() -> None:
    import reporter.compare  # the comparison analysis, same name
    import reporter.pipeline

    assert reporter.compare is api.compare and reporter.report is api.report
    assert sys.modules["reporter.compare"].compare is not api.compare


# ----------------------------------------------------------------------------- options


def test_options_have_the_cli_names_and_defaults() -> None:
    assert api.options() == Options()
    assert set(api.OPTION_NAMES) == {
        "monitor", "mode", "patience", "min_delta", "baseline", "start_from_epoch", "lang",
        "direction", "format", "run", "max_bytes", "labels", "to", "attach_source",
    }  # fmt: skip
    o = api.options(
        patience=3, min_delta=0.01, lang="en", format="keras-json", run=2,
        direction=["jaccard=max"], labels=["cat", "dog"], mode=None,
    )  # fmt: skip
    assert (o.patience, o.min_delta, o.lang, o.fmt, o.run) == (3, 0.01, "en", "keras-json", "2")
    assert o.directions == {"jaccard": "max"} and o.class_labels == ("cat", "dog")
    assert o.mode == "auto"  # None leaves the default
    assert api.options(directions={"iou": "max"}).directions == {"iou": "max"}


def test_labels_can_be_a_file_as_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("\ufeffcat\ndog\n", "utf-8")
    assert api.options(labels=tmp_path / "classes.txt").class_labels == ("cat", "dog")
    with pytest.raises(ConfigError, match="labels: .*missing.txt"):
        api.options(labels=tmp_path / "missing.txt")


def test_every_bad_option_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        api.options(patiense=3, lang="fr", min_delta="0.1", patience=-1, mode="up")
    message = str(info.value)
    for part in (
        "unknown option 'patiense' (did you mean 'patience'?)",
        "lang must be one of both, ko, en",
        "min_delta must be a number",
        "patience must be 0 or more",
        "mode must be auto, min or max",
    ):
        assert part in message
    assert info.value.exit_code == 2  # the CLI's usage-error code


def test_an_unknown_option_fails_before_anything_is_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        reporter.report(tmp_path / "absent.json", out=tmp_path, colour="red")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- results


def test_a_dict_gives_the_same_report_as_the_same_dict_saved_as_json(
    made: reporter.Reports, tmp_path: Path
) -> None:
    (tmp_path / "history.json").write_text(json.dumps(dict(H, optimizer="adam")))
    cli = render_one(tmp_path / "history.json", tmp_path / "out")
    mine = made.summary
    assert mine == json.loads(made.folder.joinpath("summary.json").read_text("utf-8"))
    for key in ("recommendation", "early_stopping", "metrics", "findings", "info", "options"):
        assert mine[key] == cli.summary[key], key
    assert mine["format"] == "python-dict" and mine["info"] == {"optimizer": "adam"}


def test_the_result_has_files_summary_recommendation_and_findings(made: reporter.Reports) -> None:
    assert len(made) == 1 and made[0] is made.one
    assert sorted(p.name for p in made.files) == ["report.pdf", "summary.json"]
    assert made.pdf is not None and made.pdf.read_bytes().startswith(b"%PDF-")
    assert made.html is None  # no HTML writer in this build: it appears in files when there is
    assert made.recommendation["kind"] in ("stop", "keep_best")
    assert made.recommendation["keep_epoch"] == 4
    assert made.text("en") == made.recommendation["text"]["en"]
    assert {f["code"] for f in made.findings} >= {"overfitting_onset"}
    assert made.analysis.history.name == "history" and made.name == "history"


def test_a_writers_extra_file_appears_in_files_and_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reporter.pipeline as pipeline

    real = pipeline.render_report

    def with_html(history: Any, options: Any) -> Any:
        analysis, rendered = real(history, options)
        files = {**rendered.files, "report.html": b"<html></html>"}
        return analysis, type(rendered)(files, rendered.pages, rendered.warnings)

    monkeypatch.setattr(pipeline, "render_report", with_html)
    monkeypatch.chdir(tmp_path)
    result = reporter.report(H, out="out")
    assert result.html == (tmp_path / "out" / "history" / "report.html")
    assert 'href="out/history/report.html"' in result._repr_html_()


def test_a_path_source_is_the_cli_report(tmp_path: Path) -> None:
    result = reporter.report(ROOT / "histories" / "0_baseline.pkl", out=tmp_path, lang="en")
    assert result.name == "0_baseline" and result.summary["format"] == "keras-pickle"
    assert result.summary["options"]["lang"] == "en"


def test_a_source_with_several_runs_gives_one_report_each(tmp_path: Path) -> None:
    result = reporter.report({"a": H, "b": H}, out=tmp_path, name="sweep")
    assert [r.name for r in result] == ["sweep-a", "sweep-b"]
    assert len(result.files) == 4
    with pytest.raises(ValueError, match=r"2 runs \('sweep-a', 'sweep-b'\); pick one"):
        _ = result.pdf
    assert result.to_html().count('class="reporter-report"') == 2


def test_a_keras_history_like_object_is_read_with_its_model_name_and_params(
    tmp_path: Path,
) -> None:
    fake = SimpleNamespace(
        history={"loss": np.array([1.0, 0.5, 0.4], dtype=np.float32).tolist(),
                 "val_loss": [np.float32(1.1), np.float64(0.6), np.float32(0.7)]},
        params={"epochs": 3, "steps": 10, "verbose": 0},
        model=SimpleNamespace(name="tiny.cnn"),
    )  # fmt: skip
    result = reporter.report(fake, out=tmp_path)
    assert result.name == "tiny.cnn" and result.folder.name == "tiny.cnn"
    assert result.summary["format"] == "keras-history"
    assert result.summary["info"] == {"keras.epochs": "3", "keras.steps": "10", "keras.verbose": "0"}
    assert result.summary["metrics"]["val_loss"]["best_epoch"] == 2


class Frame:
    """A pandas-like frame without pandas: columns, shape and to_dict('list')."""

    def __init__(self, data: dict[str, list[Any]]) -> None:
        self.data = data
        self.columns = list(data)
        self.shape = (len(next(iter(data.values()))), len(data))

    def to_dict(self, orient: str) -> dict[str, list[Any]]:
        assert orient == "list"
        return dict(self.data)


def test_a_frame_is_read_without_pandas_and_its_epoch_column_is_the_axis(tmp_path: Path) -> None:
    frame = Frame({"epoch": list(range(8)), **H})
    result = reporter.report(frame, out=tmp_path)
    assert result.summary["format"] == "dataframe" and "epoch" not in result.summary["metrics"]
    assert result.summary["epochs"] == 8


def test_a_pandas_dataframe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(H)
    frame.loc[3, "val_loss"] = float("nan")
    result = reporter.report(frame, out=tmp_path, name="from-pandas")
    assert result.name == "from-pandas"
    keys = [w["key"] for w in result.summary["warnings"]]
    assert "warn.nonfinite" in keys


def test_compare_in_memory_runs_and_paths(tmp_path: Path) -> None:
    other = {k: [v * 0.9 for v in vs] for k, vs in H.items()}
    result = reporter.compare([H, other], out=tmp_path, lang="en")
    assert [r["name"] for r in result.summary["runs"]] == ["history", "history-2"]
    assert sorted(p.name for p in result.files) == ["comparison.json", "comparison.pdf"]
    assert result.findings and "history-2" in result._repr_html_()
    named = reporter.compare(
        [ROOT / "histories" / "0_baseline.pkl", H], out=tmp_path, name="mixed", series=True
    )
    assert named.folder.name == "mixed" and named.summary["reference"] == "series"
    with pytest.raises(ConfigError, match="compare needs at least two runs"):
        reporter.compare([H], out=tmp_path)
    with pytest.raises(ConfigError, match="a list of sources"):
        reporter.compare(H, out=tmp_path)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- bad input


def test_text_inside_a_series_is_refused_as_through_the_cli(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match=r"expected a list of numbers, found str at position 1"):
        reporter.report({"loss": [0.5, "oops", 0.3]}, out=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_metadata_nan_and_ragged_lists_become_warnings(tmp_path: Path) -> None:
    data = {
        "loss": [1.0, math.nan, 0.5, 0.4, 0.3, 0.2],
        "val_loss": [1.1, 0.9, math.inf, 0.7],
        "note": "tried a lower lr",
        "tags": ["a", "b"],
    }
    result = reporter.report(data, out=tmp_path)
    keys = {w["key"] for w in result.summary["warnings"]}
    assert {"warn.nonfinite", "warn.unequal_lengths", "warn.metadata_kept"} <= keys
    assert result.summary["info"]["note"] == "tried a lower lr"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({}, "no metrics found"),
        ({1: [0.5, 0.4]}, "metric names must be strings"),
        ({"loss": {1, 2}}, "unexpected set value"),
        ({"loss": [[0.5], [0.4]]}, "no metrics found|expected a list of numbers"),
        (42, "cannot report a int"),
        ({"loss": [True, False]}, "expected a list of numbers"),
    ],
)
def test_bad_in_memory_histories_are_typed_errors(bad: Any, message: str, tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match=message):
        reporter.report(bad, out=tmp_path)


def test_huge_lists_are_refused_before_they_are_copied(tmp_path: Path) -> None:
    huge = [0.5] * 9_000_000  # more values than 64 MiB of float64
    start = time.perf_counter()
    with pytest.raises(HistoryError, match=r"more than 8,388,608 values.*raise max_bytes"):
        reporter.report({"loss": huge}, out=tmp_path)
    with pytest.raises(HistoryError, match="more than 1,000 values"):
        reporter.report({"loss": np.zeros(2000)}, out=tmp_path, max_bytes=8000)
    with pytest.raises(HistoryError, match="more than 1,000 values"):
        reporter.report(Frame({"loss": [0.1] * 600, "val_loss": [0.1] * 600}), max_bytes=8000)
    assert time.perf_counter() - start < 5
    assert list(tmp_path.iterdir()) == []


def test_a_long_history_within_the_cap_is_reported(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    data = {"loss": np.exp(-np.arange(n) / 5000) + rng.normal(0, 0.01, n),
            "val_loss": np.exp(-np.arange(n) / 6000) + rng.normal(0, 0.02, n)}  # fmt: skip
    result = reporter.report(data, out=tmp_path)
    assert result.summary["epochs"] == n


def test_an_unwritable_out_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError) as info:
        reporter.report(H, out=blocker)
    assert info.value.exit_code == 73


def test_format_is_for_files_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="format applies to files only"):
        reporter.report(H, out=tmp_path, format="keras-json")


# ----------------------------------------------------------------------------- notebook view


def _png_of(html: str) -> bytes:
    found = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert found, html[:500]
    return base64.b64decode(found.group(1))


def test_the_notebook_view_shows_recommendation_figure_and_relative_links(
    made: reporter.Reports, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(made.folder.parent)
    page = made._repr_html_()
    ko, en = made.recommendation["text"]["ko"], made.recommendation["text"]["en"]
    import html

    assert html.escape(ko) in page and html.escape(en) in page
    assert page.index(html.escape(ko)) < page.index(html.escape(en))  # Korean first
    assert _png_of(page).startswith(b"\x89PNG")
    assert 'href="history/report.pdf"' in page and 'href="history/summary.json"' in page
    assert "<script" not in page.lower() and "http" not in page
    english = made[0].to_html("en")
    assert html.escape(ko) not in english and html.escape(en) in english


def test_links_outside_the_working_folder_are_file_urls(
    made: reporter.Reports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert f'href="{made.pdf.as_uri()}"' in made._repr_html_()  # type: ignore[union-attr]


def test_the_view_escapes_every_name_from_the_data(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    data = {f"val_{evil}": H["val_loss"], evil: H["loss"], "note": f'"><img src=x onerror={evil}>'}
    result = reporter.report(data, out=tmp_path, name=f"run{evil}", lang="en")
    page = result._repr_html_()
    assert "<script" not in page and "onerror=" not in page.replace("onerror=&lt;", "")
    assert "&lt;script&gt;" in page
    assert page.count("<img ") == 1  # the figure only


def test_the_view_without_a_figure_still_shows_the_recommendation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = reporter.report({"val_loss": H["val_loss"]}, out=tmp_path, lang="ko")
    monkeypatch.setattr(api, "headline_png", lambda analysis, lang: None)
    page = result._repr_html_()
    assert "<img" not in page and result.recommendation["text"]["ko"][:10] in page
