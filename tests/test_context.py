"""The report context and the summary builder on their own: facts in, rows and numbers out,
without rendering a PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reporter.analysis import analyze
from reporter.analysis.series import best_index, better, final, x_at
from reporter.config import Options
from reporter.history.model import History, Series, epoch_series, note
from reporter.i18n import messages
from reporter.render import build_context
from reporter.summary import build_summary

LOSS = [1.0, 0.7, 0.5, 0.42, 0.38, 0.35, 0.33, 0.31, 0.30, 0.29, 0.28, 0.27]
VAL = [1.1, 0.8, 0.62, 0.55, 0.53, 0.52, 0.53, 0.56, 0.6, 0.65, 0.7, 0.76]


def run(**series: list[float]) -> History:
    return History(
        "ctx", Path("ctx.json"), {k: epoch_series(k, v) for k, v in series.items()}, "test"
    )


@pytest.fixture(scope="module")
def analysis() -> object:
    return analyze(run(loss=LOSS, val_loss=VAL, val_acc=[0.5 + i / 40 for i in range(12)]))


def test_summary_numbers_are_the_analysis_numbers(analysis: object) -> None:
    s = build_summary(analysis, Options(), messages())  # type: ignore[arg-type]
    assert s["monitor"] == "val_loss" and s["monitor_choice"]["code"] == "val_loss"
    m = s["metrics"]["val_loss"]
    assert (m["best_epoch"], m["best_index"], m["best_value"], m["mode"]) == (6, 5, 0.52, "min")
    assert s["metrics"]["val_acc"]["best_epoch"] == 12
    rec = s["recommendation"]
    assert rec["kind"] == "stop" and rec["keep_epoch"] == 6 and rec["keep_index"] == 5
    assert rec["stop_epoch"] == rec["stop_index"] + 1  # epochs from 1, indices from 0
    assert s["numbering"] == {
        "convention": "keras",
        "first": 1,
        "text": s["numbering"]["text"],
    } and "Keras" in s["numbering"]["text"]["en"]
    assert [f["key"] for f in s["families"]][:1] == ["loss"]
    assert s["early_stopping"]["patience"] == 3 and s["warnings"] == []


def test_summary_takes_the_reports_warnings(analysis: object) -> None:
    extra = [note("warn.plot_failed", figure="loss", reason="overflow")]
    s = build_summary(analysis, Options(), messages(), extra)  # type: ignore[arg-type]
    assert [w["key"] for w in s["warnings"]] == ["warn.plot_failed"]
    assert "loss" in s["warnings"][0]["text"]["en"]


def test_context_rows_and_sentences(analysis: object) -> None:
    ctx = build_context(analysis, ["asset:fig/0.svg", "asset:fig/1.svg"], messages())  # type: ignore[arg-type]
    assert ctx.monitor == "val_loss" and ctx.recommendation_kind == "stop"
    assert "6" in ctx.recommendation.en and "0.52" in ctx.recommendation.en
    assert ctx.monitor_why is not None and "val_loss" in ctx.monitor_why.en
    assert ctx.held_out is None  # val_* names: nothing to explain
    rows = {r.metric: r for r in ctx.best_rows}
    assert rows["loss"].val_value == 0.52 and rows["loss"].val_epoch == 6
    assert rows["loss"].train_value == 0.27 and rows["loss"].final == 0.76
    assert [p.name for p in ctx.policies][:1] == ["Keras EarlyStopping"]
    assert ctx.sections and all(s.image.startswith("asset:fig/") for s in ctx.sections)


def test_series_helpers() -> None:
    v = np.array([np.nan, 3.0, 1.0, 1.0, np.inf, 2.0, np.nan])
    assert best_index(v, "min") == 2 and best_index(v, "max") == 1
    assert best_index(v, "min", upto=1) == 1 and best_index(np.array([np.nan]), "min") is None
    assert final(v) == 2.0 and final(np.array([np.nan])) is None
    assert better(1.0, 2.0, "min") and better(2.0, 1.0, "max") and not better(1.0, 1.0, "min")
    xs = np.array([1.0, 2.5, 3.0])
    assert x_at(xs, 0) == 1 and isinstance(x_at(xs, 0), int) and x_at(xs, 1) == 2.5
    assert x_at(xs, None) is None
    s = Series("s", np.array([1.0]), np.array([1.0]))
    assert len(s) == 1


def test_cells_break_inside_words_only_when_a_word_is_long(analysis: object) -> None:
    """Short words everywhere: the page says so (body.short-words lets table cells wrap
    between words only); one word over LONG_WORD characters anywhere, and it does not."""
    from reporter.render import LONG_WORD, render_html

    def urls(a: object) -> list[str]:
        return [f"asset:fig/{i}.svg" for i in range(len(a.catalog.families))]  # type: ignore[attr-defined]

    ctx = build_context(analysis, urls(analysis), messages())  # type: ignore[arg-type]
    assert ctx.short_words
    assert '<body class="short-words">' in render_html(ctx, "both")
    long_name = "val_" + "x" * LONG_WORD
    a = analyze(run(loss=LOSS, val_loss=VAL, **{long_name: VAL}))
    ctx = build_context(a, urls(a), messages())
    assert not ctx.short_words
    assert "<body>" in render_html(ctx, "both")
