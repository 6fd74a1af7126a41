"""Turn analysis facts into catalog sentences in both languages: the catalog's companion.

Every sentence a report, ``summary.json``, a comparison or the batch index says is built
here from a message key and its facts, with the run's unit (epoch, step, evaluation) filled
in; the HTML renderer, the summary builder and the index all ask this module, so the same
fact is always worded the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reporter.analysis import Analysis, Recommendation, is_eval_sets
from reporter.history.model import History, Note
from reporter.i18n import Counted, Messages, Text
from reporter.metrics import Family
from reporter.naming import shorten

MAX_TEXT = 300
MAX_WARNINGS = 30


def short(text: str, limit: int = MAX_TEXT) -> str:
    return shorten(text, limit)


def family_title(family: Family, t: Messages) -> Text:
    if family.kind in ("loss", "macro"):
        return t(f"family.{family.kind}")
    if family.kind == "per_class" and is_eval_sets(family):
        return t("family.per_set", name=short(family.name, 80))
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
    """The recommendation's sentence, followed, when other epochs are as good as the best one
    within the run's noise, by which they are."""
    text = sentence(rec.key, rec.params, t, axis)
    if not rec.params.get("near_count"):
        return text
    near = sentence("rec.near_best", rec.params, t, axis)
    return Text(f"{text.ko} {near.ko}", f"{text.en} {near.en}")


def sentence(key: str, params: Any, t: Messages, axis: str = "epoch") -> Text:
    """A catalog sentence with its facts; ``{unit}`` and ``{n:units}`` follow the run's x axis."""
    facts = {k: short(v, 120) if isinstance(v, str) else v for k, v in params.items()}
    unit, counted = units(axis, t)
    return t(key, unit=unit, units=counted, **facts)


def warning_texts(notes: Sequence[Note], t: Messages) -> list[Text]:
    """The report's warnings: the first MAX_WARNINGS, then how many more summary.json holds."""
    shown = [
        t(w.key, **{k: short(v, 120) if isinstance(v, str) else v for k, v in w.params.items()})
        for w in notes[:MAX_WARNINGS]
    ]
    if len(notes) > MAX_WARNINGS:
        shown.append(t("report.more_warnings", n=len(notes) - MAX_WARNINGS))
    return shown


def finding_text(f: Any, t: Messages, axis: str = "epoch") -> Text:
    return sentence(f.key, f.params, t, axis)


def numbering_text(h: History, t: Messages) -> Text:
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
