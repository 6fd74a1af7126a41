"""The message catalog: every string in Korean and English, every key used exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reporter.errors import RenderError
from reporter.i18n import Messages, messages, placeholders

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = "report|label|section|family|col|dir|es|plot|rec|finding|warn|reason|crit|confidence|doubt"
LITERAL = re.compile(rf"""["']((?:{SECTIONS})\.[a-z_]+)["']""")
FILE_NAMES = {"report.css", "report.pdf", "report.html", "report.json"}
DYNAMIC = {  # keys built from a prefix and a closed set of values
    "dir.": ["min", "max", "unknown"],
    "family.": ["loss", "per_class", "macro", "single", "schedule", "diagnostic"],
    "plot.": ["train", "val", "test", "epoch", "step"],
    "confidence.": ["high", "medium", "low"],
    "doubt.": ["late_recovery", "policies_disagree", "conflicting_metrics", "noisy", "divergence"],
    "reason.": ["patience", "not_finite", "stopping_threshold", "divergence_threshold", "none"],
}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*ROOT.joinpath("reporter").rglob("*.py"), *ROOT.joinpath("templates").glob("*.j2")]:
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
    text = messages()("rec.continue", monitor="val_loss", last_epoch=30)
    assert "val_loss" in text.ko and "30" in text.ko and "val_loss" in text.en
    assert text.joined() == f"{text.ko} · {text.en}"
