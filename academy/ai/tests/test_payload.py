"""The grading payload: every problem answered with one line that names where it is."""
from __future__ import annotations

import copy
import json

import pytest

from academy.ai.grading import grade
from academy.ai.payload import MAX_SUBMISSIONS, payload_check, payload_validate
from academy.ai.tests.test_grading import ANSWER_KEY, CLASS


def payload(**changes):
    base = {"answer_key": copy.deepcopy(ANSWER_KEY), "submissions": copy.deepcopy(CLASS)}
    base.update(changes)
    return base


@pytest.mark.parametrize("bad, reason", [
    ([], "payload must be an object, got list"),
    ({"submissions": []}, "missing 'answer_key'"),
    ({"answer_key": ANSWER_KEY}, "missing 'submissions'"),
    (payload(answer_key="광합성"), "answer_key must be a list, got str"),
    (payload(answer_key=[]), "answer_key is empty"),
    (payload(answer_key=[{"question": "q"}]), r"answer_key\[0\] is missing 'answer'"),
    (payload(answer_key=[{"question": "q", "answer": " ?! "}]), r"answer_key\[0\].answer is empty"),
    (payload(answer_key=[{"question": "q", "answer": ["a"]}]),
     r"answer_key\[0\].answer must be a string or a number, got list"),
    (payload(answer_key=[{"question": "q", "answer": "a", "points": 0}]), "points must be a number > 0"),
    (payload(answer_key=[{"question": "q", "answer": "a", "points": True}]), "points must be a number > 0"),
    (payload(answer_key=[{"question": "q", "answer": "a", "accept": "b"}]), "accept must be a list"),
    (payload(answer_key=[{"question": "q", "answer": "a", "tolerance": 0.1}]),
     "tolerance is set but the answer 'a' is not a number"),
    (payload(answer_key=[{"question": "q", "answer": "1", "tolerance": -1}]), "tolerance must be a number >= 0"),
    (payload(answer_key=[{"question": "q", "answer": "a", "acept": ["b"]}]),
     r"answer_key\[0\] has unknown field\(s\) 'acept'"),
    (payload(submissions={"kim": []}), "submissions must be a list, got dict"),
    (payload(submissions=[{"student": "kim", "answers": "광합성"}]),
     r"submissions\[0\].answers must be a list, got str"),
    (payload(submissions=[{"student": "", "answers": []}]), r"submissions\[0\].student is empty"),
    (payload(submissions=[{"student": 1.5, "answers": []}]), "student must be a string or an integer id"),
    (payload(submissions=[{"student": "kim", "answers": []}, {"student": "kim", "answers": []}]),
     r"submissions\[1\].student 'kim' already appears in submissions\[0\]"),
    (payload(submissions=[{"student": "kim", "answers": [{"text": "a"}]}]),
     r"submissions\[0\].answers\[0\] must be a string, a number or null, got dict"),
    (payload(submissions=[{"student": "kim", "answers": ["x" * 2001]}]), "longer than 2000 characters"),
    (payload(options={"duplicate_threshold": 1.5}), "duplicate_threshold must be > 0 and <= 1"),
    (payload(options={"partial_threshold": 0.9}), "partial_threshold < full_threshold"),
    (payload(options={"cutoff": 1}), r"options has unknown field\(s\) 'cutoff'"),
])
def test_validation_errors_say_what_is_wrong(bad, reason):
    with pytest.raises(ValueError, match=reason):
        payload_validate(bad)


def test_too_many_submissions():
    submissions = [{"student": i, "answers": []} for i in range(MAX_SUBMISSIONS + 1)]
    with pytest.raises(ValueError, match="too many submissions: 5001 > 5000"):
        payload_validate({"answer_key": ANSWER_KEY, "submissions": submissions})


def test_answer_count_mismatch_is_allowed_and_reported():
    cleaned, warnings = payload_check(payload(submissions=[
        {"student": "short", "answers": ["광합성"]},
        {"student": "long", "answers": ["광합성"] * 8},
    ]))
    assert warnings == [
        "submissions[0] (student 'short'): 1 answers for 6 questions; the missing ones count as blank",
        "submissions[1] (student 'long'): 8 answers for 6 questions; the extra ones are ignored",
    ]
    result = grade(cleaned)
    assert [len(s["answers"]) for s in result["students"]] == [6, 6]
    assert result["warnings"] == warnings


def test_validated_payload_is_valid_input_again():
    cleaned = payload_validate(payload(submissions=[{"student": 7, "answers": [3.14, None, 1592]}]))
    assert cleaned["submissions"] == [{"student": 7, "answers": ["3.14", None, "1592"]}]
    assert cleaned["answer_key"][0] == {"question": ANSWER_KEY[0]["question"], "answer": "광합성",
                                        "points": 1, "accept": ["photosynthesis"], "tolerance": None}
    assert payload_validate(cleaned) == cleaned
    json.dumps(cleaned)
