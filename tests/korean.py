"""Reading Korean in a PDF's extracted text: words split across lines, particles that disagree
with the number or word before them. Shared by test_korean, test_compare and test_real_sweep."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from reporter.hangul import PAIRS, particle, sound
from reporter.i18n import messages

HANGUL = re.compile(r"[\uac00-\ud7a3]")
FORMS = sorted({form for pair in PAIRS for form in pair}, key=len, reverse=True)
_FORM = "|".join(FORMS)
# a particle form that ends its word (no Hangul straight after it)
_END = r"(?![\uac00-\ud7a3])"
NUMBER_PARTICLE = re.compile(
    rf"(?<![\w.])([+\-]?\d[\d,]*(?:\.\d+)*(?:e[+\-]?\d+)?%?)({_FORM}){_END}"
)
BRACKET_PARTICLE = re.compile(rf"(\S+)\(([^()]*)\)({_FORM}){_END}")
ASCII_PARTICLE = re.compile(rf"([A-Za-z][A-Za-z0-9_.\-]*)({_FORM}){_END}")
# the Korean nouns our sentences put particles after, and the counts of evaluations
NOUN_PARTICLE = re.compile(
    rf"(에포크|스텝|체크포인트|지표|실행|클래스|세트|손실|기준|시점|최적값|평가 \d+회)({_FORM}){_END}"
)
# fixed English words in our Korean sentences, as they are read
READ = {
    "GL": "지엘",
    "patience": "페이션스",
    "validation_split": "스플릿",
    "validation_data": "데이터",
    "Trainer": "트레이너",
}


def vocabulary(*texts: str) -> set[str]:
    """Whitespace-separated words of texts whose spaces are known (sentences, the catalog)."""
    words: set[str] = set()
    for text in texts:
        words.update(re.sub(r"\{[^}]*\}", " ", text).split())
    return words


def catalog_words() -> set[str]:
    return vocabulary(*(t.ko for t in messages().entries.values()))


def split_words(text: str, known: Iterable[str] = ()) -> list[str]:
    """Line ends that cut a Korean word: the end of one line and the start of the next, joined,
    are a word seen whole elsewhere (mid-line in this text, in ``known`` or in the catalog)."""
    lines = [line.split() for line in text.splitlines()]
    whole = catalog_words() | set(known)
    for words in lines:
        whole.update(words[1:-1])
    splits = []
    for a, b in pairwise(lines):
        if not a or not b:
            continue
        joined = a[-1] + b[0]
        if HANGUL.search(joined) and joined in whole:
            splits.append(f"{a[-1]}|{b[0]}")
    return splits


def wrong_particles(text: str) -> list[str]:
    """Particles that disagree with the number, bracketed word or noun before them, the neutral
    written form 을(를), and particles straight after an identifier."""
    flat = " ".join(text.split())
    bad = [m.group(0) for m in re.finditer(r"[을이은과으]\((?:를|가|는|와|로)\)", flat)]
    for m in NUMBER_PARTICLE.finditer(flat):
        if particle(m.group(1), m.group(2)) != m.group(2):
            bad.append(m.group(0))
    for m in BRACKET_PARTICLE.finditer(flat):
        word = m.group(1)
        reading = READ.get(word, word)
        if sound(reading) is None or particle(reading, m.group(3)) != m.group(3):
            bad.append(m.group(0))
    for m in NOUN_PARTICLE.finditer(flat):
        if particle(m.group(1), m.group(2)) != m.group(2):
            bad.append(m.group(0))
    for m in ASCII_PARTICLE.finditer(flat):
        word = m.group(1)
        if word not in READ or particle(READ[word], m.group(2)) != m.group(2):
            bad.append(m.group(0))
    return bad
