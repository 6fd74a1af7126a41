"""Long series: drawn thinned with their shape and every extreme kept; analysis on all points."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reporter.figures import MAX_POINTS, thin

from .conftest import render_one
from .shapes import long_trainer_state


def test_thin_keeps_extremes_best_point_and_gaps() -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    x = np.arange(n, dtype=float)
    y = np.cumsum(rng.normal(0, 1, n))
    y[5_000:5_010] = np.nan
    best = int(np.nanargmin(y))
    idx = thin(x, y, (best, 77_777))
    assert len(idx) <= MAX_POINTS + 10 and np.all(np.diff(idx) > 0)
    kept = y[idx]
    assert np.nanmax(kept) == np.nanmax(y) and np.nanmin(kept) == np.nanmin(y)
    assert best in idx and 77_777 in idx and 0 in idx and n - 1 in idx
    assert np.isnan(kept).any()  # the gap is still drawn as a gap
    # every bucket's own extremes survive, so the envelope of the curve is intact
    edges = np.linspace(0, n, MAX_POINTS // 2 + 1).astype(int)
    for a, b in zip(edges[:-1], edges[1:], strict=True):  # noqa: RUF007
        seg = y[a:b]
        if np.isfinite(seg).any():
            inside = kept[(idx >= a) & (idx < b)]
            assert np.nanmax(inside) == np.nanmax(seg) and np.nanmin(inside) == np.nanmin(seg)


def test_short_series_are_drawn_whole() -> None:
    assert list(thin(np.arange(30.0), np.arange(30.0))) == list(range(30))


def test_a_100k_step_log_renders_small(tmp_path: Path) -> None:
    path = tmp_path / "long" / "trainer_state.json"
    path.parent.mkdir()
    log = long_trainer_state(seed=1)["log_history"]
    path.write_text(json.dumps({"log_history": log}))
    # the source is attached to the PDF by default: its size is the log's, so leave it out here
    report = render_one(path, tmp_path / "out", "--no-attach-source")
    assert report.pdf.stat().st_size < 1_000_000
    assert "100,000" in report.text.replace("\n", "")  # the figure says it drew fewer points
    assert report.summary["metrics"]["loss"]["best_index"] == int(
        np.argmin([e["loss"] for e in log if "loss" in e])
    )


def _classes(n_classes: int) -> object:
    from reporter.history.model import History, epoch_series

    rng = np.random.default_rng(2)
    n = 20
    series = {
        "loss": epoch_series("loss", np.linspace(2, 0.3, n)),
        "val_loss": epoch_series("val_loss", np.linspace(2, 0.5, n)),
    }
    for k in range(n_classes):
        key = "val_recall" + ("" if k == 0 else f"_{k}")
        series[key] = epoch_series(key, np.clip(np.linspace(0.1, rng.uniform(0.3, 0.99), n), 0, 1))
    return History(f"c{n_classes}", Path("c.json"), series, "test")


@pytest.mark.parametrize(("n_classes", "heatmap"), [(5, False), (10, False), (100, True)])
def test_heatmap_above_the_line_threshold(n_classes: int, heatmap: bool) -> None:
    import matplotlib

    from reporter.analysis import analyze
    from reporter.figures import EXTREME_CLASSES
    from reporter.i18n import messages
    from reporter.plots import build_figure, style

    a = analyze(_classes(n_classes))  # type: ignore[arg-type]
    fam = a.catalog.family("recall")
    assert fam is not None
    with matplotlib.rc_context(style()):  # type: ignore[arg-type]
        fig = build_figure(a, fam, "en", messages())
    gids = [ax.get_gid() for ax in fig.axes]
    assert ("class-heatmap" in gids) is heatmap
    lines = [ln for ln in fig.axes[0].get_lines() if str(ln.get_gid()).startswith("series:")]
    assert len(lines) == (2 * EXTREME_CLASSES if heatmap else n_classes)


def test_class_table_stays_short_worst_first() -> None:
    from reporter.analysis import analyze
    from reporter.i18n import messages
    from reporter.render import MAX_CLASS_ROWS, build_context

    a = analyze(_classes(1000))  # type: ignore[arg-type]
    ctx = build_context(a, [f"asset:fig/{i}" for i in range(len(a.catalog.families))], messages())
    section = next(s for s in ctx.sections if s.key == "recall")
    finals = [r.final for r in section.class_rows]
    assert len(finals) == MAX_CLASS_ROWS and finals == sorted(finals)
    assert section.more_classes is not None and "960" in section.more_classes.en
    assert not any(r.metric.startswith("recall_") for r in ctx.best_rows)  # not 1000 more rows


def test_labels_name_the_classes_and_long_names_stay_distinct() -> None:
    from reporter.analysis import analyze
    from reporter.config import Options
    from reporter.naming import shorten

    a = analyze(_classes(12), Options(class_labels=tuple(f"label{k}" for k in range(12))))  # type: ignore[arg-type]
    fam = a.catalog.family("recall")
    assert fam is not None and fam.metrics[3].label == "3 label3"
    one, two = "x" * 300 + "_alpha", "x" * 300 + "_beta"
    assert shorten(one, 40) != shorten(two, 40) and len(shorten(one, 40)) == 40
    assert shorten("short", 40) == "short"


def test_hundreds_of_metrics_are_capped_with_a_pointer() -> None:
    from reporter.analysis import analyze
    from reporter.figures import MAX_FIGURES, shown_families
    from reporter.history.model import History, epoch_series
    from reporter.i18n import messages
    from reporter.render import MAX_BEST_ROWS, build_context

    series = {
        f"metric_{k:03d}_acc": epoch_series(f"metric_{k:03d}_acc", np.linspace(0, 1, 10))
        for k in range(300)
    }
    a = analyze(History("wide", Path("w.json"), series, "test"))
    shown, hidden = shown_families(a.catalog)
    assert len(shown) == MAX_FIGURES and hidden == 300 - MAX_FIGURES
    ctx = build_context(a, [f"asset:fig/{i}" for i in range(len(shown))], messages())
    assert len(ctx.best_rows) == MAX_BEST_ROWS and ctx.more_metrics is not None
    assert "260" in ctx.more_metrics.en and ctx.contents
