"""What counts as the same answer: normalising, and numbers with units."""
from __future__ import annotations

import pytest

from academy.ai.answers import normalise_answer, parse_number


@pytest.mark.parametrize("raw, expected", [
    ("Mitochondria.", "mitochondria"),
    ("  The   Mitochondria!! ", "mitochondria"),
    ("ＰＨＯＴＯＳＹＮＴＨＥＳＩＳ", "photosynthesis"),  # full-width letters
    ("이 성 계", "이성계"),  # Korean spacing varies
    ("태조 이성계", "태조이성계"),
    ("H₂O", "h2o"),
    ("X-ray", "x ray"),
    ("F = m × a", "f=m×a"),  # spacing around symbols varies too
    ("Café", "café"),
    ("「광합성」", "광합성"),
    ("a", "a"),  # a lone article stays: it may be the answer to a multiple-choice question
])
def test_normalise_answer(raw, expected):
    assert normalise_answer(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("3.14", (3.14, "")),
    ("１，０００", (1000.0, "")),
    ("1,000,000", (1_000_000.0, "")),
    ("1/2", (0.5, "")),
    ("½", (0.5, "")),
    ("−2.5", (-2.5, "")),
    (".5", (0.5, "")),
    ("6.02e23", (6.02e23, "")),
    ("1592년", (1592.0, "년")),
    ("12 cm", (12.0, "cm")),
    ("9.8 m/s", (9.8, "m/s")),
    ("36.5℃", (36.5, "°c")),
    ("50%", (50.0, "%")),
    ("H2O", None),
    ("1/0", None),
    ("3 4", None),
    ("3,14", None),  # not a thousands separator: ambiguous, so not a number
    ("1e999", None),
    ("삼", None),
])
def test_parse_number(raw, expected):
    assert parse_number(raw) == expected
