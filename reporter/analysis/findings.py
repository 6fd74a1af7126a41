"""Turn a run and its analysis so far into findings: codes with facts, no sentences.

Each builder looks at one thing (metrics that disagree, learning-rate drops, whether the
model learns at all, per-class and macro families, the trainer's own best checkpoint) and
returns :class:`Finding` values the message catalog turns into Korean and English.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import numpy as np

from reporter.analysis.curves import LrDrop, noise_scale
from reporter.analysis.facts import Best, Finding, Recommendation
from reporter.analysis.series import best_index, better, xnum
from reporter.history.model import History
from reporter.metrics import Catalog, Direction
from reporter.naming import shorten

UNKNOWN_LISTED = 5


def unknown_direction(bases: tuple[str, ...]) -> Finding:
    """One finding for every metric whose direction cannot be told from its name."""
    shown = ", ".join(shorten(b, 60) for b in bases[:UNKNOWN_LISTED])
    rest = len(bases) - UNKNOWN_LISTED
    return Finding(
        "unknown_direction",
        "finding.unknown_direction" if rest <= 0 else "finding.unknown_direction_many",
        {"metrics": shown, "example": shorten(bases[0], 60), "more": max(rest, 0)},
        metric=bases[0] if len(bases) == 1 else None,
    )


_PREFERRED = ("f1", "accuracy", "acc", "auc", "iou", "wer", "cer", "map", "precision", "recall")


def conflicting_metric(
    history: History,
    catalog: Catalog,
    monitor: str,
    mode: Direction,
    keep: int,
    patience: int,
    ex: Any,
) -> Finding | None:
    """Validation loss worsening while an accuracy-like validation metric still improves."""
    if "loss" not in monitor.lower():
        return None
    v = history[monitor].values
    candidates = []
    for m in dict.fromkeys(catalog.metrics.values()):
        if (
            m.val is None
            or m.val == monitor
            or m.kind != "quality"
            or m.direction is None
            or m.class_index is not None
            or "loss" in m.base.lower()
        ):
            continue
        w = history[m.val].values
        if len(w) != len(v) or not np.array_equal(history[m.val].x, history[monitor].x):
            continue
        j = best_index(w, m.direction)
        if j is None or j <= keep + patience or not np.isfinite(w[keep]):
            continue
        loss_rise = 100.0 * (v[j] - v[keep]) / abs(v[keep]) if v[keep] else 0.0
        gain = abs(float(w[j]) - float(w[keep]))
        if loss_rise > 5.0 and gain > 2 * noise_scale(w):
            rank = next((i for i, p in enumerate(_PREFERRED) if p in m.base.lower()), 99)
            candidates.append((rank, -gain, m.val, j, float(w[keep]), float(w[j]), loss_rise))
    if not candidates:
        return None
    _, _, name, j, before, after, rise = min(candidates)
    return Finding(
        "conflicting_metrics",
        "finding.conflicting_metrics",
        {
            "monitor": monitor,
            "metric": name,
            "keep_epoch": ex(keep),
            "epoch": ex(j),
            "before": before,
            "after": after,
            "loss_rise": rise,
        },
        metric=name,
        epochs=(ex(keep), ex(j)),
    )


def loss_disagrees(history: History, catalog: Catalog, monitor: str, ex: Any) -> Finding | None:
    """The monitor is not a loss (e.g. WER): does the validation loss rise while it improves?"""
    v = history[monitor].values
    mode = catalog.metric(monitor).direction
    losses = [
        m
        for m in dict.fromkeys(catalog.metrics.values())
        if m.val
        and m.val != monitor
        and m.base.lower() == "loss"
        and np.array_equal(history[m.val].x, history[monitor].x)
    ]
    if not losses or mode is None:
        return None
    loss = history[losses[0].val].values  # type: ignore[index]
    lb = best_index(loss, "min")
    mb = best_index(v, mode)
    if lb is None or mb is None or mb <= lb or not loss[lb] > 0:
        return None
    rise = 100.0 * (loss[mb] - loss[lb]) / abs(loss[lb])
    gain = abs(float(v[mb]) - float(v[lb]))
    if rise <= 5.0 or gain <= noise_scale(v):
        return None
    return Finding(
        "conflicting_metrics",
        "finding.conflicting_metrics_follow_metric",
        {
            "monitor": monitor,
            "loss": losses[0].val,
            "loss_epoch": ex(lb),
            "epoch": ex(mb),
            "before": float(v[lb]),
            "after": float(v[mb]),
            "loss_rise": rise,
        },
        metric=monitor,
        epochs=(ex(lb), ex(mb)),
    )


def trainer_best(history: History, bests: Mapping[str, Best]) -> Finding | None:
    """Cross-check the Hugging Face Trainer's own best checkpoint against ours."""
    name = history.info.get("metric_for_best_model")
    if not name or name not in bests or "best_metric" not in history.info:
        return None
    b = bests[name]
    theirs = float(history.info["best_metric"])
    step = history.best_checkpoint
    agree = abs(b.value - theirs) <= 1e-9 * max(1.0, abs(theirs)) and (
        step is None or step == b.epoch
    )
    return Finding(
        "trainer_best",
        "finding.trainer_best_agrees" if agree else "finding.trainer_best_differs",
        {
            "metric": name,
            "value": theirs,
            "step": xnum(step) if step is not None else "?",
            "ours_value": b.value,
            "ours_step": xnum(b.epoch),
            "checkpoint": PurePath(history.info.get("best_model_checkpoint", "")).name or "?",
        },
        metric=name,
        epochs=(xnum(b.epoch),),
    )


def lr_finding(
    drops: list[LrDrop],
    history: History,
    monitor: str | None,
    mode: Direction | None,
    patience: int,
) -> Finding:
    shown = drops[:6]
    listing = ", ".join(f"{xnum(d.x)} ({d.before:.3g}→{d.after:.3g})" for d in shown)
    if len(drops) > len(shown):
        listing += f", … (+{len(drops) - len(shown)})"
    helped = 0
    if monitor is not None and mode is not None:
        v = history[monitor].values
        mx = history[monitor].x
        for d in drops:
            at = int(np.searchsorted(mx, d.x))
            before = v[:at]
            after = v[at : at + patience + 1]
            if (
                before.size
                and after.size
                and np.isfinite(before).any()
                and np.isfinite(after).any()
            ):
                prev = np.nanmin(before) if mode == "min" else np.nanmax(before)
                nxt = np.nanmin(after) if mode == "min" else np.nanmax(after)
                helped += int(better(float(nxt), float(prev), mode))
    return Finding(
        "lr_drop",
        "finding.lr_drop" if monitor else "finding.lr_drop_plain",
        {
            "series": drops[0].series,
            "drops": listing,
            "count": len(drops),
            "helped": helped,
            "monitor": monitor or "",
        },
        metric=drops[0].series,
        epochs=tuple(xnum(d.x) for d in drops),
    )


def learning_findings(
    history: History, catalog: Catalog, monitor: str | None, train: str | None, ex: Any, n: int
) -> list[Finding]:
    """A run that does not learn, and a classifier that predicts a single class."""
    out: list[Finding] = []
    loss_name = train or ("loss" if "loss" in history else None)
    if loss_name is not None:
        tv = history[loss_name].values
        fin = tv[np.isfinite(tv)]
        if (
            fin.size >= 3
            and fin[-1] >= fin[0]
            and np.nanmin(fin[1:]) >= 0.98 * fin[0] * (1 if fin[0] > 0 else -1)
        ):
            flat = ""
            if monitor is not None:
                mv = history[monitor].values
                mf = mv[np.isfinite(mv)]
                if mf.size and np.ptp(mf) <= 1e-3 * max(abs(float(np.mean(mf))), 1e-12):
                    flat = monitor
            out.append(
                Finding(
                    "not_learning",
                    "finding.not_learning_flat" if flat else "finding.not_learning",
                    {
                        "train": loss_name,
                        "start": float(fin[0]),
                        "end": float(fin[-1]),
                        "monitor": flat,
                    },
                    metric=loss_name,
                )
            )
    for fam in catalog.families:
        if fam.kind != "per_class" or "recall" not in fam.key.lower():
            continue
        vals = [(m.class_index or 0, history[m.val].values) for m in fam.metrics if m.val]
        if len(vals) < 2:
            continue
        if any(len(v) != n for _, v in vals) or n == 0:
            continue
        half = max(1, n // 2)
        tails = [(k, v[-half:]) for k, v in vals]
        ones = [k for k, t in tails if np.isfinite(t).all() and np.all(t >= 0.99)]
        zeros = [k for k, t in tails if np.isfinite(t).all() and np.all(t <= 0.01)]
        if len(ones) == 1 and len(zeros) == len(vals) - 1:
            out.append(
                Finding(
                    "single_class",
                    "finding.single_class",
                    {
                        "family": fam.name,
                        "cls": ones[0],
                        "others": len(zeros),
                        "since": ex(n - half),
                    },
                    metric=fam.key,
                )
            )
    return out


def is_eval_sets(family: Any) -> bool:
    """A family of one metric over several evaluation sets (``eval_g0_loss`` ...)."""
    return bool(family.eval_sets)


def family_findings(
    history: History, catalog: Catalog, bests: Mapping[str, Best], rec: Recommendation, ex: Any
) -> list[Finding]:
    out: list[Finding] = []
    macro = [
        m
        for fam in catalog.families
        if fam.kind == "macro"
        for m in fam.metrics
        if m.val and m.val in bests
    ]
    if macro:
        m = min(
            macro,
            key=lambda m: next((i for i, p in enumerate(_PREFERRED) if p in m.base.lower()), 99),
        )
        b = bests[m.val]  # type: ignore[index]
        params: dict[str, Any] = {"metric": m.val, "epoch": xnum(b.epoch), "value": b.value}
        key = "finding.macro_best"
        mx = history[m.val].x  # type: ignore[index]
        if rec.keep_index is not None and rec.monitor is not None:
            keep_x = history[rec.monitor].x[rec.keep_index]
            hit = np.flatnonzero(mx == keep_x)
            if hit.size:
                at_keep = float(history[m.val].values[hit[0]])  # type: ignore[index]
                if np.isfinite(at_keep):
                    key = "finding.macro_best_vs_keep"
                    params.update(keep_epoch=ex(rec.keep_index), keep_value=at_keep)
        out.append(Finding("macro_best", key, params, metric=m.val, epochs=(xnum(b.epoch),)))
    for fam in catalog.families:
        if fam.kind != "per_class":
            continue
        split_bests = [
            (m.class_index or 0, bests[m.val]) for m in fam.metrics if m.val and m.val in bests
        ]
        if len(split_bests) < 2:
            continue
        finals = []
        for m in fam.metrics:
            if m.val:
                v = history[m.val].values
                fin = v[np.isfinite(v)]
                if fin.size:
                    finals.append((m.class_index or 0, float(fin[-1])))
        direction = fam.metrics[0].direction or "max"
        if not finals:
            continue
        finals.sort(key=lambda p: p[1], reverse=direction == "max")
        best_cls, best_val = finals[0]
        worst_cls, worst_val = finals[-1]
        epochs = sorted({xnum(b.epoch) for _, b in split_bests})
        labels = {m.class_index or 0: m.label for m in fam.metrics}
        if labels.get(best_cls) is not None:
            best_cls, worst_cls = labels[best_cls], labels[worst_cls]  # type: ignore[assignment]
        out.append(
            Finding(
                "per_class_summary",
                "finding.per_set_summary" if is_eval_sets(fam) else "finding.per_class_summary",
                {
                    "family": fam.name,
                    "best_class": best_cls,
                    "best_value": best_val,
                    "worst_class": worst_cls,
                    "worst_value": worst_val,
                    "first_best": epochs[0],
                    "last_best": epochs[-1],
                },
                metric=fam.key,
                epochs=(epochs[0], epochs[-1]),
            )
        )
    return out


CONSTANT_SHARE = 0.8  # a held-out metric that keeps one value in 80 % of its epochs is stuck
_ACCURACY_WORDS = ("acc", "accuracy", "top1", "top_1", "top-1")


def _stuck(values: np.ndarray[Any, Any]) -> tuple[float, float] | None:
    """``(value, share)`` when one value fills at least CONSTANT_SHARE of the finite epochs."""
    finite = values[np.isfinite(values)]
    if finite.size < 5:
        return None
    vals, counts = np.unique(np.round(finite, 6), return_counts=True)
    k = int(np.argmax(counts))
    share = float(counts[k]) / finite.size
    return (float(vals[k]), share) if share >= CONSTANT_SHARE else None


def _chance(value: float) -> int:
    """k when ``value`` is 1/k (the accuracy of guessing among k classes), else 0."""
    if not 0.0 < value <= 0.5:
        return 0
    k = round(1.0 / value)
    return k if 2 <= k <= 1000 and abs(value - 1.0 / k) <= 0.002 else 0


def _training_side(
    history: History, train: str | None, direction: Direction | None, ex: Any
) -> dict[str, Any]:
    """How far the training twin got: its best value, the first epoch with it, and whether it
    beat its first value by more than 10 %."""
    if train is None or train not in history or direction is None:
        return {"train": "", "train_best": math.nan, "train_epoch": "—", "train_learned": False}
    tv = history[train].values
    best = best_index(tv, direction)
    finite = tv[np.isfinite(tv)]
    if best is None or not finite.size:
        return {"train": train, "train_best": math.nan, "train_epoch": "—", "train_learned": False}
    target = float(tv[best])
    first = float(finite[0])
    learned = abs(target - first) > 0.1 * max(abs(first), 1e-12) and better(
        target, first, direction
    )
    return {
        "train": train,
        "train_best": target,
        "train_epoch": ex(best),  # the first epoch with its best value, as the table shows
        "train_learned": bool(learned),
    }


def held_out_not_learning(
    history: History,
    catalog: Catalog,
    monitor: str,
    mode: Direction,
    train: str | None,
    ex: Any,
) -> Finding | None:
    """The held-out side never learned: a held-out accuracy stuck at one value below 0.99
    (often chance, 1/k) for most of the run, the monitored series itself stuck, or the
    monitor never better than its first epoch while training improved."""
    v = history[monitor].values
    if int(np.isfinite(v).sum()) < 5:
        return None
    candidates = [
        m
        for m in dict.fromkeys(catalog.metrics.values())
        if m.val
        and m.direction == "max"
        and m.class_index is None
        and any(w in m.base.lower() for w in _ACCURACY_WORDS)
    ]
    for m in candidates:
        stuck = _stuck(history[m.val].values)  # type: ignore[index]
        if stuck is not None and stuck[0] < 0.99:
            side = _training_side(history, m.train, m.direction, ex)
            return _not_learning_finding(m.val or "", stuck, side)
    stuck = _stuck(v)
    ideal = 0.0 if mode == "min" else 1.0
    if (
        stuck is not None
        and abs(stuck[0] - ideal) > 1e-9
        and not (mode == "max" and stuck[0] >= 0.99)
    ):
        side = _training_side(
            history, train, catalog.metric(train).direction if train else None, ex
        )
        return _not_learning_finding(monitor, stuck, side)
    best = best_index(v, mode)
    if best == 0 and train is not None:
        side = _training_side(history, train, catalog.metric(train).direction, ex)
        first = float(v[np.isfinite(v)][0])
        later = v[1:][np.isfinite(v[1:])]
        if side["train_learned"] and later.size >= 4:
            return Finding(
                "held_out_not_learning",
                "finding.held_out_never_better",
                {"metric": monitor, "value": first, "share": 100.0, "chance": 0, **side},
                metric=monitor,
                epochs=(ex(0),),
            )
    return None


def _not_learning_finding(
    metric: str, stuck: tuple[float, float], side: dict[str, Any]
) -> Finding:
    value, share = stuck
    chance = _chance(value)
    if not side["train"]:
        key = "finding.held_out_constant_alone"
    else:
        key = "finding.held_out_chance" if chance else "finding.held_out_constant"
    return Finding(
        "held_out_not_learning",
        key,
        {"metric": metric, "value": value, "share": 100.0 * share, "chance": chance, **side},
        metric=metric,
    )


def softmax_twice_floor(classes: int) -> float:
    """The smallest cross-entropy a model can reach when softmax is applied twice: the
    second softmax of a one-hot-confident first one gives e / (e + C − 1)."""
    return math.log(math.e + classes - 1) - 1.0


def double_softmax(history: History, catalog: Catalog, ex: Any) -> Finding | None:
    """A loss that flattens on the floor of a softmax applied twice while accuracy is near 1:
    the numbers prove the output layer is normalised twice (e.g. a softmax activation and
    ``from_logits=True``, or a softmax layer before a loss that applies its own)."""
    losses = [m for m in dict.fromkeys(catalog.metrics.values()) if m.base.lower() == "loss"]
    accs = [
        m
        for m in dict.fromkeys(catalog.metrics.values())
        if m.direction == "max"
        and m.class_index is None
        and any(w in m.base.lower() for w in _ACCURACY_WORDS)
    ]
    if not losses or not accs:
        return None
    name = losses[0].train or losses[0].val
    acc_name = accs[0].train or accs[0].val
    if name is None or acc_name is None:
        return None
    lv, av = history[name].values, history[acc_name].values
    lf, af = lv[np.isfinite(lv)], av[np.isfinite(av)]
    if lf.size < 5 or af.size < 5:
        return None
    low, acc = float(lf.min()), float(af[-1])
    tail = lf[-3:]
    flat = float(tail.max() - tail.min()) <= 0.01 * abs(low)
    if acc < 0.95 or low < 0.5 or not flat:
        return None
    counts = sorted({len(f.metrics) for f in catalog.families if f.kind == "per_class"})
    tried = [*counts, *range(2, 1001)]
    for classes in tried:
        floor = softmax_twice_floor(classes)
        if 0.0 <= low - floor <= 0.02 * floor:
            return Finding(
                "double_softmax",
                "finding.double_softmax",
                {
                    "loss": name,
                    "value": low,
                    "floor": floor,
                    "classes": classes,
                    "accuracy": acc_name,
                    "acc_value": acc,
                },
                metric=name,
            )
    return None
