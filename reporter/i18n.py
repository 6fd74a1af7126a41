"""Turn message keys and facts into Korean and English sentences from one catalog.

All user-visible text lives in ``templates/messages.toml`` as
``[section.name] ko = "..." en = "..."``. Placeholders use ``str.format``
syntax with format specs (``{value:.4g}``); the facts are data, the format
strings are ours. A key missing either language is an error at load time.

Two additions to ``str.format`` (documented at the top of messages.toml):

- ``{name|을}``: the value followed by the particle that agrees with it in Korean
  (:func:`reporter.hangul.particle`; write either form of the pair). English ignores it.
- ``{name:units}``: a count in the run's unit, ``3 에포크`` / ``평가 3회`` / ``3 epochs``,
  from the ``units`` fact (a :class:`Counted`).

In Korean, a fact that is a range of numbers (``3–30``) is written with a tilde (``3~30``).
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reporter.assets import templates_dir
from reporter.errors import RenderError
from reporter.hangul import pair_of, particle

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


@dataclass(frozen=True)
class Counted:
    """How a count is written in each language: ``{n}`` is the number."""

    ko: str
    en: str
    en_one: str

    def get(self, lang: str, n: Any) -> str:
        if lang == "ko":
            return self.ko.format(n=n)
        return (self.en_one if n == 1 else self.en).format(n=n)


_FORMATTER = string.Formatter()
_RANGE = re.compile(r"[\d.,]+(?:\s*–\s*[\d.,]+)+")


def split_field(name: str) -> tuple[str, str]:
    """``"keep_epoch|을"`` -> ``("keep_epoch", "을")``; no particle gives ``""``."""
    field, _, form = name.partition("|")
    return field, form


def fill(template: str, facts: Mapping[str, Any], lang: str) -> str:
    """``template.format(**facts)`` in ``lang``, with the particle and count additions."""
    out = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        out.append(literal)
        if name is None:
            continue
        field, form = split_field(name)
        value, _ = _FORMATTER.get_field(field, (), facts)
        if isinstance(value, Text):
            value = value.get(lang)
        if conversion:
            value = _FORMATTER.convert_field(value, conversion)
        if spec == "units":
            counted = facts["units"]
            text = (
                counted.get(lang, value) if isinstance(counted, Counted) else f"{value} {counted}"
            )
        else:
            text = _FORMATTER.format_field(value, _FORMATTER.vformat(spec or "", (), facts))
        if lang == "ko":
            if isinstance(value, str) and _RANGE.fullmatch(value):
                text = text.replace("–", "~")
            if form:
                text += particle(text, form)
        out.append(text)
    return "".join(out)


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
        split_field(name)[0].split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }


def particle_problems(template: str) -> list[str]:
    """Placeholders whose particle marker (``{n|을}``) is not a 받침-dependent particle."""
    return [
        name
        for _, name, _, _ in string.Formatter().parse(template)
        if name and split_field(name)[1] and pair_of(split_field(name)[1]) is None
    ]


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
            if isinstance(value.get("ko"), str):
                problems += [
                    f"{key}: {{{p}}} has no such particle" for p in particle_problems(value["ko"])
                ]
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
        return Text(fill(text.ko, facts, "ko"), fill(text.en, facts, "en"))


@lru_cache(maxsize=4)
def messages(folder: Path | None = None) -> Messages:
    """The catalog shipped in ``templates/`` (cached)."""
    return Messages.load((folder or templates_dir()) / "messages.toml")
