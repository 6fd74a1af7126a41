"""The message catalog: every string in Korean and English, every key used exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reporter.errors import RenderError
from reporter.i18n import Messages, messages, placeholders

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (
    "report|label|section|family|col|dir|es|plot|rec|finding|warn|reason|crit|confidence|doubt"
    "|index|cmp|unit|numbering|monitor|heldout|limit|cost"
    "|boosting|wandb|fastai"
)
LITERAL = re.compile(rf"""["']((?:{SECTIONS})\.[a-z_]+)["']""")
FILE_NAMES = {"report.css", "report.pdf", "report.html", "report.json", "index.html", "index.pdf"}
DYNAMIC = {  # keys built from a prefix and a closed set of values
    "dir.": ["min", "max", "unknown"],
    "family.": ["loss", "per_class", "per_set", "macro", "single", "schedule", "diagnostic"],
    "plot.": ["train", "val", "test", "epoch", "step"],
    "confidence.": ["high", "medium", "low"],
    "col.": ["epoch", "step", "set", "class"],
    "section.": ["set_table", "class_table"],
    "report.": ["lang_note", "step_note"],
    "doubt.": ["late_recovery", "policies_disagree", "conflicting_metrics", "noisy", "divergence"],
    "reason.": ["patience", "not_finite", "stopping_threshold", "divergence_threshold", "none"],
    "numbering.": [
        "ultralytics",
        "ultralytics_from0",
        "yolov5",
        "detectron2",
        "mmengine_epoch",
        "mmengine_iter",
        "mmcv_epoch",
        "mmcv_iter",
        "detr",
        "as_logged",
        "row_number",
        "boosting.xgboost",
        "boosting.lightgbm",
        "boosting.unknown",
        "wandb_run.step",
        "fastai_csv.epoch",
    ],
    "heldout.": ["test", "reader"],
}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [
        *ROOT.joinpath("reporter").rglob("*.py"),
        *ROOT.joinpath("templates").glob("*.j2"),
    ]:
        keys |= set(LITERAL.findall(path.read_text("utf-8"))) - FILE_NAMES
    for prefix, values in DYNAMIC.items():
        keys |= {prefix + v for v in values}
    return keys


def test_every_entry_has_korean_and_english() -> None:
    m = messages()
    assert len(m.entries) > 60
    for key, text in m.entries.items():
        assert text.ko.strip() and text.en.strip(), key
        assert placeholders(text.ko) == placeholders(text.en), key
        stripped = re.sub(r"\{[^}]*\}", "", text.ko)
        if stripped.strip(" ()/"):
            assert HANGUL.search(text.ko), f"{key}: the Korean text has no Hangul"


def test_every_key_used_in_code_and_templates_exists() -> None:
    missing = sorted(k for k in used_keys() if k not in messages())
    assert missing == []


def test_no_dead_entries() -> None:
    unused = sorted(set(messages().entries) - used_keys())
    assert unused == []


def test_a_missing_translation_fails_loudly(tmp_path: Path) -> None:
    bad = tmp_path / "messages.toml"
    bad.write_text('[x]\nok = { ko = "네", en = "yes" }\nhalf = { ko = "반쪽" }\n', "utf-8")
    with pytest.raises(RenderError, match="x.half: missing en"):
        Messages.load(bad)
    bad.write_text('[x]\np = { ko = "{a}", en = "{b}" }\n', "utf-8")
    with pytest.raises(RenderError, match="different placeholders"):
        Messages.load(bad)


def test_formatting_with_facts() -> None:
    from reporter.sentences import sentence

    text = sentence(
        "rec.continue",
        {"monitor": "val_loss", "last_epoch": 30, "keep_epoch": 30, "value": 0.5},
        messages(),
    )
    assert "val_loss" in text.ko and "에포크(30)" in text.ko and "last epoch (30)" in text.en
    assert text.joined() == f"{text.ko} · {text.en}"
    steps = sentence(
        "rec.use_best_stop_at",
        {
            "monitor": "eval_loss",
            "stop_epoch": 400,
            "keep_epoch": 500,
            "value": 0.5,
            "since_epoch": 300,
            "threshold": 0.01,
            "cost": 0.02,
            "cost_pct": 4.0,
            "saved": 3,
            "epochs": 10,
            "saved_pct": 30.0,
        },
        messages(),
        "step",
    )
    assert "스텝 400" in steps.ko and "step 400" in steps.en and "evaluations" in steps.en


def test_every_message_formats_with_sample_facts() -> None:
    import string

    from reporter.i18n import split_field
    from reporter.sentences import units

    m = messages()
    for key, text in m.entries.items():
        facts: dict[str, object] = {}
        for lang_text in (text.ko, text.en):
            for _, name, spec, _ in string.Formatter().parse(lang_text):
                if name:
                    facts[split_field(name)[0]] = 1.5 if spec and spec != "units" else 3
        for axis in ("epoch", "step"):
            unit, counted = units(axis, m)
            out = m(key, **{**facts, "unit": unit, "units": counted})
            assert "{" not in out.ko + out.en or "{" in text.ko, key
