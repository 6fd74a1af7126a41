"""Figures, checked through their artists: every series drawn, markers placed, legends clear."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from reporter.analysis import analyze
from reporter.figures import class_colour
from reporter.history.model import History, epoch_series
from reporter.i18n import messages
from reporter.plots import build_figure, draw, render_svg, style


def seed_like(
    n: int = 30, classes: int = 5, names: tuple[str, ...] = ("recall", "prec", "F1")
) -> History:
    rng = np.random.default_rng(1)
    series = {
        "loss": np.linspace(2, 0.2, n),
        "val_loss": np.r_[np.linspace(2, 0.5, 18), np.linspace(0.55, 0.9, n - 18)],
    }
    for base in names:
        for k in range(classes):
            key = base + ("" if k == 0 else f"_{k}")
            series[key] = np.clip(np.linspace(0.3, 0.95, n) + rng.normal(0, 0.02, n), 0, 1)
            series["val_" + key] = np.clip(np.linspace(0.3, 0.85, n) + rng.normal(0, 0.02, n), 0, 1)
    series["val_macro_avg_F1_th"] = np.linspace(0.2, 0.8, n)
    return History(
        "seed-like",
        Path("seed-like.pkl"),
        {k: epoch_series(k, v) for k, v in series.items()},
        "test",
    )


@pytest.fixture(scope="module")
def figures() -> tuple[object, dict[str, object]]:
    a = analyze(seed_like())
    with matplotlib.rc_context(style()):
        figs = {f.key: build_figure(a, f, "both", messages()) for f in a.catalog.families}
    return a, figs


def lines_by_gid(fig: object) -> dict[str, object]:
    ax = fig.axes[0]  # type: ignore[attr-defined]
    return {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}


def test_every_series_appears_in_its_family_figure(
    figures: tuple[object, dict[str, object]],
) -> None:
    a, figs = figures
    drawn = set()
    for fig in figs.values():
        drawn |= {g.split(":", 1)[1] for g in lines_by_gid(fig) if g.startswith("series:")}
    assert drawn == set(a.history.series)  # type: ignore[attr-defined]


def test_best_markers_sit_on_the_best_points(figures: tuple[object, dict[str, object]]) -> None:
    a, figs = figures
    for fig in figs.values():
        for gid, line in lines_by_gid(fig).items():
            if gid.startswith("best:"):
                best = a.bests[gid[5:]]  # type: ignore[attr-defined]
                assert list(line.get_xdata()) == [best.epoch]
                assert list(line.get_ydata()) == [best.value]


def test_class_colours_are_the_same_in_every_figure(
    figures: tuple[object, dict[str, object]],
) -> None:
    _, figs = figures
    for base in ("recall", "prec", "F1"):
        lines = lines_by_gid(figs[base])
        for k in range(5):
            name = "val_" + base + ("" if k == 0 else f"_{k}")
            assert matplotlib.colors.to_hex(lines[f"series:{name}"].get_color()) == class_colour(k)


def test_stop_and_keep_lines_mark_the_recommendation(
    figures: tuple[object, dict[str, object]],
) -> None:
    a, figs = figures
    rec = a.recommendation  # type: ignore[attr-defined]
    lines = lines_by_gid(figs["loss"])
    assert rec.stop_index is not None
    assert list(lines["stop"].get_xdata()) == [rec.stop_index + 1] * 2
    assert list(lines["keep"].get_xdata()) == [rec.keep_index + 1] * 2


def test_legends_never_cover_the_axes(figures: tuple[object, dict[str, object]]) -> None:
    _, figs = figures
    for key, fig in figs.items():
        renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[arg-type]
        ax_box = fig.axes[0].get_window_extent(renderer)  # type: ignore[attr-defined]
        for legend in fig.legends:  # type: ignore[attr-defined]
            box = legend.get_window_extent(renderer)
            assert box.x0 >= ax_box.x1, key
            fig_box = fig.bbox  # type: ignore[attr-defined]
            assert box.x1 <= fig_box.x1 + 1 and box.y0 >= fig_box.y0 - 1, key


@pytest.mark.parametrize("name", ["val_$x$", r"$\frac{$", "$" + "{" * 200 + "$"])
def test_labels_are_never_mathtext(name: str) -> None:
    h = History(
        "m",
        Path("m.json"),
        {"loss": epoch_series("loss", [1.0, 0.5, 0.4]), name: epoch_series(name, [0.1, 0.2, 0.3])},
        "test",
    )
    a = analyze(h)
    plots = draw(a, "en", messages())
    assert plots and all(p.svg.startswith(b"<?xml") for p in plots)
    with matplotlib.rc_context(style()):
        fig = build_figure(a, a.catalog.families[-1], "en", messages())
        texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(t.startswith(name[:30]) for t in texts)
    assert all(not t.get_parse_math() for t in fig.legends[0].get_texts())
    render_svg(fig)


def test_style_ignores_matplotlibrc_settings() -> None:
    rc = style()
    assert rc["text.usetex"] is False and rc["text.parse_math"] is False
    assert rc["svg.fonttype"] == "none" and rc["font.family"][:2] == [
        "ReporterHangul",
        "NanumGothic",
    ]
