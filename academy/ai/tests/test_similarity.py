"""Near-identical submissions: copied pairs found, common mistakes ignored."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from academy.ai.grading import grade


QUIZ = [
    {"question": "세포에서 에너지를 만드는 기관", "answer": "미토콘드리아"},
    {"question": "Largest planet", "answer": "Jupiter"},
    {"question": "훈민정음을 창제한 왕", "answer": "세종대왕", "accept": ["세종"]},
    {"question": "Author of Hamlet", "answer": "William Shakespeare", "accept": ["Shakespeare"]},
    {"question": "광합성이 일어나는 곳", "answer": "엽록체"},
    {"question": "Chemical symbol of gold", "answer": "Au"},
    {"question": "대한민국의 수도", "answer": "서울"},
    {"question": "Boiling point of water in °C", "answer": "100"},
]


def test_duplicate_detection_finds_a_copied_pair():
    submissions = [
        {"student": "honest-1", "answers": ["미토콘드리아", "Jupiter", "세종", "Shakespeare",
                                            "엽록체", "Au", "서울", "100"]},
        {"student": "honest-2", "answers": ["미토콘드리아", "Jupiter", "세종대왕", "shakespeare",
                                            "엽록체", "Au", "서울", "100"]},  # all correct: not a copy
        {"student": "source", "answers": ["리보솜", "Saturn", "세조", "Charles Dickens",
                                          "핵 속", "Ag", "서울", "90"]},
        {"student": "copier", "answers": ["리보솜", "Saturn", "세조", "Charles Dickens.",
                                          "핵속", "Ag", "서울", "95"]},  # light edits
        {"student": "unlucky", "answers": ["골지체", "Saturn", "세종", "Mark Twain",
                                           "세포막", "Ag", "부산", "90"]},  # shares two wrong answers
        {"student": "other", "answers": ["핵", "Mars", "태종", "Tolstoy", "미토콘드리아",
                                         "Fe", "서울", "212"]},
    ]
    result = grade({"answer_key": QUIZ, "submissions": submissions})

    assert [pair["students"] for pair in result["duplicates"]] == [["source", "copier"]]
    [pair] = result["duplicates"]
    assert pair["similarity"] >= 0.9
    assert pair["shared_answers"] == [0, 1, 2, 3, 4, 5]  # "90" vs "95" differ; 서울 is the key
    assert result["summary"]["possible_copies"] == 1


def test_duplicate_detection_ignores_common_mistakes():
    # Twelve students share the same two misconceptions: a common error, not copying.
    submissions = [{"student": f"s{i}", "answers": ["리보솜", "Saturn", "세종", "Shakespeare",
                                                     "엽록체", "Au", "서울", "100"]}
                   for i in range(12)]
    result = grade({"answer_key": QUIZ, "submissions": submissions})
    assert result["duplicates"] == []
    assert result["questions"][0]["common_wrong_answers"] == [{"answer": "리보솜", "count": 12}]


def test_duplicate_threshold_option():
    submissions = [
        {"student": "a", "answers": ["리보솜", "Saturn", "세조", "Dickens", "핵", "Ag", "부산", "90"]},
        {"student": "b", "answers": ["리보솜", "Saturn", "세조", "Tolstoy", "세포막", "Fe", "대구", "80"]},
    ]
    strict = grade({"answer_key": QUIZ, "submissions": submissions})
    loose = grade({"answer_key": QUIZ, "submissions": submissions,
                   "options": {"duplicate_threshold": 0.2}})  # about 0.26
    assert strict["duplicates"] == []
    assert [p["students"] for p in loose["duplicates"]] == [["a", "b"]]
    assert loose["duplicates"][0]["shared_answers"] == [0, 1, 2]


vocabulary = st.sampled_from(["리보솜", "리보좀", "골지체", "Saturn", "Saturn V", "Mars", "세조",
                              "태종", "Dickens", "Charles Dickens", "핵", "핵막", "Ag", "Fe", "부산",
                              "90", "95", None, "미토콘드리아", "Jupiter"])


@settings(max_examples=40, deadline=None)
@given(classes=st.lists(st.lists(vocabulary, min_size=8, max_size=8), min_size=2, max_size=14),
       threshold=st.floats(0.3, 0.98))
def test_prefix_filtering_finds_every_pair_a_full_comparison_finds(classes, threshold):
    # At a threshold near zero every pair sharing anything is compared in full, so its
    # pairs above `threshold` are what an exhaustive comparison reports.
    submissions = [{"student": i, "answers": answers} for i, answers in enumerate(classes)]
    everything = grade({"answer_key": QUIZ, "submissions": submissions,
                        "options": {"duplicate_threshold": 0.001}})["duplicates"]
    filtered = grade({"answer_key": QUIZ, "submissions": submissions,
                      "options": {"duplicate_threshold": threshold}})["duplicates"]
    expected = [pair for pair in everything if pair["similarity"] >= round(threshold, 3)]
    assert {tuple(p["students"]) for p in filtered} >= {
        tuple(p["students"]) for p in expected if p["similarity"] > round(threshold, 3)}
    assert all(p["similarity"] >= round(threshold, 3) - 0.001 for p in filtered)
