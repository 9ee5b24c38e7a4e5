"""Find near-identical submissions: pairs whose unusual answers look alike.

Pure Python, standard library only.
"""
from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from typing import Any, Callable

from academy.ai.answers import rounded
from academy.ai.tfidf import cosine, ngrams

# An answer given by more than max(5, 5 % of the class) students is a common mistake,
# not evidence of copying: it is left out of the duplicate check.
COMMON_ANSWER_MIN = 5
COMMON_ANSWER_SHARE = 0.05


def duplicates_find(*, submissions: list[dict[str, Any]], prepared: list[list[tuple]],
                    students: list[dict[str, Any]], key_texts: list[list[str]],
                    options: dict[str, Any], tick: Callable[[int], None]) -> list[dict[str, Any]]:
    """Return pairs whose non-key answers have cosine >= the threshold, most similar first.

    Each submission is one TF-IDF vector over (question, n-gram) features of its answers
    that are neither blank, nor the key, nor a common mistake, leaving out the n-grams of
    the question's key: what counts is what a student wrote *besides* the key, so two
    different misspellings of it do not look alike, while one shared odd typo does. IDF is
    fitted on these vectors. `key_texts` are each question's key and alternatives, normalised.
    Candidates come from prefix filtering: with unit vectors and features ordered rarest
    first, the first feature two vectors share bounds their cosine by the product of the
    norms of each vector from that feature on, so it must lie in the prefix of each where
    that norm is still >= t; only those prefixes are indexed and probed.
    """
    threshold = options["duplicate_threshold"]
    min_answers = options["duplicate_min_answers"]
    count = len(submissions)
    usable: list[dict[int, str]] = []
    for row, student in zip(prepared, students):
        usable.append({q: normalised for q, ((_, normalised, _), answer)
                       in enumerate(zip(row, student["answers"]))
                       if answer["verdict"] != "blank" and answer["match"] in ("similar", "none")})
    frequency: Counter[tuple[int, str]] = Counter(
        (q, text) for answers in usable for q, text in answers.items())
    common = max(COMMON_ANSWER_MIN, math.ceil(COMMON_ANSWER_SHARE * count))
    kept: list[dict[int, str]] = []
    for answers in usable:
        answers = {q: t for q, t in answers.items() if frequency[(q, t)] <= common}
        kept.append(answers if len(answers) >= min_answers else {})

    # A student's vector is the concatenation of one part per (question, answer), so a
    # part's weights are computed once however many students gave that answer.
    key_grams = [{gram for text in texts for gram in ngrams(text)} for texts in key_texts]
    # Terms are ints: one id per (question, n-gram), so no tuple is hashed in the loops.
    term_ids: list[dict[str, int]] = [{} for _ in key_texts]
    part_terms: dict[tuple[int, str], dict[int, int]] = {}  # (question, answer) -> {term: tf}
    for answers in kept:
        for q, text in list(answers.items()):
            terms = part_terms.get((q, text))
            if terms is None:
                ids = term_ids[q]
                terms = part_terms[(q, text)] = {
                    ids.setdefault(gram, len(ids) * len(key_texts) + q): tf
                    for gram, tf in ngrams(text).items() if gram not in key_grams[q]}
            if not terms:
                del answers[q]  # nothing in it but the key's own n-grams
    kept = [answers if len(answers) >= min_answers else {} for answers in kept]
    givers = Counter((q, text) for answers in kept for q, text in answers.items())
    document_frequency: Counter[int] = Counter()
    for part, students_with_it in givers.items():
        for term in part_terms[part]:
            document_frequency[term] += students_with_it
    documents = sum(1 for answers in kept if answers)
    idf = {term: math.log((1 + documents) / (1 + df)) + 1.0
           for term, df in document_frequency.items()}
    # A total order, rarest (highest IDF) first, ties broken by the term id.
    span = len(key_texts) * (1 + max((len(ids) for ids in term_ids), default=0))
    rank = {term: df * span + term for term, df in document_frequency.items()}
    weights: dict[tuple[int, str], dict[int, float]] = {}  # part -> {term rank: weight}
    ordered: dict[tuple[int, str], list[tuple[int, float]]] = {}  # rarest first
    square: dict[tuple[int, str], float] = {}
    for part in givers:
        vector = {rank[term]: tf * idf[term] for term, tf in part_terms[part].items()}
        weights[part] = vector
        ordered[part] = sorted(vector.items())
        square[part] = sum(w * w for w in vector.values())
    norms = [math.sqrt(sum(square[(q, t)] for q, t in answers.items())) for answers in kept]

    part_dots: dict[tuple[int, str, str], float] = {}

    def pair_cosine(i: int, j: int) -> float:
        dot = 0.0
        for q, text in kept[i].items():
            other = kept[j].get(q)
            if other is None:
                continue
            if other == text:
                dot += square[(q, text)]
                continue
            key = (q, text, other) if text < other else (q, other, text)
            if key not in part_dots:
                part_dots[key] = cosine(weights[(q, text)], weights[(q, other)])
            dot += part_dots[key]
        return dot / (norms[i] * norms[j])

    floor = threshold * (1 - 1e-9)  # a hair low: rounding must never lose a pair
    index: dict[int, list[tuple[int, float]]] = defaultdict(list)
    pairs = []
    for i, answers in enumerate(kept):
        if answers:
            prefix = []  # (term, norm of the vector from this term on) while that is >= t
            remaining = 1.0
            merged = heapq.merge(*(ordered[(q, t)] for q, t in answers.items()))
            for term, weight in merged:
                tail = math.sqrt(remaining) if remaining > 0 else 0.0
                if tail < floor:
                    break
                prefix.append((term, tail))
                remaining -= (weight / norms[i]) ** 2
            seen: set[int] = set()
            for term, tail in prefix:
                for j, other_tail in index.get(term, ()):
                    if j in seen:
                        continue
                    seen.add(j)  # only the first shared term bounds the cosine
                    if tail * other_tail < floor:
                        continue
                    similarity = pair_cosine(i, j)
                    if similarity >= threshold:
                        shared = sorted(q for q, text in kept[j].items() if answers.get(q) == text)
                        pairs.append({"students": [submissions[j]["student"], submissions[i]["student"]],
                                      "similarity": rounded(min(similarity, 1.0), 3),
                                      "shared_answers": shared, "_order": (j, i)})
            for term, tail in prefix:
                index[term].append((i, tail))
        tick(i + 1)
    pairs.sort(key=lambda p: (-p["similarity"], p["_order"]))
    for pair in pairs:
        del pair["_order"]
    return pairs
