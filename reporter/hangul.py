"""Korean typography: particles that agree with the word before them, and lines that break
between 어절 only.

Particles. A 받침-dependent particle (을/를, 이/가, 은/는, 과/와, 으로/로, 이라면/라면, …)
follows the sound of the word before it. :func:`particle` reads that sound from the last
Hangul syllable, or from a number as it is read aloud in Korean (``10`` is 십, ``0.960`` ends
in 영, ``20%`` ends in 퍼센트), skipping a closing bracket to the word before the opening one.
For a word it cannot read (an English identifier) it gives the neutral written form, ``을(를)``:
never wrong, but visible, so the catalog phrases sentences with a noun buffer instead
("val_loss 값을").

Line breaking. Korean breaks lines between 어절, at spaces; WeasyPrint does not implement
``word-break: keep-all`` and breaks between any two Hangul syllables. :func:`keep_words` puts a
WORD JOINER (U+2060, no width, no glyph, absent from the PDF's text) between the characters of
every 어절 in the text of an HTML document, so Korean text breaks at spaces only. A run of more
than MAX_WORD characters without a space is an identifier or a path, not a 어절: it keeps its
break opportunities.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"

# the Korean reading of the last digit: does it end in a 받침, and is that 받침 ㄹ?
#   0 영, 1 일, 2 이, 3 삼, 4 사, 5 오, 6 육, 7 칠, 8 팔, 9 구
_DIGIT = {
    "0": (True, False),
    "1": (True, True),
    "2": (False, False),
    "3": (True, False),
    "4": (False, False),
    "5": (False, False),
    "6": (True, False),
    "7": (True, True),
    "8": (True, True),
    "9": (False, False),
}
# an integer that ends in zeros is read by its largest unit: 10 십, 100 백, 1000 천, 10^4 만,
# 10^8 억, 10^12 조, 10^16 경
_TENS = {1: (True, False), 2: (True, False), 3: (True, False)}
_MYRIADS = [(True, False), (True, False), (True, False), (False, False), (True, False)]

# the particle pairs: (after a 받침, after a vowel); 으로/로 also takes 로 after ㄹ
PAIRS = [
    ("이라면", "라면"),
    ("이라고", "라고"),
    ("이라는", "라는"),
    ("이라서", "라서"),
    ("이지만", "지만"),
    ("으로는", "로는"),
    ("으로", "로"),
    ("이며", "며"),
    ("이고", "고"),
    ("이나", "나"),
    ("이다", "다"),
    ("이었", "였"),
    ("을", "를"),
    ("이", "가"),
    ("은", "는"),
    ("과", "와"),
    ("아", "야"),
]
_PAIR_OF = {form: pair for pair in PAIRS for form in pair}

_HANGUL = "\uac00-\ud7a3"
_JAMO = "\u1100-\u11ff\u3130-\u318f"
_CLOSE = {")": "(", "]": "[", "}": "{", "」": "「", "』": "『", "'": "'", '"': '"'}
_NUMBER = re.compile(r"([+\-−]?[\d,]*\d(?:\.\d+)?(?:[eE][+\-]?\d+)?)(%?)$")


def pair_of(form: str) -> tuple[str, str] | None:
    """The (받침, no-받침) pair a written particle belongs to, or None."""
    return _PAIR_OF.get(form)


def _number_sound(number: str) -> tuple[bool, bool]:
    digits = number.replace(",", "").lstrip("+-−")
    if "e" in digits.lower():  # 1.5e-05: read as its exponent's last digit
        return _DIGIT[digits[-1]]
    if "." in digits:  # decimals are read digit by digit: 0.960 ends in 영
        return _DIGIT[digits[-1]]
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped)
    if not stripped or zeros == 0:  # 0 is 영; 23 ends in 삼
        return _DIGIT[digits[-1]]
    if zeros in _TENS:
        return _TENS[zeros]
    # 만, 억, 조, 경 (and 십만, 백만, 천만 are read ending in 만)
    return _MYRIADS[min(zeros // 4, len(_MYRIADS) - 1)]


def sound(word: str) -> tuple[bool, bool] | None:
    """(has a 받침, that 받침 is ㄹ) for how ``word`` ends when read aloud in Korean, or None
    when it cannot be told (English letters, symbols)."""
    text = word.rstrip()
    # a particle after brackets agrees with the word before them: 체크포인트(에포크 3)를
    while text and text[-1] in _CLOSE:
        opening = text.rfind(_CLOSE[text[-1]], 0, len(text) - 1)
        # no opening bracket (or nothing before it): read what is inside
        text = (text[:-1] if opening <= 0 else text[:opening]).rstrip()
    if not text:
        return None
    last = text[-1]
    if "\uac00" <= last <= "\ud7a3":
        final = (ord(last) - 0xAC00) % 28
        return final != 0, final == 8
    m = _NUMBER.search(text)
    if m:
        if m.group(2):  # 퍼센트
            return False, False
        return _number_sound(m.group(1))
    return None


def particle(word: str, form: str) -> str:
    """The form of the particle written as ``form`` (either of its pair: 을 or 를) that agrees
    with ``word``; the neutral ``을(를)`` when ``word`` cannot be read."""
    pair = pair_of(form)
    if pair is None:
        raise ValueError(f"{form!r} is not a 받침-dependent particle")
    after_batchim, after_vowel = pair
    heard = sound(word)
    if heard is None:
        return f"{after_batchim}({after_vowel})"
    batchim, rieul = heard
    if after_batchim.startswith("으로"):
        return after_vowel if not batchim or rieul else after_batchim
    return after_batchim if batchim else after_vowel


def attach(word: str, form: str) -> str:
    """``word`` followed by the agreeing particle: attach("에포크 10", "을") == "에포크 10을"."""
    return word + particle(word, form)


_KOREAN = re.compile(f"[{_HANGUL}{_JAMO}]")
# one character, or one HTML entity (never cut: &lt; stays whole)
_UNIT = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|\w+);|.", re.S)
_TAG = re.compile(r"(<[^>]*>)")
_RAW = re.compile(r"<(head|title|style|script)\b[^>]*>.*?</\1\s*>", re.S | re.I)
# a run this long without a space is an identifier or a path, not a 어절: it may break
MAX_WORD = 32


def join_word(token: str) -> str:
    """A 어절 (a run without spaces that holds Hangul) with no break opportunity inside:
    "77%(평가" stays whole. A longer run is an identifier or a path and keeps its breaks."""
    if len(token) > MAX_WORD or not _KOREAN.search(token):
        return token
    return WORD_JOINER.join(_UNIT.findall(token))


def keep_text(text: str) -> str:
    """Plain (or HTML-escaped) text with every Korean 어절 unbreakable."""
    return re.sub(r"\S+", lambda m: join_word(m.group(0)), text)


def keep_words(html: str) -> str:
    """An HTML document whose visible Korean text breaks between 어절 only. Only text between
    tags changes (never a tag, an attribute, the head or a style sheet), and only by adding
    U+2060, so escaping is untouched."""
    out = []
    last = 0
    for raw in _RAW.finditer(html):
        out.append(_keep_body(html[last : raw.start()]))
        out.append(raw.group(0))
        last = raw.end()
    out.append(_keep_body(html[last:]))
    return "".join(out)


def _keep_body(html: str) -> str:
    parts = _TAG.split(html)
    return "".join(p if i % 2 else keep_text(p) for i, p in enumerate(parts))
