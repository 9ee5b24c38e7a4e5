"""The whole parse: rows, errors and in-file duplicates (parsing.roster)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from academy.students.parsing import RowError, parse_workbook
from academy.students.tests.rosters import MB, student
from academy.testdata.roster import expected_counts, generate_rows, write_roster_xlsx


def test_duplicates_inside_the_file_point_at_the_first_row(tmp_path: Path) -> None:
    path = write_roster_xlsx(tmp_path / "dup.xlsx", [
        student(),
        student(name="이서연"),
        student(parent_phone="+82 10 1234 5678", memo="again"),
        student(name="김민준", parent_phone="010-0000-0000"),  # same name, other family
        student(parent_phone=1012345678),
    ])

    result = parse_workbook(path)

    assert [row.row for row in result.rows] == [2, 3, 5]
    assert result.errors == [
        RowError(4, "김민준", "duplicate of row 2 in this file"),
        RowError(6, "김민준", "duplicate of row 2 in this file"),
    ]


def test_generated_rows_match_their_expected_counts(tmp_path: Path) -> None:
    path = write_roster_xlsx(
        tmp_path / "gen.xlsx", generate_rows(300, seed=7, invalid_every=7, duplicate_every=11)
    )

    result = parse_workbook(path)
    duplicates = _duplicates(result.errors)

    assert expected_counts(300, invalid_every=7, duplicate_every=11) == (
        len(result.rows), len(result.errors) - duplicates, duplicates
    )
    assert list(generate_rows(5, seed=7)) == list(generate_rows(5, seed=7))


def _duplicates(errors: list[RowError]) -> int:
    return sum(error.error.startswith("duplicate of row") for error in errors)


# --- volume ---------------------------------------------------------------------------

@pytest.mark.slow  # openpyxl takes about 25 s to write the file
def test_100000_generated_rows(tmp_path: Path) -> None:
    n = 100_000
    started = time.perf_counter()
    path = write_roster_xlsx(
        tmp_path / "big.xlsx", generate_rows(n, seed=42, invalid_every=100, duplicate_every=250)
    )
    written = time.perf_counter() - started

    started, cpu = time.perf_counter(), time.process_time()
    result = parse_workbook(path)
    parsed, parse_cpu = time.perf_counter() - started, time.process_time() - cpu

    print(f"\n100,000 rows: openpyxl wrote {path.stat().st_size / MB:.1f} MB in {written:.1f} s; "
          f"parse_workbook took {parsed:.2f} s wall, {parse_cpu:.2f} s CPU")
    expected = expected_counts(n, invalid_every=100, duplicate_every=250)
    assert (len(result.rows), result.total) == (expected.valid, n)
    assert len(result.errors) == expected.invalid + expected.duplicates


def test_the_first_rows_table_answers_like_a_dict_through_its_growth():
    import random

    from academy.students.parsing.roster import _FirstRows

    rnd = random.Random(7)
    table, reference = _FirstRows(size=8), {}
    for row in range(50_000):
        # Every third key repeats one of a few hundred; 0 (the free-slot mark) counts as 1.
        key = hash(("name", str(row % 300))) if row % 3 == 0 else rnd.getrandbits(64) - (1 << 63)
        key = 0 if row == 5 else key
        assert table.setdefault(key, row) == reference.setdefault(key or 1, row)
