"""Turn metric names into train/validation pairs, per-class families and directions.

Keras names a repeated metric ``recall``, ``recall_1``, ``recall_2`` ...; those
become one per-class family (class 0 is the unsuffixed name). Validation twins
carry a prefix (``val_``, ``valid_``, ``validation_``, ``eval_``) and test
twins ``test_``. Names that mention ``macro`` are grouped as macro averages.
Whether a metric is minimised or maximised comes from its name, unless the
user says otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["min", "max"]
Split = Literal["train", "val", "test"]
Kind = Literal["quality", "schedule", "diagnostic"]

_SPLIT_PREFIXES: tuple[tuple[str, Split], ...] = (
    ("validation_", "val"),
    ("valid_", "val"),
    ("val_", "val"),
    ("eval_", "val"),
    ("validation/", "val"),
    ("valid/", "val"),
    ("val/", "val"),
    ("eval/", "val"),
    ("dev_", "val"),
    ("dev/", "val"),
    ("holdout_", "val"),
    ("holdout/", "val"),
    ("test_", "test"),
    ("test/", "test"),
    ("train_", "train"),
    ("train/", "train"),
    ("training_", "train"),
)
_MIN_WORDS = {
    "loss",
    "err",
    "error",
    "errors",
    "mae",
    "mse",
    "rmse",
    "mape",
    "msle",
    "wer",
    "cer",
    "ler",
    "perplexity",
    "ppl",
    "hinge",
    "crossentropy",
    "kld",
    "kl",
    "nll",
    "distance",
    "divergence",
    "bpc",
    "bpd",
    "fid",
    "euclidean",
}
_MAX_WORDS = {
    "acc",
    "accuracy",
    "precision",
    "prec",
    "recall",
    "f1",
    "fscore",
    "fbeta",
    "auc",
    "iou",
    "jaccard",
    "dice",
    "map",
    "ap",
    "bleu",
    "rouge",
    "r2",
    "mcc",
    "kappa",
    "specificity",
    "sensitivity",
    "tpr",
    "tnr",
    "coef",
    "top1",
    "top5",
    "ndcg",
    "mrr",
    "hits",
    "psnr",
    "ssim",
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "binary_accuracy",
    "similarity",
}
# lr, learning_rate, lr-Adam (Lightning), lr/pg0 (Ultralytics), x/lr0 (YOLOv5)
_SCHEDULE = re.compile(r"^(x/)?(lr|learning_rate|learningrate)(\d*)($|[-_/ ])", re.IGNORECASE)
_DIAGNOSTIC_WORDS = {
    "time",
    "seconds",
    "sec",
    "runtime",
    "dur",
    "duration",
    "samples_per_second",
    "steps_per_second",
    "flos",
    "tokens",
    "num_tokens",
    "grad_norm",
    "epoch",
    "step",
    "memory",
    "mem",  # YOLOv5/v7 gpu_mem
    "throughput",
    "momentum",
    "beta",
    "weight_decay",
    "batch",
    "it",
    "speed",
    "second",
    "samples",
    "steps",
    "flops",
    "norm",
    "count",
    "elapsed",
    "wall",
    "timestamp",
}
EVAL_SETS = " · eval sets"  # the key suffix of a family of evaluation sets (Hugging Face)
_CLASS_SUFFIX = re.compile(r"^(.+)_(\d+)$")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+|(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def split_name(name: str) -> tuple[Split, str]:
    """``("val", "loss")`` for ``val_loss``; names without a prefix are training metrics."""
    low = name.lower()
    for prefix, split in _SPLIT_PREFIXES:
        if low.startswith(prefix) and len(name) > len(prefix):
            return split, name[len(prefix) :]
    return "train", name


def _time_suffix(name: str) -> str:
    low = name.lower()
    return next((s for s in ("_epoch", "_step") if low.endswith(s) and len(low) > len(s)), "")


def _words(base: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(base.lower()) if w]


def kind_of(base: str) -> Kind:
    if _SCHEDULE.match(base):
        return "schedule"
    words = _words(base)
    joined = "_".join(words)
    if any(w in _MIN_WORDS or w in _MAX_WORDS for w in words) or "iou" in joined.replace("_", ""):
        return "quality"
    if any(w in _DIAGNOSTIC_WORDS for w in words) or joined in _DIAGNOSTIC_WORDS:
        return "diagnostic"
    return "quality"


def direction_of(base: str) -> Direction | None:
    """``"min"``/``"max"`` from the metric's words, ``None`` when the name does not tell."""
    words = _words(base)
    compact = "".join(words)
    if any(w in _MIN_WORDS for w in words) or "loss" in compact or "error" in compact:
        return "min"
    if (
        any(w in _MAX_WORDS for w in words)
        or any(k in compact for k in ("accuracy", "iou", "jaccard", "f1", "precision", "recall"))
        or (words and words[0] == "map")
    ):
        return "max"
    return None


@dataclass(frozen=True, eq=False)
class Metric:
    """One logical metric: its splits' series names, direction and class index."""

    base: str
    series: Mapping[Split, str]
    direction: Direction | None
    kind: Kind
    class_index: int | None = None
    family: str = ""
    label: str | None = None  # legend label for a family member that is not a numbered class

    @property
    def train(self) -> str | None:
        return self.series.get("train")

    @property
    def val(self) -> str | None:
        return self.series.get("val")

    @property
    def test(self) -> str | None:
        return self.series.get("test")


FamilyKind = Literal["loss", "per_class", "macro", "single", "schedule", "diagnostic"]


@dataclass(frozen=True, eq=False)
class Family:
    """Metrics drawn together in one figure and discussed in one section."""

    key: str
    kind: FamilyKind
    metrics: tuple[Metric, ...]
    eval_sets: bool = False  # a per-class family whose members are evaluation sets, not classes

    @property
    def name(self) -> str:
        """The metric the family is about, for titles and sentences (the key minus the
        marker that keeps an eval-sets family apart from a plain metric of the same name)."""
        return self.key.removesuffix(EVAL_SETS)

    @property
    def series_names(self) -> list[str]:
        return [n for m in self.metrics for n in m.series.values()]


@dataclass(frozen=True)
class Catalog:
    """Every metric of a run, grouped for drawing, plus names whose direction is unknown."""

    families: tuple[Family, ...]
    metrics: Mapping[str, Metric]  # by series name
    unknown_direction: tuple[str, ...] = field(default=())
    # how the held-out side was found: "name" (val_*, valid_*, eval_*, dev_*, holdout_*),
    # "test" (no such names, so test_* curves), "reader" (the log's own layout), "" (none)
    held_out: str = ""

    def metric(self, series_name: str) -> Metric:
        return self.metrics[series_name]

    def family(self, key: str) -> Family | None:
        return next((f for f in self.families if f.key == key), None)


def discover(
    names: Iterable[str],
    directions: Mapping[str, Direction] | None = None,
    groups: Mapping[str, str] | None = None,
    class_labels: Sequence[str] = (),
    roles: Mapping[str, Split] | None = None,
) -> Catalog:
    """Group ``names`` (series names of one run) into a :class:`Catalog`.

    ``directions`` maps a series name or a base name to ``"min"``/``"max"`` and
    wins over what the name suggests. ``groups`` maps series names to the evaluation
    set they belong to (``eval_g0_loss`` → ``g0``); one family per metric gathers the sets.
    ``roles`` says which series are held out where the reader knows it from the log's layout
    (Detectron2's evaluation keys, MMEngine's validation rows). With no validation series at
    all, ``test_*`` series are the held-out side.
    """
    directions = dict(directions or {})
    groups = dict(groups or {})
    roles = dict(roles or {})
    names = list(names)
    splits = {n: ((roles[n], n) if n in roles else split_name(n)) for n in names}
    held_out = ""
    if any(s == "val" for s, _ in splits.values()):
        held_out = "reader" if any(r == "val" for r in roles.values()) else "name"
    elif any(s == "test" for s, _ in splits.values()):
        held_out = "test"
        splits = {n: ("val" if s == "test" else s, b) for n, (s, b) in splits.items()}
    by_base: dict[str, dict[Split, str]] = {}
    # Lightning's `train_loss_epoch` pairs with `val_loss`; the per-step twin keeps its own name
    order = {"": 0, "_epoch": 1, "_step": 2}
    for name in sorted(names, key=lambda n: order[_time_suffix(n)]):
        split, base = splits[name]
        suffix = _time_suffix(base)
        short = base[: len(base) - len(suffix)] if suffix else base
        if short and split not in by_base.get(short, {}):
            base = short
        slots = by_base.setdefault(base, {})
        if split in slots:  # e.g. both "loss" and "train_loss": keep both as separate bases
            by_base.setdefault(name, {})["train"] = name
            continue
        slots[split] = name

    # Keras duplicate-name suffixes: base, base_1, base_2 ... → one per-class family.
    class_of: dict[str, tuple[str, int]] = {}
    for base in by_base:
        m = _CLASS_SUFFIX.match(base)
        if m and m.group(1) in by_base and int(m.group(2)) >= 1:
            class_of[base] = (m.group(1), int(m.group(2)))
    heads = {root for root, _ in class_of.values()}
    for head in heads:
        indices = sorted(i for root, i in class_of.values() if root == head)
        if indices[:1] != [1]:
            for member, (head_name, _) in list(class_of.items()):
                if head_name == head:
                    del class_of[member]
            continue
        class_of[head] = (head, 0)

    metrics: dict[str, Metric] = {}
    per_class: dict[str, list[Metric]] = {}
    macro: list[Metric] = []
    singles: list[Metric] = []
    unknown: list[str] = []
    for base, slots in by_base.items():
        kind = kind_of(base)
        direction = directions.get(base) or next(
            (directions[n] for n in slots.values() if n in directions), None
        )
        if direction is None and kind == "quality":
            direction = direction_of(base)
            if direction is None:
                unknown.append(base)
        root: str | None = None
        index: int | None = None
        if base in class_of:
            root, index = class_of[base]
        label: str | None = None
        group = next((groups[n] for n in slots.values() if n in groups), None)
        if group is not None and base.startswith(group + "_"):
            root = base[len(group) + 1 :] + EVAL_SETS
            ordered = sorted(set(groups.values()))
            index, label = ordered.index(group), group
            if direction is None and kind == "quality":
                direction = direction_of(base[len(group) + 1 :])
                if direction is not None and base in unknown:
                    unknown.remove(base)
        family = root if root is not None else base
        if label is None and index is not None and root is not None and index < len(class_labels):
            label = f"{index} {class_labels[index]}"  # --labels: class names from a file
        metric = Metric(base, dict(slots), direction, kind, index, family, label)
        for name in slots.values():
            metrics[name] = metric
        if root is not None:
            per_class.setdefault(root, []).append(metric)
        elif "macro" in base.lower():
            macro.append(metric)
        else:
            singles.append(metric)

    families: list[Family] = []
    loss = next((m for m in singles if m.base.lower() == "loss"), None)
    if loss is not None:
        families.append(Family("loss", "loss", (loss,)))
    for root in sorted(
        per_class,
        key=lambda r: names.index(
            per_class[r][0].series.get("val") or next(iter(per_class[r][0].series.values()))
        ),
    ):
        members = sorted(per_class[root], key=lambda m: m.class_index or 0)
        families.append(Family(root, "per_class", tuple(members), root.endswith(EVAL_SETS)))
    if macro:
        families.append(Family("macro", "macro", tuple(macro)))
    for single in singles:
        if single is loss:
            continue
        fkind: FamilyKind = "single" if single.kind == "quality" else single.kind
        families.append(Family(single.base, fkind, (single,)))
    order = {"loss": 0, "per_class": 1, "macro": 2, "single": 3, "schedule": 4, "diagnostic": 5}
    families.sort(key=lambda f: order[f.kind])
    return Catalog(tuple(families), metrics, tuple(unknown), held_out)


# ----------------------------------------------------------------------------- boosting
# How XGBoost and LightGBM tell a metric's direction from its name: shared by the reader of
# their logs and the replay of their early stopping.

# xgboost/callback.py, EarlyStopping._update_rounds (maximize=None)
XGB_MAXIMIZE = ("auc", "aucpr", "pre", "pre@", "map", "ndcg", "auc@", "aucpr@", "map@", "ndcg@")
# lightgbm/basic.py, Booster.__inner_eval: __higher_better_inner_eval
LGB_MAXIMIZE = ("auc", "ndcg@", "map@", "average_precision")
LGB_TRAIN_NAMES = ("training",)  # lightgbm/basic.py: Booster._train_data_name's default


def xgboost_maximize(metric: str) -> bool:
    """XGBoost's direction for ``maximize=None``."""
    return metric != "mape" and metric.startswith(XGB_MAXIMIZE)


def lightgbm_maximize(metric: str) -> bool:
    """LightGBM's direction: the metric's ``higher_better``."""
    return metric.startswith(LGB_MAXIMIZE)
