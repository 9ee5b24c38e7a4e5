"""Character n-gram TF-IDF vectors and their cosine: how alike two answers are.

Pure Python, standard library only.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import Any

NGRAM_SIZES = (2, 3)
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def ngrams(normalised: str) -> Counter[str]:
    # NFD splits Hangul syllables into jamo and accented letters into letter + mark.
    letters = _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", normalised))
    padded = f" {letters} "
    return Counter([padded[i:i + n] for n in NGRAM_SIZES for i in range(len(padded) - n + 1)])


def idf_fit(documents: list[set[Any]]) -> tuple[dict[Any, float], float]:
    """Return the smoothed IDF of every term, and the weight of a term no document has.

    An unseen term weighs as much as the rarest seen one (df = 1): the documents can tell
    how common a term is among them, not how much rarer than that an unseen one is.
    Weighing it more would make one typo cost more on a short quiz than on a long one.
    """
    count = len(documents)
    frequency: Counter[Any] = Counter()
    for terms in documents:
        frequency.update(terms)
    unseen = math.log((1 + count) / 2) + 1.0
    return {term: math.log((1 + count) / (1 + df)) + 1.0 for term, df in frequency.items()}, unseen


def unit_vector(counts: dict[Any, int], idf: dict[Any, float], unseen: float) -> dict[Any, float]:
    vector = {term: tf * idf.get(term, unseen) for term, tf in counts.items()}
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {term: w / norm for term, w in vector.items()} if norm else {}


def cosine(a: dict[Any, float], b: dict[Any, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())
