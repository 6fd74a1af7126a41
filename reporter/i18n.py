"""Turn message keys and facts into Korean and English sentences from one catalog.

All user-visible text lives in ``templates/messages.toml`` as
``[section.name] ko = "..." en = "..."``. Placeholders use ``str.format``
syntax with format specs (``{value:.4g}``); the facts are data, the format
strings are ours. A key missing either language is an error at load time.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reporter.assets import templates_dir
from reporter.errors import RenderError

LANGUAGES = ("ko", "en")


@dataclass(frozen=True)
class Text:
    """One message in both languages."""

    ko: str
    en: str

    def __iter__(self) -> Iterator[tuple[str, str]]:
        yield "ko", self.ko
        yield "en", self.en

    def get(self, lang: str) -> str:
        return self.ko if lang == "ko" else self.en

    def joined(self, lang: str = "both", sep: str = " · ") -> str:
        """Korean first; both joined by ``sep`` unless they are identical."""
        if lang != "both":
            return self.get(lang)
        return self.ko if self.ko == self.en else f"{self.ko}{sep}{self.en}"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key, value in table.items():
        if not isinstance(value, Mapping):
            continue
        if any(lang in value for lang in LANGUAGES) or not value:
            yield prefix + key, value
        else:
            yield from _flatten(value, prefix + key + ".")


def placeholders(template: str) -> set[str]:
    return {
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }


class Messages:
    """The catalog: ``messages("key", **facts)`` gives a :class:`Text`."""

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        problems = []
        for key, value in entries.items():
            for lang in LANGUAGES:
                if not isinstance(value.get(lang), str) or not value[lang].strip():
                    problems.append(f"{key}: missing {lang}")
            if all(isinstance(value.get(lang), str) for lang in LANGUAGES) and placeholders(
                value["ko"]
            ) != placeholders(value["en"]):
                problems.append(f"{key}: ko and en use different placeholders")
        if problems:
            raise RenderError("message catalog: " + "; ".join(problems))
        self.entries = {k: Text(v["ko"], v["en"]) for k, v in entries.items()}

    @classmethod
    def load(cls, path: Path) -> Messages:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        return cls(dict(_flatten(data)))

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __call__(self, key: str, /, **facts: Any) -> Text:
        try:
            text = self.entries[key]
        except KeyError:
            raise RenderError(f"message catalog has no key {key!r}") from None
        if not facts:
            return text
        # a fact may itself be bilingual (a unit word): each language gets its own spelling
        ko = {k: v.ko if isinstance(v, Text) else v for k, v in facts.items()}
        en = {k: v.en if isinstance(v, Text) else v for k, v in facts.items()}
        return Text(text.ko.format(**ko), text.en.format(**en))


@lru_cache(maxsize=4)
def messages(folder: Path | None = None) -> Messages:
    """The catalog shipped in ``templates/`` (cached)."""
    return Messages.load((folder or templates_dir()) / "messages.toml")
