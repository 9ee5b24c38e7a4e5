"""Short-answer grading: a science and history quiz in Korean and English."""
from __future__ import annotations

import json
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from academy.ai.answers import normalise_answer
from academy.ai.grading import STEPS, grade, summarize_result

ANSWER_KEY = [
    {"question": "식물이 빛에너지로 양분을 만드는 과정은?", "answer": "광합성",
     "accept": ["photosynthesis"]},
    {"question": "What is the powerhouse of the cell?", "answer": "mitochondria",
     "accept": ["mitochondrion"]},
    {"question": "조선을 건국한 인물은?", "answer": "이성계", "accept": ["태조"], "points": 2},
    {"question": "원주율을 소수 둘째 자리까지 쓰시오.", "answer": "3.14", "tolerance": 0.005},
    {"question": "물이 수증기로 변하는 현상은?", "answer": "증발", "accept": ["evaporation"]},
    {"question": "임진왜란이 일어난 해는?", "answer": "1592"},
]

CLASS = [
    {"student": "김민준", "answers": ["광합성입니다", "Mitochondria.", "이 성 계", "3.141", "증발", "1592년"]},
    {"student": "이서연", "answers": ["ＰＨＯＴＯＳＹＮＴＨＥＳＩＳ", "the mitochondria", "태조", "3.14", "Evaporation", "1,592"]},
    {"student": "박지호", "answers": ["광합썽", "mitochondira", "태조 이성계", "3.2", "증발현상", "1593"]},
    {"student": "최수아", "answers": ["호흡", "nucleus", "이순신", "3", None, "1492"]},
    {"student": "정하은", "answers": ["", "chloroplast", "이방원", "22/7"]},
]


def verdicts(result, student):
    [row] = [s for s in result["students"] if s["student"] == student]
    return [(a["verdict"], a["match"]) for a in row["answers"]]


# --- grading -----------------------------------------------------------------------------------

def test_grades_a_small_korean_and_english_class():
    result = grade({"answer_key": ANSWER_KEY, "submissions": CLASS})

    assert verdicts(result, "김민준") == [
        ("correct", "exact"),  # "광합성입니다": a copula ending is not a different answer
        ("correct", "exact"), ("correct", "exact"), ("correct", "numeric"),
        ("correct", "exact"), ("correct", "numeric"),  # "1592년" is 1592
    ]
    assert verdicts(result, "이서연") == [
        ("correct", "alternative"), ("correct", "exact"), ("correct", "alternative"),
        ("correct", "numeric"), ("correct", "alternative"), ("correct", "numeric"),
    ]
    assert verdicts(result, "박지호") == [
        ("partial", "similar"),  # one wrong consonant
        ("partial", "similar"),  # a transposition
        ("partial", "similar"),  # the key with a title in front
        ("wrong", "none"),  # 3.2 is outside 3.14 ± 0.005
        ("partial", "similar"),  # "증발현상" = "evaporation phenomenon"
        ("wrong", "none"),  # 1593 is not "almost" 1592: numbers are never fuzzy
    ]
    assert verdicts(result, "최수아") == [
        ("wrong", "similar"), ("wrong", "similar"), ("wrong", "similar"),
        ("wrong", "none"), ("blank", "none"), ("wrong", "none"),
    ]
    # Fewer answers than questions: the rest are blank, and the payload is reported.
    assert verdicts(result, "정하은") == [
        ("blank", "none"), ("wrong", "similar"), ("wrong", "similar"),
        ("correct", "numeric"),  # 22/7 = 3.1429, within the tolerance
        ("blank", "none"), ("blank", "none"),
    ]
    assert result["warnings"] == [
        "submissions[4] (student '정하은'): 4 answers for 6 questions; the missing ones count as blank",
    ]

    students = {s["student"]: s for s in result["students"]}
    assert students["김민준"]["total"] == 7 and students["김민준"]["max"] == 7
    assert students["김민준"]["percent"] == 100
    assert students["박지호"]["total"] == 0.5 + 0.5 + 1 + 0.5  # partial = half the points
    assert students["최수아"]["total"] == 0
    partial = students["박지호"]["answers"][0]
    assert 0.6 <= partial["similarity"] < 0.85 and 0.5 <= partial["confidence"] <= 1

    by_index = result["questions"]
    assert [q["correct"] for q in by_index] == [2, 2, 2, 3, 2, 2]
    assert by_index[3]["common_wrong_answers"] == [{"answer": "3.2", "count": 1}, {"answer": "3", "count": 1}]
    hardest = min(by_index, key=lambda q: q["mean_percent"])
    assert result["hardest_question"] == hardest["index"]
    json.dumps(result, allow_nan=False)  # JSON-serialisable as it is


def test_summary_statistics():
    result = grade({"answer_key": ANSWER_KEY, "submissions": CLASS})
    totals = sorted(s["total"] for s in result["students"])
    assert totals == [0, 1, 2.5, 7, 7]
    assert result["summary"] == {"submissions": 5, "questions": 6, "max_total": 7,
                                 "mean_total": 3.5, "median_total": 2.5, "possible_copies": 0}
    small = summarize_result(result)
    assert "students" not in small and small["summary"] == result["summary"]
    assert len(json.dumps(small)) < len(json.dumps(result))


@pytest.mark.parametrize("answer, expected", [
    ("3.14", "correct"), ("3.141", "correct"), ("3.145", "correct"),  # on the boundary
    ("3.1", "wrong"), ("3.15", "wrong"), ("pi", "wrong"), ("31.4", "wrong"),
])
def test_numeric_answers_use_the_tolerance(answer, expected):
    key = [{"question": "pi", "answer": "3.14", "tolerance": 0.005}]
    result = grade({"answer_key": key, "submissions": [{"student": 1, "answers": [answer]}]})
    assert result["students"][0]["answers"][0]["verdict"] == expected


@pytest.mark.parametrize("key_answer, answer, expected", [
    ("0.5", "1/2", "correct"),
    ("0.5", ".5", "correct"),
    ("0.5", "0.5000001", "wrong"),  # no tolerance: equal up to float rounding only
    ("0.1", str(0.1 + 0.2 - 0.2), "correct"),
    ("1000", "1,000", "correct"),
    ("12 cm", "12", "correct"),  # a missing unit is forgiven ...
    ("12 cm", "12cm", "correct"),
    ("12 cm", "12 m", "wrong"),  # ... a different unit is not
    ("1234", "1235", "wrong"),
    ("-3", "−3", "correct"),
    ("-3", "3", "wrong"),
])
def test_numeric_answers_compare_as_numbers(key_answer, answer, expected):
    key = [{"question": "q", "answer": key_answer}]
    result = grade({"answer_key": key, "submissions": [{"student": "s", "answers": [answer]}]})
    scored = result["students"][0]["answers"][0]
    assert scored["verdict"] == expected
    assert scored["similarity"] == (1 if expected == "correct" else 0)


def test_options_change_thresholds_and_partial_credit():
    key = [{"question": "q", "answer": "mitochondria", "points": 4}]
    submissions = [{"student": "s", "answers": ["mitochondira"]}]  # similarity about 0.7
    default = grade({"answer_key": key, "submissions": submissions})["students"][0]
    lenient = grade({"answer_key": key, "submissions": submissions,
                     "options": {"full_threshold": 0.6, "partial_threshold": 0.3}})["students"][0]
    stingy = grade({"answer_key": key, "submissions": submissions,
                    "options": {"partial_credit": 0.25}})["students"][0]
    assert (default["total"], lenient["total"], stingy["total"]) == (2, 4, 1)


# --- progress ----------------------------------------------------------------------------------

def test_progress_steps_are_in_order_and_monotonic():
    calls = []
    submissions = [{"student": i, "answers": ["광합성", "nucleus"]} for i in range(250)]
    grade({"answer_key": ANSWER_KEY, "submissions": submissions},
          on_progress=lambda done, total, step: calls.append((done, total, step)))

    names = [name for name, _ in STEPS]
    assert [step for i, (_, _, step) in enumerate(calls) if i == 0 or calls[i - 1][2] != step] == names
    for name in names:
        dones = [done for done, total, step in calls if step == name]
        assert dones[0] == 0 and dones[-1] == 250
        assert dones == sorted(dones)
        assert len(dones) <= 102  # batched: about one call per 1 %
    assert {total for _, total, _ in calls} == {250}


def test_progress_with_no_submissions():
    calls = []
    result = grade({"answer_key": ANSWER_KEY, "submissions": []},
                   on_progress=lambda *args: calls.append(args))
    assert calls == [(0, 0, name) for name, _ in STEPS]
    assert result["hardest_question"] is None and result["summary"]["mean_total"] is None


# --- properties --------------------------------------------------------------------------------

answers = st.text(alphabet=st.sampled_from("광합성이 세종대왕 mitochondria 3.14 ,.!ＡＢ가-"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(key=answers.filter(lambda text: normalise_answer(text) != ""))
def test_the_key_itself_always_earns_full_points(key):
    result = grade({"answer_key": [{"question": "q", "answer": key, "points": 3}],
                    "submissions": [{"student": "s", "answers": [key]}]})
    assert result["students"][0]["total"] == 3


@settings(max_examples=40, deadline=None)
@given(others=st.lists(st.lists(answers, min_size=2, max_size=2), max_size=8))
def test_a_score_does_not_depend_on_the_other_submissions(others):
    key = [{"question": "q1", "answer": "광합성"}, {"question": "q2", "answer": "mitochondria"}]
    mine = {"student": "me", "answers": ["광합성 작용", "mitochondira"]}
    alone = grade({"answer_key": key, "submissions": [mine]})["students"][0]
    crowd = [{"student": f"o{i}", "answers": a} for i, a in enumerate(others)]
    together = grade({"answer_key": key, "submissions": [mine, *crowd]})["students"][0]
    assert together == alone


# --- a whole school year ------------------------------------------------------------------------

def _synthetic_exam(count: int, seed: int = 7):
    """Return (key, submissions, copied pair): realistic mixes of right, misspelt, commonly
    wrong, odd and blank answers, with one student copying another with light edits."""
    rng = random.Random(seed)
    key = [
        {"question": "광합성", "answer": "광합성", "accept": ["photosynthesis"]},
        {"question": "cell", "answer": "mitochondria"},
        {"question": "조선", "answer": "이성계", "accept": ["태조"], "points": 2},
        {"question": "pi", "answer": "3.14", "tolerance": 0.005},
        {"question": "증발", "answer": "증발", "accept": ["evaporation"]},
        {"question": "임진왜란", "answer": "1592"},
        {"question": "한글", "answer": "세종대왕", "accept": ["세종"]},
        {"question": "Hamlet", "answer": "William Shakespeare", "accept": ["Shakespeare"]},
        {"question": "수도", "answer": "서울"},
        {"question": "gold", "answer": "Au"},
        {"question": "planet", "answer": "Jupiter"},
        {"question": "엽록체", "answer": "엽록체"},
        {"question": "speed of light km/s", "answer": "300000", "tolerance": 500},
        {"question": "삼권분립", "answer": "입법 행정 사법", "points": 3},
        {"question": "Newton's second law", "answer": "F = ma", "accept": ["force equals mass times acceleration"]},
        {"question": "DNA", "answer": "deoxyribonucleic acid"},
        {"question": "독립선언", "answer": "1919"},
        {"question": "가장 큰 바다", "answer": "태평양", "accept": ["Pacific Ocean"]},
        {"question": "photosynthesis gas", "answer": "carbon dioxide", "accept": ["CO2", "이산화탄소"]},
        {"question": "fraction", "answer": "3/4", "accept": ["0.75"]},
    ]
    common = [["호흡"], ["nucleus"], ["이방원"], ["3.1"], ["응결"], ["1598"], ["세조"],
              ["Charles Dickens"], ["부산"], ["Ag"], ["Saturn"], ["미토콘드리아"], ["3000"],
              ["입법 사법"], ["F = mv"], ["ribonucleic acid"], ["1945"], ["대서양"], ["oxygen"], ["2/3"]]
    letters = "abcdefghijklmnopqrstuvwxyz가나다라마바사아자차카타파하"

    def misspell(text: str) -> str:
        i = rng.randrange(len(text))
        return text[:i] + rng.choice(letters) + text[i + 1:]

    submissions = []
    for student in range(count):
        skill = rng.random()
        answers = []
        for q, item in enumerate(key):
            roll = rng.random()
            if roll < skill:
                answers.append(rng.choice([item["answer"], *item.get("accept", [])]))
            elif roll < skill + 0.08:
                answers.append(misspell(item["answer"]))
            elif roll < skill + 0.25:
                answers.append(rng.choice(common[q]))
            elif roll < skill + 0.3:
                answers.append(None)
            else:
                answers.append(f"{misspell(rng.choice(common[q]))} {rng.randrange(10**6)}")
        submissions.append({"student": f"student-{student:04d}", "answers": answers})
    source, copier = submissions[42], submissions[1500]
    copier["answers"] = list(source["answers"])
    wrong = [q for q, answer in enumerate(source["answers"]) if answer != key[q]["answer"]]
    copier["answers"][wrong[0]] = misspell(key[wrong[0]]["answer"])  # one answer changed
    return key, submissions, (source["student"], copier["student"])


def test_two_thousand_submissions_are_graded(capsys):
    key, submissions, copied = _synthetic_exam(2000)
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def on_progress(done, total, step):
        steps.setdefault(step, time.perf_counter())

    result = grade({"answer_key": key, "submissions": submissions}, on_progress=on_progress)
    elapsed = time.perf_counter() - started
    size = len(json.dumps(result, ensure_ascii=False))

    marks = [*steps.values(), started + elapsed]
    timings = ", ".join(f"{name} {b - a:.2f}s" for name, a, b in zip(steps, marks, marks[1:]))
    with capsys.disabled():
        print(f"\n2000 submissions x {len(key)} questions graded in {elapsed:.2f}s "
              f"({timings}); result {size / 1e6:.1f} MB; {len(result['duplicates'])} possible copies")

    # The time is printed, not asserted: speed is for bench/, and CI machines are noisy.
    assert result["summary"]["submissions"] == 2000
    assert result["duplicates"][0]["students"] == list(copied)
    assert len(result["duplicates"]) <= 3
