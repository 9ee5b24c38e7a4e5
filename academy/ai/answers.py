"""Normalise short answers and read numbers out of them: what "the same answer" means.

Pure Python, standard library only. See academy.ai.grading for how an answer is scored.
"""
from __future__ import annotations

import math
import re
import unicodedata

_LEADING_ARTICLE = re.compile(r"^(?:the|an|a)\s+(?=\S)")
_KOREAN_TRAILERS = ("입니다", "이에요", "예요", "이다", "이요", "임", "다", "요")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"""
    (?P<sign>[+-])?\s*
    (?: (?P<numerator>\d+)\s*/\s*(?P<denominator>\d+)
      | (?P<decimal>(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?) )
    \s*(?P<unit>(?:[^\W\d_]|[%°])\S{0,15})?
""", re.VERBOSE)


def normalise_answer(text: str) -> str:
    """Return the comparable form of an answer (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # Punctuation, separators and control characters become spaces; symbols (+ = < %) stay.
    text = "".join(" " if unicodedata.category(ch)[0] in "PZC" else ch for ch in text)
    text = " ".join(text.split())
    # Korean spacing varies ("이 성 계"), and so does spacing around symbols ("F = ma").
    text = "".join(ch for i, ch in enumerate(text)
                   if ch != " " or not (_sticky(text[i - 1]) or _sticky(text[i + 1])))
    return _LEADING_ARTICLE.sub("", text)


def _sticky(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" \
        or unicodedata.category(ch)[0] == "S"


def parse_number(text: str) -> tuple[float, str] | None:
    """Return (value, unit) when the answer is a number with an optional unit, else None."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = text.replace("\u2212", "-").replace("\u2044", "/")  # minus sign, fraction slash
    match = _NUMBER.fullmatch(_THOUSANDS.sub("", text))
    if match is None:
        return None
    if match["decimal"] is not None:
        value = float(match["decimal"])
    elif int(match["denominator"]) == 0:
        return None
    else:
        value = int(match["numerator"]) / int(match["denominator"])
    if not math.isfinite(value):
        return None
    return (-value if match["sign"] == "-" else value), (match["unit"] or "")


def same_text(answer: str, target: str) -> bool:
    if answer == target:
        return True
    # "광합성입니다" answers "광합성"; only whole copula endings after a Hangul target.
    rest = answer[len(target):] if answer.startswith(target) else None
    return (rest in _KOREAN_TRAILERS and len(target) >= 2
            and "\uac00" <= target[-1] <= "\ud7a3")


def same_number(answer: tuple[float, str], target: tuple[float, str],
                 tolerance: float | None) -> bool:
    (value, unit), (expected, expected_unit) = answer, target
    if unit and expected_unit and unit != expected_unit:
        return False
    if tolerance is None:
        return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)
    return abs(value - expected) <= tolerance * (1 + 1e-9) + 1e-12


def rounded(value: float, digits: int = 4) -> float | int:
    """Return value rounded for a result; a whole number as an int (JSON shows 1, not 1.0)."""
    result = round(value, digits)
    return int(result) if result == int(result) else result
