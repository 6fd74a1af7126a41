"""Turn an Analysis and its figures into report HTML through the Jinja2 templates.

Templates get facts, not work: :func:`build_context` pre-computes every row
and sentence; the template only loops and lays out. Autoescaping is always on
(metric names are untrusted) and undefined names fail loudly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import numpy as np

from reporter.analysis import Analysis, Recommendation, is_eval_sets, positions, xnum
from reporter.assets import templates_dir, version
from reporter.errors import visible
from reporter.history.model import Note
from reporter.i18n import Counted, Messages, Text, messages
from reporter.metrics import Family, Metric
from reporter.naming import shorten

MAX_TEXT = 300
MAX_CLASS_ROWS = 40
MAX_BEST_ROWS = 80
MAX_FIGURES = 40
MAX_FINDINGS = 30
MAX_WARNINGS = 30
CONTENTS_FROM = 8


def shown_families(catalog: Any) -> tuple[list[Family], int]:
    """The families that get a figure (the first MAX_FIGURES, loss and classes first) and how
    many more there are; the rest are in summary.json."""
    families = list(catalog.families)
    return families[:MAX_FIGURES], max(0, len(families) - MAX_FIGURES)


@dataclass(frozen=True)
class BestRow:
    metric: str
    series: str
    direction: Text
    train_value: float | None
    train_epoch: float | None
    val_value: float | None
    val_epoch: float | None
    final: float | None


@dataclass(frozen=True)
class ClassRow:
    index: int | str
    metric: str
    val_value: float | None
    val_epoch: float | None
    final: float | None


@dataclass(frozen=True)
class Section:
    key: str
    title: Text
    image: str
    findings: list[Text] = field(default_factory=list)
    class_rows: list[ClassRow] = field(default_factory=list)
    sets: bool = False
    thinned: Text | None = None
    more_classes: Text | None = None


@dataclass(frozen=True)
class PolicyRow:
    name: str
    stop_epoch: str
    keep_epoch: str
    value: float | None
    reason: Text


@dataclass(frozen=True)
class WindowRow:
    span: str
    worse: str
    severity: float
    metrics: str


@dataclass(frozen=True)
class CriterionRow:
    name: str
    epoch: str
    value: float | None


@dataclass(frozen=True)
class ReportContext:
    """Everything the report template shows, computed in Python."""

    name: str
    source: str
    format: str
    axis: str
    length: Text
    axis_note: Text
    version: str
    monitor: str | None
    monitor_why: Text | None
    held_out: Text | None
    info: list[tuple[str, str]]
    recommendation: Text
    recommendation_kind: str
    confidence: Text
    doubts: list[Text]
    findings: list[Text]
    warnings: list[Text]
    best_rows: list[BestRow]
    more_metrics: Text | None
    contents: list[Text]
    stopping: list[tuple[Text | str, str]]
    policies: list[PolicyRow]
    criteria: list[CriterionRow]
    criteria_summary: Text | None
    criteria_note: Text
    windows: list[WindowRow]
    sections: list[Section]


def short(text: str, limit: int = MAX_TEXT) -> str:
    return shorten(text, limit)


def _final(values: np.ndarray[Any, Any]) -> float | None:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else None


def _best_row(analysis: Analysis, metric: Metric, t: Messages) -> BestRow:
    def best(name: str | None) -> tuple[float | None, float | None]:
        b = analysis.bests.get(name) if name else None
        return (b.value, b.epoch) if b else (None, None)

    tv, te = best(metric.train)
    vv, ve = best(metric.val)
    final_name = metric.val or metric.train or next(iter(metric.series.values()))
    names = " · ".join(short(n, 60) for n in metric.series.values())
    return BestRow(
        short(metric.base, 80),
        "" if names == metric.base else names,
        t(f"dir.{metric.direction or 'unknown'}"),
        tv,
        te,
        vv,
        ve,
        _final(analysis.history[final_name].values),
    )


def family_title(family: Family, t: Messages) -> Text:
    if family.kind in ("loss", "macro"):
        return t(f"family.{family.kind}")
    if family.kind == "per_class" and is_eval_sets(family):
        return t("family.per_set", name=short(family.key.split(" · ")[0], 80))
    return t(f"family.{family.kind}", name=short(family.key, 80))


def units(axis: str, t: Messages) -> tuple[Text, Counted]:
    """The run's unit word ("에포크 20", "step 1604") and how a count of its points is written
    ("3 에포크", "평가 3회", "3 evaluations"): on a step axis the points are evaluations."""
    if axis == "step":
        word, many, one = t("unit.step"), t("unit.evals"), t("unit.evals_one")
    else:
        word, many, one = t("unit.epoch"), t("unit.epochs"), t("unit.epochs_one")
    return word, Counted(many.ko, many.en, one.en)


def recommendation_text(rec: Recommendation, t: Messages, axis: str = "epoch") -> Text:
    """The recommendation's sentence, followed, when the advised checkpoint is worse than the
    run's best, by what that costs and why it is still the advice."""
    text = sentence(rec.key, rec.params, t, axis)
    if "best_epoch" not in rec.params:
        return text
    cost = sentence("cost.later_best", rec.params, t, axis)
    return Text(f"{text.ko} {cost.ko}", f"{text.en} {cost.en}")


def sentence(key: str, params: Any, t: Messages, axis: str = "epoch") -> Text:
    """A catalog sentence with its facts; ``{unit}`` and ``{n:units}`` follow the run's x axis."""
    facts = {k: short(v, 120) if isinstance(v, str) else v for k, v in params.items()}
    unit, counted = units(axis, t)
    return t(key, unit=unit, units=counted, **facts)


def _visible(value: Any) -> Any:
    """Every string printed by a template: control characters (from metric names) spelled out,
    so that a NUL or a terminal escape never reaches the PDF's text."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value, keep="\n\t", printed=True)
    return value


def _warnings(notes: Sequence[Note], t: Messages) -> list[Text]:
    """The report's warnings: the first MAX_WARNINGS, then how many more summary.json holds."""
    shown = [
        t(w.key, **{k: short(v, 120) if isinstance(v, str) else v for k, v in w.params.items()})
        for w in notes[:MAX_WARNINGS]
    ]
    if len(notes) > MAX_WARNINGS:
        shown.append(t("report.more_warnings", n=len(notes) - MAX_WARNINGS))
    return shown


def finding_text(f: Any, t: Messages, axis: str = "epoch") -> Text:
    params = f.params
    if f.key == "finding.per_set_summary":  # "accuracy · eval sets": the sentence says the rest
        params = dict(params, family=str(params["family"]).split(" · ")[0])
    return sentence(f.key, params, t, axis)


def numbering_text(h: Any, t: Messages) -> Text:
    """How the run's x values count, as the framework that wrote the log prints them."""
    if not h.numbering:
        return t("report.lang_note" if h.axis == "epoch" else "report.step_note")
    key, _, counter = h.numbering.partition(":")
    return t(f"numbering.{key}", counter=short(counter, 40))


def monitor_text(analysis: Analysis, t: Messages) -> Text | None:
    """Why the monitored series is the one it is (``None`` for an old analysis without it)."""
    choice = analysis.monitor_choice
    if choice is None:
        return None
    return t(choice.why, **{k: short(str(v), 200) for k, v in choice.facts.items()})


def held_out_text(analysis: Analysis, t: Messages) -> Text | None:
    """Which series are the held-out side, when that was not read from ``val_*`` names."""
    how = analysis.catalog.held_out
    if how not in ("test", "reader"):
        return None
    names = [m.val for m in dict.fromkeys(analysis.catalog.metrics.values()) if m.val]
    shown = ", ".join(short(n, 60) for n in names[:6]) + (
        f", … (+{len(names) - 6})" if len(names) > 6 else ""
    )
    return t(f"heldout.{how}", names=shown)


def build_context(
    analysis: Analysis,
    image_urls: Sequence[str],
    t: Messages,
    thinned: Sequence[Sequence[tuple[str, int, int]]] | None = None,
) -> ReportContext:
    """Pre-compute every row and sentence of the report."""
    h = analysis.history
    rec = analysis.recommendation
    from reporter.plots import MAX_CLASS_LINES

    crowded = {
        f.key
        for f in analysis.catalog.families
        if f.kind == "per_class" and len(f.metrics) > MAX_CLASS_LINES
    }
    metrics = list(
        dict.fromkeys(
            m
            for m in analysis.catalog.metrics.values()
            if m.kind == "quality" and not (m.class_index is not None and m.family in crowded)
        )
    )
    rows = [_best_row(analysis, m, t) for m in metrics]
    more_rows = max(0, len(rows) - MAX_BEST_ROWS)
    rows = rows[:MAX_BEST_ROWS]
    family_codes = {"per_class_summary"}
    general = [finding_text(f, t, h.axis) for f in analysis.findings if f.code not in family_codes]
    if len(general) > MAX_FINDINGS:
        general = [
            *general[:MAX_FINDINGS],
            t("report.more_findings", n=len(general) - MAX_FINDINGS),
        ]
    sections = []
    families, hidden_families = shown_families(analysis.catalog)
    for k, (family, url) in enumerate(zip(families, image_urls, strict=True)):
        fam_findings = [
            finding_text(f, t, h.axis)
            for f in analysis.findings
            if f.code in family_codes and f.metric == family.key
        ]
        class_rows = []
        class_note: Text | None = None
        if family.kind == "per_class":
            for m in family.metrics:
                r = _best_row(analysis, m, t)
                class_rows.append(
                    ClassRow(
                        m.label or m.class_index or 0,
                        short(m.val or m.base, 80),
                        r.val_value,
                        r.val_epoch,
                        r.final,
                    )
                )
            if len(class_rows) > MAX_CLASS_ROWS:
                # worst first, so the classes that need attention are the ones on the page
                worst_low = (family.metrics[0].direction or "max") == "max"
                class_rows.sort(
                    key=lambda r: (r.final is None, (r.final or 0.0) * (1 if worst_low else -1))
                )
                hidden = len(class_rows) - MAX_CLASS_ROWS
                class_rows = class_rows[:MAX_CLASS_ROWS]
                class_note = t("report.more_classes", n=hidden)
        sections.append(
            Section(
                short(family.key, 120),
                family_title(family, t),
                url,
                fam_findings,
                class_rows,
                is_eval_sets(family),
                _thinned_note(thinned[k] if thinned is not None else (), t),
                class_note,
            )
        )
    xs = positions(h, rec.monitor)

    def ex(i: int | None) -> str:
        return "—" if i is None else str(xnum(xs[i]))

    stopping: list[tuple[Text | str, str]] = []
    s = analysis.stopping
    unit = units(h.axis, t)[0]
    if s is not None:
        stopping = [
            ("monitor", s.monitor),
            ("mode", s.mode),
            ("patience", str(s.patience)),
            ("min_delta", f"{s.min_delta:g}"),
            ("baseline", "None" if s.baseline is None else f"{s.baseline:g}"),
            ("start_from_epoch", str(s.start_from_epoch)),
            ("restore_best_weights", str(s.restore_best_weights)),
            (
                t("es.stopped", unit=unit),
                ex(s.stopped_epoch) if s.stop_fired else t("es.not_fired").joined("both", " / "),
            ),
            (t("es.restored", unit=unit), ex(s.restored_from)),
            (t("es.best_value"), "—" if s.best is None else f"{s.best:.6g}"),
            (t("es.evals_run" if h.axis == "step" else "es.epochs_run"), str(s.epochs_run)),
        ]
    policies = [
        PolicyRow(
            {
                "keras": "Keras EarlyStopping",
                "lightning": "Lightning EarlyStopping",
                "huggingface": "Hugging Face EarlyStoppingCallback",
            }.get(p.policy, p.policy),
            ex(p.stop_index),
            ex(p.keep_index),
            p.best,
            t(f"reason.{p.reason or 'none'}"),
        )
        for p in analysis.policies
    ]
    criteria = [CriterionRow(c.name, ex(c.index), c.value) for c in analysis.criteria]
    fired = [c for c in analysis.criteria if c.index is not None]
    first = min(fired, key=lambda c: c.index or 0) if fired else None
    summary_text = (
        sentence("crit.first", {"name": first.name, "epoch": ex(first.index)}, t, h.axis)
        if first
        else t("crit.none")
        if analysis.criteria
        else None
    )
    return ReportContext(
        name=short(h.name, 200),
        source=short(str(h.source), 300),
        format=h.format,
        axis=h.axis,
        length=_length(h, xs, t),
        axis_note=numbering_text(h, t),
        version=version(),
        monitor=rec.monitor,
        monitor_why=monitor_text(analysis, t),
        held_out=held_out_text(analysis, t),
        info=[(short(k, 60), short(v, 200)) for k, v in list(h.info.items())[:40]],
        recommendation=recommendation_text(rec, t, h.axis),
        recommendation_kind=rec.kind,
        confidence=_confidence(rec.confidence, t),
        doubts=[t(f"doubt.{d}") for d in rec.doubts],
        findings=general,
        warnings=_warnings(analysis.warnings, t),
        best_rows=rows,
        more_metrics=t("report.more_metrics", rows=more_rows, figures=hidden_families)
        if more_rows or hidden_families
        else None,
        contents=[sec.title for sec in sections] if len(sections) > CONTENTS_FROM else [],
        stopping=stopping,
        policies=policies,
        criteria=criteria,
        criteria_summary=summary_text,
        criteria_note=t("crit.note", k=5),
        sections=sections,
        windows=[
            WindowRow(
                str(ex(w.start_index))
                if w.start_index == w.end_index
                else f"{ex(w.start_index)}–{ex(w.end_index)}",
                f"{w.n_worse}/{w.n_metrics}",
                w.severity,
                short(", ".join(w.worst_metrics), 120),
            )
            for w in analysis.windows
        ],
    )


def _thinned_note(items: Sequence[tuple[str, int, int]], t: Messages) -> Text | None:
    if not items:
        return None
    shown = sum(i[1] for i in items)
    total = sum(i[2] for i in items)
    return t(
        "report.thinned",
        shown=f"{shown:,}",
        total=f"{total:,}",
        names=short(", ".join(i[0] for i in items), 160),
    )


def _length(h: Any, xs: Any, t: Messages) -> Text:
    if h.axis == "epoch":
        return t("report.length_epochs", n=h.n_epochs or len(xs))
    last = max((float(s.x.max()) for s in h.series.values() if len(s)), default=0.0)
    return t("report.length_steps", last=f"{xnum(last):,}", n=len(xs))


def _confidence(level: str, t: Messages) -> Text:
    """ "신뢰도: 높음" / "Confidence: high": each language gets its own word for the level."""
    word = t(f"confidence.{level}")
    return Text(t("rec.confidence", level=word.ko).ko, t("rec.confidence", level=word.en).en)


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:.4f}"


def _epoch(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@lru_cache(maxsize=4)
def environment(folder: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment over the templates folder: autoescape on, undefined fails."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder or templates_dir())),
        autoescape=True,
        finalize=_visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["epoch"] = _epoch
    return env


def render_html(context: ReportContext, lang: str, template: str = "report.html.j2") -> str:
    env = environment()
    return env.get_template(template).render(r=context, lang=lang, t=messages())


@dataclass(frozen=True)
class RunLine:
    name: str
    source: str
    length: Text
    monitor: str | None
    stop: str
    keep: str
    colour: str


@dataclass(frozen=True)
class CompareRow:
    name: str
    direction: Text
    cells: list[Any]
    winner: str | None


@dataclass(frozen=True)
class Figure:
    key: str
    title: Text
    image: str


@dataclass(frozen=True)
class CompareContext:
    name: str
    runs: list[RunLine]
    reference_note: Text
    findings: list[Text]
    rows: list[CompareRow]
    figures: list[Figure]


def build_compare_context(
    comparison: Any, name: str, images: list[tuple[Family, str]], t: Messages
) -> CompareContext:
    from reporter.plots import run_colour

    axis = comparison.analyses[0].history.axis
    runs = []
    for i, a in enumerate(comparison.analyses):
        xs = positions(a.history, a.recommendation.monitor)
        keep, stop = a.recommendation.keep_index, a.recommendation.stop_index
        runs.append(
            RunLine(
                short(a.history.name, 80),
                short(str(a.history.source), 120),
                _length(a.history, xs, t),
                a.recommendation.monitor,
                "—" if stop is None else str(xnum(xs[stop])),
                "—" if keep is None else str(xnum(xs[keep])),
                run_colour(i),
            )
        )
    note = (
        t("cmp.reference_first", name=short(comparison.names[0], 80))
        if comparison.reference == "first"
        else t("cmp.reference_series")
    )
    rows = [
        CompareRow(
            short(r.name, 80),
            t(f"dir.{r.mode}"),
            list(r.cells),
            None if r.winner is None else short(comparison.names[r.winner], 60),
        )
        for r in comparison.rows
    ]
    return CompareContext(
        short(name, 200),
        runs,
        note,
        [finding_text(f, t, axis) for f in comparison.findings],
        rows,
        [Figure(f.key, family_title(f, t), url) for f, url in images],
    )


def render_compare_html(context: CompareContext, lang: str) -> str:
    env = environment()
    return env.get_template("compare.html.j2").render(c=context, lang=lang, t=messages())
