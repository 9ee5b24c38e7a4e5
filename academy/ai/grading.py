"""Grade short answers against an answer key, and flag near-identical submissions.

No I/O. A job handler validates the payload with academy.ai.payload (a DRF serializer), then
calls `grade` with a progress callback. Answers are compared by academy.ai.answers and
academy.ai.tfidf; near-identical submissions are found by academy.ai.similarity.

How an answer is scored, in order:
1. blank (missing, empty after normalising): zero.
2. equal to the key or an accepted alternative after normalising (NFKC, so full-width
   letters and digits become ASCII; case folded; punctuation dropped; no spaces next to
   Hangul, as Korean spacing varies; a leading English article dropped; a trailing Korean
   copula such as "입니다" allowed): full points.
3. a numeric key: compared as numbers ("1/2" = "0.5", "1,000" = "1000", "1592년" = "1592")
   within the item's `tolerance` (absolute; default: equal up to float rounding). A number
   is never scored by text similarity: "1235" is not "almost 1234".
4. otherwise the cosine similarity of character n-gram TF-IDF vectors (Hangul split into
   jamo, so one wrong syllable costs one letter, not the whole syllable) against the key
   and alternatives: full, partial or zero points by thresholds. The IDF is fitted on the
   answer key alone, never on the submissions, so a student's score does not depend on
   what the other students wrote.
"""
from __future__ import annotations

import statistics
from collections import Counter
from typing import Any, Callable

from academy.ai.answers import normalise_answer, parse_number, rounded, same_number, same_text
from academy.ai.payload import payload_check
from academy.ai.similarity import duplicates_find
from academy.ai.tfidf import cosine, idf_fit, ngrams, unit_vector

MAX_DUPLICATE_PAIRS = 500

# (name, weight) for a progress reporter; weights are the measured shares of the run time.
STEPS: tuple[tuple[str, float], ...] = (
    ("normalising", 1.0),
    ("scoring", 3.0),
    ("checking similarity", 9.0),
)

ProgressCallback = Callable[[int, int, str], None]

# --- grading ---------------------------------------------------------------------------------

class _Question:
    """One key item, prepared for scoring."""

    def __init__(self, item: dict[str, Any]):
        self.points = item["points"]
        self.tolerance = item["tolerance"]
        targets = [("exact", item["answer"])] + [("alternative", alt) for alt in item["accept"]]
        # A target that is a number is only ever compared as a number ("-3" is not "3").
        self.numbers = [(match, number) for match, text in targets
                        if (number := parse_number(text)) is not None]
        self.texts = [(match, normalise_answer(text)) for match, text in targets
                      if parse_number(text) is None]
        self.numeric_key = parse_number(item["answer"]) is not None
        self.fuzzy_texts = [text for _, text in self.texts]
        self.vectors: list[dict[str, float]] = []
        self.cache: dict[str, dict[str, Any]] = {}


class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback = callback
        self.total = total
        self.every = max(1, -(-total // 100))  # about 100 calls per step

    def start(self, step: str) -> None:
        self.step = step
        if self.callback:
            self.callback(0, self.total, step)

    def tick(self, done: int) -> None:
        if self.callback and (done % self.every == 0 or done == self.total) and done:
            self.callback(done, self.total, self.step)


def grade(payload: Any, *, on_progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Grade every submission and return a JSON-serialisable result.

    `on_progress(done, total, step)` is called as each step of STEPS starts (done=0) and
    then per batch of students (about 1 %), ending each step with done == total.
    Raise ValueError when the payload is invalid.
    """
    cleaned, warnings = payload_check(payload)
    options = cleaned["options"]
    key = cleaned["answer_key"]
    submissions = cleaned["submissions"]
    questions = [_Question(item) for item in key]
    progress = _Progress(on_progress, len(submissions))

    # Step 1: normalise every answer once (identical raw answers share the work).
    progress.start("normalising")
    seen: dict[str, tuple[str, tuple[float, str] | None]] = {}
    prepared: list[list[tuple[str | None, str, tuple[float, str] | None]]] = []
    for done, submission in enumerate(submissions, 1):
        answers = (submission["answers"] + [None] * len(key))[: len(key)]
        row = []
        for raw in answers:
            if raw is None:
                row.append((None, "", None))
                continue
            if raw not in seen:
                seen[raw] = (normalise_answer(raw), parse_number(raw))
            row.append((raw, *seen[raw]))
        prepared.append(row)
        progress.tick(done)

    # Step 2: score.
    progress.start("scoring")
    idf, unseen = idf_fit([{gram for text in q.fuzzy_texts for gram in ngrams(text)}
                           for q in questions])
    for question in questions:
        question.vectors = [unit_vector(ngrams(text), idf, unseen) for text in question.fuzzy_texts]
    students = []
    for done, (submission, row) in enumerate(zip(submissions, prepared), 1):
        scored = [_score(question, normalised, number, idf, unseen, options)
                  for question, (_, normalised, number) in zip(questions, row)]
        total = sum(answer["score"] for answer in scored)
        students.append({"student": submission["student"], "total": rounded(total),
                         "max": rounded(sum(q.points for q in questions)), "answers": scored})
        progress.tick(done)

    # Step 3: near-duplicates among the answers that are not the key.
    progress.start("checking similarity")
    duplicates = duplicates_find(submissions=submissions, prepared=prepared, students=students,
                                 key_texts=[q.fuzzy_texts for q in questions], options=options,
                                 tick=progress.tick)

    question_stats = _question_stats(key, prepared, students)
    rated = [q for q in question_stats if q["mean_percent"] is not None]
    hardest = min(rated, key=lambda q: q["mean_percent"])["index"] if rated else None
    totals = [student["total"] for student in students]
    max_total = rounded(sum(q.points for q in questions))
    for student in students:
        student["percent"] = rounded(100 * student["total"] / max_total, 1)
    return {
        "summary": {
            "submissions": len(students),
            "questions": len(key),
            "max_total": max_total,
            "mean_total": rounded(statistics.fmean(totals)) if totals else None,
            "median_total": rounded(statistics.median(totals)) if totals else None,
            "possible_copies": len(duplicates),
        },
        "questions": question_stats,
        "hardest_question": hardest,
        "students": students,
        "duplicates": duplicates[:MAX_DUPLICATE_PAIRS],
        "duplicates_truncated": len(duplicates) > MAX_DUPLICATE_PAIRS,
        "warnings": warnings,
        "options": options,
    }


def _score(question: _Question, normalised: str, number: tuple[float, str] | None,
           idf: dict[str, float], unseen: float, options: dict[str, Any]) -> dict[str, Any]:
    cache_key = normalised if number is None else f"{normalised}\x00{number}"
    cached = question.cache.get(cache_key)
    if cached is None:
        cached = question.cache[cache_key] = _judge(question, normalised, number, idf, unseen, options)
    return dict(cached)


def _judge(question: _Question, normalised: str, number: tuple[float, str] | None,
           idf: dict[str, float], unseen: float, options: dict[str, Any]) -> dict[str, Any]:
    points = question.points
    if not normalised and number is None:
        return _verdict(0, 0.0, "blank", 1.0, "none")
    if number is not None:
        for match, target in question.numbers:
            if same_number(number, target, question.tolerance):
                return _verdict(points, 1.0, "correct", 1.0, "numeric" if match == "exact" else match)
    for match, target in question.texts:
        if same_text(normalised, target):
            return _verdict(points, 1.0, "correct", 1.0, match)
    if question.numeric_key and (number is not None or not question.fuzzy_texts):
        # A wrong number is wrong; so is text where only numbers are accepted.
        return _verdict(0, 0.0, "wrong", 1.0 if number is not None else 0.9, "none")
    vector = unit_vector(ngrams(normalised), idf, unseen)
    similarity = max((cosine(vector, target) for target in question.vectors), default=0.0)
    full, partial = options["full_threshold"], options["partial_threshold"]
    if similarity >= full:
        verdict, score = "correct", points
    elif similarity >= partial:
        verdict, score = "partial", points * options["partial_credit"]
    else:
        verdict, score = "wrong", 0
    # Confident far from a threshold; a coin toss right at one.
    distance = min(abs(similarity - full), abs(similarity - partial))
    confidence = 0.5 + 0.5 * min(1.0, distance / 0.15)
    return _verdict(score, similarity, verdict, confidence, "similar")


def _verdict(score: float, similarity: float, verdict: str, confidence: float,
             match: str) -> dict[str, Any]:
    return {"score": rounded(score), "similarity": rounded(similarity, 3), "verdict": verdict,
            "confidence": rounded(confidence, 3), "match": match}


def _question_stats(key: list[dict[str, Any]], prepared: list[list[tuple]],
                    students: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stats = []
    for index, item in enumerate(key):
        answers = [student["answers"][index] for student in students]
        verdicts = Counter(answer["verdict"] for answer in answers)
        wrong: Counter[str] = Counter()
        shown: dict[str, str] = {}
        for row, answer in zip(prepared, answers):
            if answer["verdict"] in ("wrong", "partial"):
                raw, normalised, _ = row[index]
                wrong[normalised] += 1
                shown.setdefault(normalised, raw.strip())
        mean = statistics.fmean(a["score"] for a in answers) if answers else None
        stats.append({
            "index": index,
            "question": item["question"],
            "points": item["points"],
            "mean_score": None if mean is None else rounded(mean),
            "mean_percent": None if mean is None else rounded(100 * mean / item["points"], 1),
            "correct": verdicts["correct"], "partial": verdicts["partial"],
            "wrong": verdicts["wrong"], "blank": verdicts["blank"],
            "low_confidence": sum(1 for a in answers if a["confidence"] < 0.75),
            "common_wrong_answers": [{"answer": shown[text], "count": count}
                                     for text, count in wrong.most_common(3)],
        })
    return stats


def summarize_result(result: dict[str, Any]) -> dict[str, Any]:
    """Return the result without per-student answers: small enough for the status cache."""
    return {
        "summary": result["summary"],
        "questions": result["questions"],
        "hardest_question": result["hardest_question"],
        "duplicates": result["duplicates"][:20],
        "warnings": result["warnings"][:20],
    }
