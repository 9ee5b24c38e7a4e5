"""Grade short answers against an answer key, and flag near-identical submissions.

Pure Python, standard library only: no Django, no I/O. A job handler validates the payload
with `validate_payload`, then calls `grade` with a progress callback.

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

import heapq
import math
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from typing import Any, Callable

MAX_SUBMISSIONS = 5000
MAX_QUESTIONS = 500
MAX_ANSWER_CHARS = 2000
MAX_DUPLICATE_PAIRS = 500

# (name, weight) for a progress reporter; weights are the measured shares of the run time.
STEPS: tuple[tuple[str, float], ...] = (
    ("normalising", 1.0),
    ("scoring", 3.0),
    ("checking similarity", 9.0),
)

DEFAULT_OPTIONS: dict[str, float | int] = {
    "full_threshold": 0.85,  # similarity from which a non-exact answer earns full points
    "partial_threshold": 0.6,  # ... partial points; below it, zero
    "partial_credit": 0.5,  # share of the points a partial answer earns
    "duplicate_threshold": 0.9,  # cosine from which two submissions are reported
    "duplicate_min_answers": 2,  # non-key answers each student of a pair must have
}

# An answer given by more than max(5, 5 % of the class) students is a common mistake,
# not evidence of copying: it is left out of the duplicate check.
COMMON_ANSWER_MIN = 5
COMMON_ANSWER_SHARE = 0.05

NGRAM_SIZES = (2, 3)

ProgressCallback = Callable[[int, int, str], None]

# --- normalising -----------------------------------------------------------------------------

_LEADING_ARTICLE = re.compile(r"^(?:the|an|a)\s+(?=\S)")
_KOREAN_TRAILERS = ("입니다", "이에요", "예요", "이다", "이요", "임", "다", "요")
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
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


def _same_text(answer: str, target: str) -> bool:
    if answer == target:
        return True
    # "광합성입니다" answers "광합성"; only whole copula endings after a Hangul target.
    rest = answer[len(target):] if answer.startswith(target) else None
    return (rest in _KOREAN_TRAILERS and len(target) >= 2
            and "\uac00" <= target[-1] <= "\ud7a3")


def _same_number(answer: tuple[float, str], target: tuple[float, str],
                 tolerance: float | None) -> bool:
    (value, unit), (expected, expected_unit) = answer, target
    if unit and expected_unit and unit != expected_unit:
        return False
    if tolerance is None:
        return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)
    return abs(value - expected) <= tolerance * (1 + 1e-9) + 1e-12


# --- n-gram TF-IDF ---------------------------------------------------------------------------

def _ngrams(normalised: str) -> Counter[str]:
    # NFD splits Hangul syllables into jamo and accented letters into letter + mark.
    letters = _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", normalised))
    padded = f" {letters} "
    return Counter([padded[i:i + n] for n in NGRAM_SIZES for i in range(len(padded) - n + 1)])


def _idf(documents: list[set[Any]]) -> tuple[dict[Any, float], float]:
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


def _unit_vector(counts: dict[Any, int], idf: dict[Any, float], unseen: float) -> dict[Any, float]:
    vector = {term: tf * idf.get(term, unseen) for term, tf in counts.items()}
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {term: w / norm for term, w in vector.items()} if norm else {}


def _cosine(a: dict[Any, float], b: dict[Any, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())


# --- validating ------------------------------------------------------------------------------

_KEY_FIELDS = {"question", "answer", "points", "accept", "tolerance"}
_SUBMISSION_FIELDS = {"student", "answers"}
_PAYLOAD_FIELDS = {"answer_key", "submissions", "options"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any, where: str, *, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if isinstance(value, str):
        if len(value) > MAX_ANSWER_CHARS:
            raise ValueError(f"{where} is longer than {MAX_ANSWER_CHARS} characters")
        return value
    if _is_number(value):
        return str(value)
    kinds = "a string, a number or null" if allow_none else "a string or a number"
    raise ValueError(f"{where} must be {kinds}, got {type(value).__name__}")


def _unknown(item: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(item) - allowed, key=str)
    if extra:
        raise ValueError(f"{where} has unknown field(s) {', '.join(map(repr, extra))}; "
                         f"expected {', '.join(sorted(allowed))}")


def check_payload(payload: Any) -> tuple[dict[str, Any], list[str]]:
    """Return (cleaned payload, warnings), or raise ValueError saying what is wrong.

    The cleaned payload is valid input again: validating it twice changes nothing.
    """
    if not isinstance(payload, dict):
        raise ValueError(f"payload must be an object, got {type(payload).__name__}")
    _unknown(payload, _PAYLOAD_FIELDS, "payload")
    if "answer_key" not in payload:
        raise ValueError("payload is missing 'answer_key'")
    if "submissions" not in payload:
        raise ValueError("payload is missing 'submissions'")
    key = _clean_key(payload["answer_key"])
    submissions = payload["submissions"]
    if not isinstance(submissions, list):
        raise ValueError(f"submissions must be a list, got {type(submissions).__name__}")
    if len(submissions) > MAX_SUBMISSIONS:
        raise ValueError(f"too many submissions: {len(submissions)} > {MAX_SUBMISSIONS}")
    warnings: list[str] = []
    cleaned_submissions = []
    seen: dict[Any, int] = {}
    for index, submission in enumerate(submissions):
        where = f"submissions[{index}]"
        if not isinstance(submission, dict):
            raise ValueError(f"{where} must be an object, got {type(submission).__name__}")
        _unknown(submission, _SUBMISSION_FIELDS, where)
        student = submission.get("student")
        if isinstance(student, str):
            if not student.strip():
                raise ValueError(f"{where}.student is empty")
        elif not isinstance(student, int) or isinstance(student, bool):
            raise ValueError(f"{where}.student must be a string or an integer id")
        if student in seen:
            raise ValueError(f"{where}.student {student!r} already appears in "
                             f"submissions[{seen[student]}]")
        seen[student] = index
        answers = submission.get("answers")
        if not isinstance(answers, list):
            raise ValueError(f"{where}.answers must be a list, got {type(answers).__name__}")
        if len(answers) > MAX_QUESTIONS:
            raise ValueError(f"{where}.answers has {len(answers)} answers for {len(key)} questions")
        cleaned_answers = [_text(answer, f"{where}.answers[{i}]", allow_none=True)
                           for i, answer in enumerate(answers)]
        if len(answers) < len(key):
            warnings.append(f"{where} (student {student!r}): {len(answers)} answers for "
                            f"{len(key)} questions; the missing ones count as blank")
        elif len(answers) > len(key):
            warnings.append(f"{where} (student {student!r}): {len(answers)} answers for "
                            f"{len(key)} questions; the extra ones are ignored")
        cleaned_submissions.append({"student": student, "answers": cleaned_answers})
    options = _clean_options(payload.get("options", {}))
    return {"answer_key": key, "submissions": cleaned_submissions, "options": options}, warnings


def validate_payload(payload: Any) -> dict[str, Any]:
    """Return the cleaned payload, or raise ValueError saying what is wrong."""
    return check_payload(payload)[0]


def _clean_key(key: Any) -> list[dict[str, Any]]:
    if not isinstance(key, list):
        raise ValueError(f"answer_key must be a list, got {type(key).__name__}")
    if not key:
        raise ValueError("answer_key is empty")
    if len(key) > MAX_QUESTIONS:
        raise ValueError(f"too many questions: {len(key)} > {MAX_QUESTIONS}")
    cleaned = []
    for index, item in enumerate(key):
        where = f"answer_key[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object, got {type(item).__name__}")
        _unknown(item, _KEY_FIELDS, where)
        question = item.get("question", "")
        if not isinstance(question, str):
            raise ValueError(f"{where}.question must be a string")
        if "answer" not in item:
            raise ValueError(f"{where} is missing 'answer'")
        answer = _text(item["answer"], f"{where}.answer")
        if not normalise_answer(answer):
            raise ValueError(f"{where}.answer is empty")
        points = item.get("points", 1)
        if not _is_number(points) or points <= 0:
            raise ValueError(f"{where}.points must be a number > 0, got {points!r}")
        accept = item.get("accept", [])
        if not isinstance(accept, list):
            raise ValueError(f"{where}.accept must be a list, got {type(accept).__name__}")
        alternatives = [_text(alt, f"{where}.accept[{i}]") for i, alt in enumerate(accept)]
        for i, alternative in enumerate(alternatives):
            if not normalise_answer(alternative):
                raise ValueError(f"{where}.accept[{i}] is empty")
        tolerance = item.get("tolerance")
        if tolerance is not None:
            if not _is_number(tolerance) or tolerance < 0:
                raise ValueError(f"{where}.tolerance must be a number >= 0, got {tolerance!r}")
            if parse_number(answer) is None:
                raise ValueError(f"{where}.tolerance is set but the answer {answer!r} is not a number")
        cleaned.append({"question": question, "answer": answer, "points": points,
                        "accept": alternatives, "tolerance": tolerance})
    return cleaned


def _clean_options(options: Any) -> dict[str, float | int]:
    if not isinstance(options, dict):
        raise ValueError(f"options must be an object, got {type(options).__name__}")
    _unknown(options, set(DEFAULT_OPTIONS), "options")
    merged = {**DEFAULT_OPTIONS, **options}
    for name, value in merged.items():
        if not _is_number(value):
            raise ValueError(f"options.{name} must be a number, got {value!r}")
    if not 0 < merged["partial_threshold"] < merged["full_threshold"] <= 1:
        raise ValueError("options must satisfy 0 < partial_threshold < full_threshold <= 1")
    if not 0 <= merged["partial_credit"] <= 1:
        raise ValueError("options.partial_credit must be between 0 and 1")
    if not 0 < merged["duplicate_threshold"] <= 1:
        raise ValueError("options.duplicate_threshold must be > 0 and <= 1")
    if merged["duplicate_min_answers"] != int(merged["duplicate_min_answers"]) \
            or merged["duplicate_min_answers"] < 1:
        raise ValueError("options.duplicate_min_answers must be an integer >= 1")
    merged["duplicate_min_answers"] = int(merged["duplicate_min_answers"])
    return merged


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
    cleaned, warnings = check_payload(payload)
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
    idf, unseen = _idf([{gram for text in q.fuzzy_texts for gram in _ngrams(text)}
                        for q in questions])
    for question in questions:
        question.vectors = [_unit_vector(_ngrams(text), idf, unseen) for text in question.fuzzy_texts]
    students = []
    for done, (submission, row) in enumerate(zip(submissions, prepared), 1):
        scored = [_score(question, normalised, number, idf, unseen, options)
                  for question, (_, normalised, number) in zip(questions, row)]
        total = sum(answer["score"] for answer in scored)
        students.append({"student": submission["student"], "total": _round(total),
                         "max": _round(sum(q.points for q in questions)), "answers": scored})
        progress.tick(done)

    # Step 3: near-duplicates among the answers that are not the key.
    progress.start("checking similarity")
    duplicates = _find_duplicates(submissions, prepared, students, questions, options, progress)

    question_stats = _question_stats(key, prepared, students)
    rated = [q for q in question_stats if q["mean_percent"] is not None]
    hardest = min(rated, key=lambda q: q["mean_percent"])["index"] if rated else None
    totals = [student["total"] for student in students]
    max_total = _round(sum(q.points for q in questions))
    for student in students:
        student["percent"] = _round(100 * student["total"] / max_total, 1)
    return {
        "summary": {
            "submissions": len(students),
            "questions": len(key),
            "max_total": max_total,
            "mean_total": _round(statistics.fmean(totals)) if totals else None,
            "median_total": _round(statistics.median(totals)) if totals else None,
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
            if _same_number(number, target, question.tolerance):
                return _verdict(points, 1.0, "correct", 1.0, "numeric" if match == "exact" else match)
    for match, target in question.texts:
        if _same_text(normalised, target):
            return _verdict(points, 1.0, "correct", 1.0, match)
    if question.numeric_key and (number is not None or not question.fuzzy_texts):
        # A wrong number is wrong; so is text where only numbers are accepted.
        return _verdict(0, 0.0, "wrong", 1.0 if number is not None else 0.9, "none")
    vector = _unit_vector(_ngrams(normalised), idf, unseen)
    similarity = max((_cosine(vector, target) for target in question.vectors), default=0.0)
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
    return {"score": _round(score), "similarity": _round(similarity, 3), "verdict": verdict,
            "confidence": _round(confidence, 3), "match": match}


def _round(value: float, digits: int = 4) -> float | int:
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) else rounded


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
            "mean_score": None if mean is None else _round(mean),
            "mean_percent": None if mean is None else _round(100 * mean / item["points"], 1),
            "correct": verdicts["correct"], "partial": verdicts["partial"],
            "wrong": verdicts["wrong"], "blank": verdicts["blank"],
            "low_confidence": sum(1 for a in answers if a["confidence"] < 0.75),
            "common_wrong_answers": [{"answer": shown[text], "count": count}
                                     for text, count in wrong.most_common(3)],
        })
    return stats


# --- near-duplicates -------------------------------------------------------------------------

def _find_duplicates(submissions: list[dict[str, Any]], prepared: list[list[tuple]],
                     students: list[dict[str, Any]], questions: list[_Question],
                     options: dict[str, Any], progress: _Progress) -> list[dict[str, Any]]:
    """Return pairs whose non-key answers have cosine >= the threshold, most similar first.

    Each submission is one TF-IDF vector over (question, n-gram) features of its answers
    that are neither blank, nor the key, nor a common mistake, leaving out the n-grams of
    the question's key: what counts is what a student wrote *besides* the key, so two
    different misspellings of it do not look alike, while one shared odd typo does. IDF is
    fitted on these vectors. Candidates come from prefix filtering: with unit vectors and features ordered
    rarest first, the first feature two vectors share bounds their cosine by the product
    of the norms of each vector from that feature on, so it must lie in the prefix of each
    where that norm is still >= t; only those prefixes are indexed and probed.
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
    key_grams = [{gram for text in question.fuzzy_texts for gram in _ngrams(text)}
                 for question in questions]
    # Terms are ints: one id per (question, n-gram), so no tuple is hashed in the loops.
    term_ids: list[dict[str, int]] = [{} for _ in questions]
    part_terms: dict[tuple[int, str], dict[int, int]] = {}  # (question, answer) -> {term: tf}
    for answers in kept:
        for q, text in list(answers.items()):
            terms = part_terms.get((q, text))
            if terms is None:
                ids = term_ids[q]
                terms = part_terms[(q, text)] = {
                    ids.setdefault(gram, len(ids) * len(questions) + q): tf
                    for gram, tf in _ngrams(text).items() if gram not in key_grams[q]}
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
    span = len(questions) * (1 + max((len(ids) for ids in term_ids), default=0))
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

    def cosine(i: int, j: int) -> float:
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
                part_dots[key] = _cosine(weights[(q, text)], weights[(q, other)])
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
                    similarity = cosine(i, j)
                    if similarity >= threshold:
                        shared = sorted(q for q, text in kept[j].items() if answers.get(q) == text)
                        pairs.append({"students": [submissions[j]["student"], submissions[i]["student"]],
                                      "similarity": _round(min(similarity, 1.0), 3),
                                      "shared_answers": shared, "_order": (j, i)})
            for term, tail in prefix:
                index[term].append((i, tail))
        progress.tick(i + 1)
    pairs.sort(key=lambda p: (-p["similarity"], p["_order"]))
    for pair in pairs:
        del pair["_order"]
    return pairs


def summarize_result(result: dict[str, Any]) -> dict[str, Any]:
    """Return the result without per-student answers: small enough for the status cache."""
    return {
        "summary": result["summary"],
        "questions": result["questions"],
        "hardest_question": result["hardest_question"],
        "duplicates": result["duplicates"][:20],
        "warnings": result["warnings"][:20],
    }
