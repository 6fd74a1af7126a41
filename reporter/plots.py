"""Turn a History and its Analysis into one SVG figure per metric family.

matplotlib's object API only (no pyplot state), every figure closed by
dropping it, labels never parsed as mathtext, and a pinned style that ignores
any ``matplotlibrc`` found in the working or input folder. Legends sit outside
the axes so they never hide data. A class keeps its colour in every figure.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from reporter.analysis import Analysis, positions, xnum
from reporter.analysis.criteria import TENSORBOARD_WEIGHT, tensorboard_smooth
from reporter.assets import LITE_FAMILY, font_files, lite_font
from reporter.figures import (
    SPLITS,
    FigurePlan,
    Plot,
    class_colour,
    crowded,
    plan,
    plan_figure,
    run_colour,
)
from reporter.i18n import Text
from reporter.metrics import Family, Metric
from reporter.mplsafe import (
    Figure,
    FigureCanvasAgg,
    Line2D,
    MaxNLocator,
    font_manager,
    matplotlib,
)
from reporter.naming import shorten

STOP_COLOUR = "#c0392b"
KEEP_COLOUR = "#1e8449"
WINDOW_COLOUR = "#e74c3c"


@lru_cache(maxsize=1)
def style() -> dict[str, Any]:
    """The full rcParams we draw with: matplotlib's defaults plus ours, nothing from files."""
    for path in (*font_files().values(), lite_font()):
        font_manager.fontManager.addfont(str(path))
    rc: dict[str, Any] = {
        k: v
        for k, v in matplotlib.rcParamsDefault.items()
        if k
        not in (
            "backend",
            "backend_fallback",
            "interactive",
            "webagg.port",
            "webagg.address",
            "webagg.port_retries",
            "webagg.open_in_browser",
            "toolbar",
            "timezone",
            "tk.window_focus",
            "docstring.hardcopy",
        )
    }
    rc.update(
        {
            # the PDF embeds a small subset (see assets.lite_font); NanumGothic covers the rest
            "font.family": [LITE_FAMILY, "NanumGothic", "DejaVu Sans"],
            "font.size": 8.0,
            "axes.titlesize": 9.0,
            "axes.labelsize": 8.0,
            "legend.fontsize": 7.0,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "lines.linewidth": 1.4,
            "text.usetex": False,
            "text.parse_math": False,
            "svg.fonttype": "none",
            "axes.unicode_minus": False,
            "svg.hashsalt": "reporter",
            "figure.dpi": 100.0,
            "savefig.dpi": 100.0,
            "path.simplify": True,
        }
    )
    return rc


Label = Callable[..., Text]


def _label(text: Text, lang: str) -> str:
    return text.joined(lang, " / ")


SPLIT_STYLE = {"val": ("-", 1.6, 1.0), "train": ("--", 1.1, 0.7), "test": (":", 1.2, 0.9)}


def _draw_metric(
    ax: Any,
    analysis: Analysis,
    metric: Metric,
    colour: str,
    label: str,
    points: Mapping[str, Any],
) -> list[str]:
    """Draw every split of ``metric`` in one colour, each series at the points its figure's
    plan chose (``points``); return the splits drawn.

    Only the first split drawn carries ``label`` in the legend; the line style
    (solid validation, dashed train, dotted test) is explained by its own entries.
    """
    history = analysis.history
    drawn: list[str] = []
    for split in SPLITS:
        name = metric.series.get(split)  # type: ignore[call-overload,unused-ignore]
        if name is None:
            continue
        s = history[name]
        ls, lw, alpha = SPLIT_STYLE[split]
        idx = points[name]
        ax.plot(
            s.x[idx],
            s.values[idx],
            ls=ls,
            lw=lw,
            alpha=alpha,
            color=colour,
            label=label if not drawn else "_nolegend_",
            gid=_gid("series", name),
        )
        if idx.shape[0] < len(s) and name not in analysis.smoothed:
            # a long, noisy log drawn as a band: its trend on top, smoothed over ~1 % of the run
            weight = min(0.999, max(TENSORBOARD_WEIGHT, 1.0 - 100.0 / len(s)))
            trend = tensorboard_smooth(s.values, weight)
            ax.plot(
                s.x[idx],
                trend[idx],
                ls=ls,
                lw=1.4,
                color=colour,
                alpha=1.0,
                zorder=4,
                label="_nolegend_",
                gid=_gid("trend", name),
            )
            ax.lines[-2].set_alpha(0.35)  # the raw band behind it
        smooth = analysis.smoothed.get(name)
        if smooth is not None:
            # TensorBoard style: the smoothed curve behind, the raw curve on top of it
            ax.plot(
                s.x[idx],
                np.asarray(smooth)[idx],
                ls="-",
                lw=3.2,
                alpha=0.28,
                color=colour,
                zorder=1.5,
                label="_nolegend_",
                gid=_gid("smoothed", name),
            )
        best = analysis.bests.get(name)
        if best is not None and split == "val":
            ax.plot(
                [best.epoch],
                [best.value],
                marker="o",
                ms=5,
                color=colour,
                mec="white",
                mew=0.8,
                ls="none",
                zorder=5,
                gid=_gid("best", name),
                label="_nolegend_",
            )
        drawn.append(split)
    return drawn


def _style_handles(splits: set[str], lang: str, t: Label) -> list[tuple[Any, str]]:
    if len(splits) < 2:
        return []
    return [
        (
            Line2D([], [], color="#444", ls=SPLIT_STYLE[s][0], lw=SPLIT_STYLE[s][1]),
            _label(t("plot." + s), lang),
        )
        for s in ("val", "train", "test")
        if s in splits
    ]


def _decorate(ax: Any, analysis: Analysis, lang: str, t: Label) -> None:
    rec = analysis.recommendation
    xs = positions(analysis.history, rec.monitor)
    half = float(np.median(np.diff(xs))) / 2 if xs.shape[0] > 1 else 0.5
    for w in analysis.windows:
        ax.axvspan(
            xs[w.start_index] - half,
            xs[w.end_index] + half,
            color=WINDOW_COLOUR,
            alpha=0.10,
            lw=0,
            label=_label(t("plot.window"), lang),
            gid="window",
        )
    for i, d in enumerate(analysis.lr_drops):
        ax.axvline(
            d.x,
            color="#7f8c8d",
            ls="-.",
            lw=0.9,
            alpha=0.8,
            label=_label(t("plot.lr_drop"), lang) if i == 0 else "_nolegend_",
            gid=f"lr_drop:{d.x:g}",
        )
    if rec.keep_index is not None:
        x = xnum(xs[rec.keep_index])
        ax.axvline(
            x,
            color=KEEP_COLOUR,
            ls=":",
            lw=1.3,
            label=f"{_label(t('plot.keep'), lang)}: {x}",
            gid="keep",
        )
    if rec.stop_index is not None:
        x = xnum(xs[rec.stop_index])
        ax.axvline(
            x,
            color=STOP_COLOUR,
            ls="--",
            lw=1.2,
            label=f"{_label(t('plot.stop'), lang)}: {x}",
            gid="stop",
        )
    _xlabel(ax, analysis, lang, t)


def _xlabel(ax: Any, analysis: Analysis, lang: str, t: Label) -> None:
    h = analysis.history
    ax.set_xlabel(_label(t(f"plot.{h.axis}"), lang))
    if h.axis == "step" and h.epoch_at_step is not None and len(h.epoch_at_step[0]) > 1:
        steps, epochs = h.epoch_at_step
        order = np.argsort(steps, kind="stable")
        steps, epochs = steps[order], np.maximum.accumulate(epochs[order])
        if epochs[-1] > epochs[0]:
            top = ax.secondary_xaxis(
                "top",
                functions=(
                    lambda s: np.interp(s, steps, epochs),
                    lambda e: np.interp(e, epochs, steps),
                ),
            )
            top.set_xlabel(_label(t("plot.epoch"), lang), fontsize=7)
            top.tick_params(labelsize=7)
            ax.set_gid("has-epoch-axis")


def build_figure(
    analysis: Analysis,
    family: Family,
    lang: str,
    t: Label,
    thinned: list[tuple[str, int, int]] | None = None,
    plan: FigurePlan | None = None,
) -> Figure:
    """The matplotlib figure for one family (not yet saved), drawn as ``plan`` (by default
    :func:`reporter.figures.plan_figure`) says: its size, its lines, the points of long
    series (see :func:`thin`), which are listed in ``thinned``."""
    plan = plan or plan_figure(analysis, family)
    if thinned is not None:
        thinned.extend(plan.thinned)
    # A fixed layout: constrained layout would draw every figure twice (half the cost).
    fig = Figure(figsize=plan.size)
    ax = fig.add_axes((0.085, 0.15, 0.6, 0.8))  # resized to fit the legend by _make_room
    splits: set[str] = set()
    many = crowded(family)
    points = plan.points
    if family.kind == "per_class":
        for pos, m in enumerate(plan.members):
            idx = m.class_index or 0
            label = m.label or _label(t("plot.class", index=idx), lang)
            # ≤ 10 classes: a class keeps its colour in every figure; beyond, the few lines
            # drawn get distinct colours (the heatmap shows every class)
            colour = class_colour(pos if many else idx)
            splits.update(_draw_metric(ax, analysis, m, colour, label, points))
        ax.set_ylabel(_fit(family.key))
    else:
        for i, m in enumerate(plan.members):
            label = m.base if len(family.metrics) > 1 else next(iter(m.series.values()))
            if len(family.metrics) == 1 and len(m.series) > 1:
                label = m.base
            splits.update(_draw_metric(ax, analysis, m, class_colour(i), label, points))
        ax.set_ylabel(_fit(family.metrics[0].base if len(family.metrics) == 1 else family.key))
    if any(str(line.get_gid()).startswith("smoothed:") for line in ax.get_lines()):
        ax.add_line(
            Line2D(
                [],
                [],
                lw=3.2,
                alpha=0.28,
                color="#444",
                label=_label(t("plot.smoothed", weight=TENSORBOARD_WEIGHT), lang),
            )
        )
    if family.kind in ("loss", "per_class", "macro", "single"):
        _decorate(ax, analysis, lang, t)
    else:
        _xlabel(ax, analysis, lang, t)
    _maybe_log_scale(ax, analysis, family)
    # few tick labels: each is a text run the PDF engine lays out again in every report
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=analysis.history.axis == "epoch"))
    if ax.get_yscale() == "linear":
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    xs = [analysis.history[n].x for n in family.series_names]
    xs = [x for x in xs if x.size]
    if xs:
        lo = min(float(x.min()) for x in xs)
        hi = max(float(x.max()) for x in xs)
        pad = 0.5 if analysis.history.axis == "epoch" else max((hi - lo) * 0.02, 0.5)
        ax.set_xlim(lo - pad, hi + pad)
    handles, labels = ax.get_legend_handles_labels()
    pairs = list(dict(zip(labels, handles, strict=True)).items())
    extra = _style_handles(splits, lang, t)
    legend = fig.legend(
        [h for _, h in pairs] + [h for h, _ in extra],
        [_fit(lab) for lab, _ in pairs] + [lab for _, lab in extra],
        loc="upper right",
        bbox_to_anchor=(0.995, 0.97),
        frameon=False,
        borderaxespad=0.0,
    )
    _make_room(fig, ax, legend)
    if many:
        _class_heatmap(fig, ax, analysis, family, lang, t)
    return fig


def _class_heatmap(
    fig: Figure, ax: Any, analysis: Analysis, family: Family, lang: str, t: Label
) -> None:
    """Every class as a row of colour over the epochs, above the best/worst-class lines."""
    members = sorted(family.metrics, key=lambda m: m.class_index or 0)
    rows = []
    for m in members:
        name = m.val or m.train
        rows.append(analysis.history[name].values if name else np.array([]))
    width = max((r.shape[0] for r in rows), default=0)
    if width == 0:
        return
    grid = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        grid[i, : r.shape[0]] = r
    left, _, w, _ = ax.get_position().bounds
    ax.set_position((left, 0.09, w, 0.36))
    heat = fig.add_axes((left, 0.55, w, 0.36))
    ref = analysis.history[members[0].val or members[0].train or ""].x
    x0, x1 = (float(ref[0]), float(ref[-1])) if ref.size else (0.0, float(width))
    image = heat.imshow(
        grid,
        aspect="auto",
        interpolation="nearest",
        cmap="viridis",
        extent=(x0 - 0.5, x1 + 0.5, len(rows) - 0.5, -0.5),
    )
    heat.set_ylabel(_label(t("plot.class_axis"), lang))
    heat.set_xlim(ax.get_xlim())
    heat.tick_params(labelbottom=False)
    heat.grid(False)
    heat.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    bar = fig.colorbar(image, ax=heat, fraction=0.04, pad=0.01)
    bar.ax.tick_params(labelsize=6.5)
    heat.set_gid("class-heatmap")


def _maybe_log_scale(ax: Any, analysis: Analysis, family: Family) -> None:
    """Losses spanning more than ~1.5 orders of magnitude read better on a log axis."""
    if family.kind != "loss":
        return
    values = [analysis.history[n].values for n in family.series_names]
    finite = [v[np.isfinite(v)] for v in values]
    allv = np.concatenate(finite) if finite else np.array([])
    if allv.size and allv.min() > 0 and allv.max() / allv.min() > 30:
        ax.set_yscale("log")


LEGEND_CHARS = 44


def _fit(label: str) -> str:
    return shorten(label, LEGEND_CHARS)


def _gid(kind: str, name: str) -> str:
    """An SVG id for a drawn element; long metric names are cut (with a hash, still unique)."""
    return f"{kind}:{shorten(name, 120)}"


def _make_room(fig: Figure, ax: Any, legend: Any) -> None:
    """Shrink the axes so the legend (anchored at the right edge) sits beside, never over, them."""
    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
    width = legend.get_window_extent(renderer).width / fig.bbox.width
    left = 0.085
    right = max(left + 0.4, 0.995 - width - 0.025)
    top = 0.78 if ax.get_gid() == "has-epoch-axis" else 0.95
    ax.set_position((left, 0.15, right - left, top - 0.15))


def render_svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return lean_svg(buf.getvalue())


SVG_NS = "http://www.w3.org/2000/svg"
# matplotlib's one stylesheet rule, ``*{stroke-linejoin: round; stroke-linecap: butt}``, as
# inherited attributes of the root (no element in its SVG sets them on a group)
ROOT_STROKE = {"stroke-linejoin": "round", "stroke-linecap": "butt"}
XLINK_NS = "http://www.w3.org/1999/xlink"


def lean_svg(svg: bytes) -> bytes:
    """matplotlib's SVG with the same drawing in fewer elements, for the PDF engine.

    matplotlib wraps every artist in a ``<g id=…>`` that carries nothing else, and adds an RDF
    ``<metadata>`` block; WeasyPrint parses, cascades and draws each of those elements for every
    report (about 60 % of a figure's elements). A group with no attribute but its id is
    replaced by its children (the id moves to a lone child, so the ``gid`` of a series still
    names its path); nothing that is drawn changes."""
    from xml.etree import ElementTree as ET  # stdlib; the input is matplotlib's own SVG

    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)
    g, metadata = f"{{{SVG_NS}}}g", f"{{{SVG_NS}}}metadata"

    def flatten(el: ET.Element) -> None:
        children: list[ET.Element] = []
        for child in el:
            if child.tag == metadata:
                continue
            flatten(child)
            if child.tag == g and set(child.attrib) <= {"id"}:
                kids = list(child)
                if len(kids) == 1 and "id" not in kids[0].attrib and "id" in child.attrib:
                    kids[0].set("id", child.attrib["id"])
                children.extend(kids)
            else:
                children.append(child)
        el[:] = children

    flatten(root)
    _styles_to_attributes(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _styles_to_attributes(root: Any) -> None:
    """``style="fill: none; stroke: #1f77b4"`` → ``fill="none" stroke="#1f77b4"``: the PDF engine
    reads attributes as they are, but parses every style attribute as CSS (about 370 per
    report). The stylesheet in ``<defs>`` goes too, its two declarations set on the root; an
    identity ``rotate(-0 x y)`` on a text is dropped."""
    style = f"{{{SVG_NS}}}style"
    for defs in root.iter(f"{{{SVG_NS}}}defs"):
        for child in list(defs):
            if child.tag == style:
                defs.remove(child)
    for key, value in ROOT_STROKE.items():
        root.set(key, value)
    for el in root.iter():
        css = el.attrib.pop("style", None)
        if css:
            for declaration in css.split(";"):
                key, sep, value = declaration.partition(":")
                if sep:
                    el.set(key.strip(), value.strip())
        transform = el.get("transform")
        if transform is not None and transform.startswith("rotate(-0 "):
            del el.attrib["transform"]


def draw(
    analysis: Analysis, lang: str, t: Label, plans: Sequence[FigurePlan] | None = None
) -> list[Plot]:
    """Every figure of ``plans`` (by default :func:`reporter.figures.plan`) drawn as SVG, in
    catalog order."""
    return list(draw_each(analysis, lang, t, plans))


def draw_each(
    analysis: Analysis, lang: str, t: Label, plans: Sequence[FigurePlan] | None = None
) -> Iterator[Plot]:
    """:func:`draw`, one figure at a time (each can be sent on while the next is drawn)."""
    with matplotlib.rc_context(style()):  # type: ignore[arg-type]
        for p in plan(analysis) if plans is None else plans:
            family = p.family
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    fig = build_figure(analysis, family, lang, t, None, p)
                    svg = render_svg(fig)
            except PLOT_ERRORS as exc:
                # e.g. values near ±1e308: matplotlib's transforms overflow ("arange: cannot
                # compute length", a singular matrix). One figure is lost, not the report.
                reason = f"{type(exc).__name__}: {exc}"
                yield Plot(family, _placeholder(t, lang), (), reason)
                continue
            fig.clear()
            yield Plot(family, svg, p.thinned)


PLOT_ERRORS = (ValueError, OverflowError, FloatingPointError, np.linalg.LinAlgError, RecursionError)


def _placeholder(t: Label, lang: str) -> bytes:
    """A small figure that says the plot could not be drawn."""
    fig = Figure(figsize=(7.4, 0.8))
    fig.text(0.5, 0.5, _label(t("plot.failed"), lang), ha="center", va="center", color="#b00")
    return render_svg(fig)


def comparison_families(comparison: Any) -> list[tuple[Family, list[str]]]:
    """The first run's families, each with the series every run logs (validation first)."""
    shared = {r.name for r in comparison.rows}
    out = []
    for family in comparison.analyses[0].catalog.families:
        if family.kind not in ("loss", "per_class", "macro", "single"):
            continue
        names = [
            next(
                (n for s, n in m.series.items() if s == "val" and n in shared),
                next((n for n in m.series.values() if n in shared), ""),
            )
            for m in family.metrics
        ]
        names = [n for n in names if n]
        if names:
            out.append((family, names))
    return out


def build_comparison_figure(
    comparison: Any, family: Family, names: list[str], lang: str, t: Label
) -> Figure:
    """Runs overlaid, one colour per run; per-class families get one panel per class."""
    panels = names if family.kind == "per_class" else [None]
    cols = min(len(panels), 5)
    rows = (len(panels) + cols - 1) // cols
    fig = Figure(figsize=(7.4, 2.4 * rows + 0.5))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, panel in enumerate(panels):
        ax = axes[k // cols][k % cols]
        for i, analysis in enumerate(comparison.analyses):
            for j, name in enumerate([panel] if panel else names):
                s = analysis.history[name]
                x = s.x
                if comparison.axes_differ and x.size > 1 and x[-1] > x[0]:
                    # epochs and steps cannot share an axis: each run on its own 0-100 % scale
                    x = 100.0 * (x - x[0]) / (x[-1] - x[0])
                ax.plot(
                    x,
                    s.values,
                    color=run_colour(i),
                    lw=1.3,
                    ls=("-", "--", ":", "-.")[j % 4],
                    label=f"{comparison.names[i]}"
                    + (f" · {name}" if len(names) > 1 and not panel else ""),
                    gid=_gid(f"run:{i}", name),
                )
        if panel:
            metric = comparison.analyses[0].catalog.metric(panel)
            ax.set_title(
                metric.label or _label(t("plot.class", index=metric.class_index or 0), lang),
                fontsize=7.5,
            )
        xkey = (
            "cmp.progress"
            if comparison.axes_differ
            else f"plot.{comparison.analyses[0].history.axis}"
        )
        ax.set_xlabel(_label(t(xkey), lang), fontsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.tick_params(labelsize=6.5)
    for k in range(len(panels), rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles,
        [_fit(lab) for lab in labels],
        loc="lower center",
        ncol=min(4, len(labels)),
        frameon=False,
        fontsize=7,
    )
    legend_rows = (len(labels) + 3) // 4
    fig.subplots_adjust(
        left=0.08,
        right=0.98,
        top=0.92 if family.kind == "per_class" else 0.95,
        bottom=0.16 + 0.06 * legend_rows,
        wspace=0.35,
        hspace=0.6,
    )
    return fig


def draw_comparison(comparison: Any, lang: str, t: Label) -> list[tuple[Family, bytes]]:
    out = []
    with matplotlib.rc_context(style()):  # type: ignore[arg-type]
        for family, names in comparison_families(comparison):
            fig = build_comparison_figure(comparison, family, names, lang, t)
            out.append((family, render_svg(fig)))
            fig.clear()
    return out
