"""Activation codes made in bulk: the format staff hand out, the hash the login side checks."""
from __future__ import annotations

import re

from academy.tenants.activation import (
    ALPHABET,
    activation_code_hash,
    activation_code_matches,
    activation_code_new,
    activation_codes_new,
)

SHAPE = re.compile(f"[{ALPHABET}]{{4}}(-[{ALPHABET}]{{4}}){{3}}")


def test_bulk_codes_have_the_printed_shape_and_the_hash_that_login_checks():
    codes = activation_codes_new(500)
    assert len(codes) == 500
    for code, stored in codes:
        assert SHAPE.fullmatch(code), code
        assert stored == activation_code_hash(code)
        assert activation_code_matches(code.lower().replace("-", " "), stored)
    assert len({code for code, _ in codes}) == 500, "80 random bits: no repeats"


def test_every_alphabet_letter_is_reachable_and_nothing_else():
    seen = set("".join(code for code, _ in activation_codes_new(2000)).replace("-", ""))
    assert seen == set(ALPHABET)


def test_single_code_matches_its_hash_and_not_another():
    (code, stored), (other, _) = activation_code_new(), activation_code_new()
    assert activation_code_matches(code, stored)
    assert not activation_code_matches(other, stored)
