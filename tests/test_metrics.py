"""Metric discovery: pairs, Keras per-class suffixes, macro averages, directions."""

from __future__ import annotations

from reporter.metrics import direction_of, discover, kind_of, split_name

SEED_KEYS = (
    ["loss", "val_loss"]
    + [
        f"val_{base}{'' if k == 0 else f'_{k}'}"
        for base in ("recall", "prec", "F1")
        for k in range(5)
    ]
    + ["val_macro_avg_recall_th", "val_macro_avg_prec_th", "val_macro_avg_F1_th"]
)


def test_seed_shape_is_grouped_like_the_users_notebooks() -> None:
    cat = discover(SEED_KEYS)
    assert [(f.key, f.kind) for f in cat.families] == [
        ("loss", "loss"),
        ("recall", "per_class"),
        ("prec", "per_class"),
        ("F1", "per_class"),
        ("macro", "macro"),
    ]
    f1 = cat.family("F1")
    assert f1 is not None
    assert [m.class_index for m in f1.metrics] == [0, 1, 2, 3, 4]
    assert [m.val for m in f1.metrics] == ["val_F1", "val_F1_1", "val_F1_2", "val_F1_3", "val_F1_4"]
    assert cat.metric("val_loss").train == "loss"
    assert all(
        cat.metric(n).direction == "max"
        for n in SEED_KEYS
        if n.startswith("val_") and n != "val_loss"
    )
    assert cat.unknown_direction == ()
    # every series is in exactly one family
    names = [n for f in cat.families for n in f.series_names]
    assert sorted(names) == sorted(SEED_KEYS)


def test_suffix_without_unsuffixed_head_is_not_a_family() -> None:
    cat = discover(["dense_1", "dense_2", "loss"])
    assert {f.kind for f in cat.families} == {"loss", "single"}
    cat = discover(["activation_1_loss", "activation_2_loss"])
    assert all(f.kind == "single" for f in cat.families)


def test_split_prefixes_and_directions() -> None:
    assert split_name("val_loss") == ("val", "loss")
    assert split_name("validation_accuracy") == ("val", "accuracy")
    assert split_name("eval_wer") == ("val", "wer")
    assert split_name("test_acc") == ("test", "acc")
    assert split_name("train_loss") == ("train", "loss")
    assert split_name("val/box_loss") == ("val", "box_loss")
    assert split_name("val_") == ("train", "val_")
    for name, want in [
        ("loss", "min"),
        ("kl_loss", "min"),
        ("mae", "min"),
        ("wer", "min"),
        ("ler", "min"),
        ("err", "min"),
        ("acc", "max"),
        ("accuracy", "max"),
        ("jaccard_coef", "max"),
        ("updated_mean_io_u", "max"),
        ("F1_3", "max"),
        ("auc", "max"),
        ("mAP50-95B", "max"),
        ("precisionB", "max"),
        ("recallB", "max"),
        ("macro_avg_prec_th", "max"),
        ("G_loss", "min"),
        ("frobnicate", None),
    ]:
        assert direction_of(name) == want, name
    assert kind_of("lr") == "schedule" and kind_of("learning_rate") == "schedule"
    assert kind_of("lr-AdamW") == "schedule" and kind_of("epoch_seconds") == "diagnostic"


def test_unknown_direction_is_reported_and_overridable() -> None:
    cat = discover(["frob", "val_frob"])
    assert cat.unknown_direction == ("frob",)
    cat = discover(["frob", "val_frob"], {"frob": "max"})
    assert cat.unknown_direction == () and cat.metric("val_frob").direction == "max"
    cat = discover(["val_loss"], {"val_loss": "max"})
    assert cat.metric("val_loss").direction == "max"


def test_epoch_and_step_suffixes_pair_with_validation() -> None:
    cat = discover(["train_loss_step", "train_loss_epoch", "val_loss", "valid_acc", "acc_epoch"])
    assert dict(cat.metric("val_loss").series) == {"val": "val_loss", "train": "train_loss_epoch"}
    assert cat.metric("train_loss_step").base == "loss_step"  # the per-step twin stays visible
    assert dict(cat.metric("valid_acc").series) == {"val": "valid_acc", "train": "acc_epoch"}
