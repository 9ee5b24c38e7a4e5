"""Generate roster workbooks for tests and benchmarks (openpyxl, no Django).

`generate_rows` is deterministic for a seed, so a benchmark and its baseline
import the same 100,000 students; `expected_counts` says how many of them
`parse_workbook` should accept, reject and report as duplicates.
"""
from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from openpyxl import Workbook

from academy.students.parsing import FIELDS

KOREAN_HEADERS = {
    "name": "이름", "parent_phone": "학부모 전화번호", "phone": "전화번호",
    "school": "학교", "school_type": "학교구분", "grade": "학년", "class_name": "반",
    "major": "전공", "gender": "성별", "memo": "메모",
}
ENGLISH_HEADERS = {
    "name": "name", "parent_phone": "parent_phone", "phone": "phone",
    "school": "school", "school_type": "school_type", "grade": "grade",
    "class_name": "class", "major": "major", "gender": "gender", "memo": "memo",
}


def write_roster_xlsx(
    path: str | os.PathLike[str],
    rows: Iterable[Mapping[str, object]],
    *,
    korean_headers: bool = True,
    columns: Sequence[str] = FIELDS,
    headers: Mapping[str, str] | None = None,
) -> Path:
    """Write a header and rows to a one-sheet .xlsx; stream, never hold the sheet.

    `headers` overrides the header text per field; a row's missing key or None
    leaves the cell empty, and keys outside `columns` are ignored.
    """
    titles = headers or (KOREAN_HEADERS if korean_headers else ENGLISH_HEADERS)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("학생명단" if korean_headers else "Students")
    sheet.append([titles[field] for field in columns])
    for row in rows:
        sheet.append([row.get(field) for field in columns])
    workbook.save(path)
    return Path(path)


class Expected(NamedTuple):
    """What parse_workbook should make of generated rows."""

    valid: int
    invalid: int
    duplicates: int


_VALID, _INVALID, _DUPLICATE = "valid", "invalid", "duplicate"


def _kinds(n: int, *, invalid_every: int, duplicate_every: int) -> Iterator[str]:
    seen_valid = False
    for index in range(1, n + 1):
        if invalid_every and index % invalid_every == 0:
            yield _INVALID
        elif duplicate_every and index % duplicate_every == 0 and seen_valid:
            yield _DUPLICATE
        else:
            seen_valid = True
            yield _VALID


def expected_counts(n: int, *, invalid_every: int = 0, duplicate_every: int = 0) -> Expected:
    """Return how many of generate_rows(n, ...) are valid, invalid and duplicates."""
    counts = {_VALID: 0, _INVALID: 0, _DUPLICATE: 0}
    for kind in _kinds(n, invalid_every=invalid_every, duplicate_every=duplicate_every):
        counts[kind] += 1
    return Expected(counts[_VALID], counts[_INVALID], counts[_DUPLICATE])


_SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나"
_SYLLABLES = "민서준지우현윤도하예수연은채호진영유건재시아원주성태혜린율소다빈규"
_SCHOOLS = (
    ("서울초등학교", "초등", 6), ("한빛초등학교", "초등", 6), ("대치중학교", "중등", 3),
    ("목동중학교", "중등", 3), ("청담중학교", "중등", 3), ("휘문고등학교", "고등", 3),
    ("경기고등학교", "고등", 3), ("숙명여자고등학교", "고등", 3), ("단대부속고등학교", "고등", 3),
)
_MEMOS = ("", "", "", "형제 재원", "수학 심화반 희망", "셔틀 이용", "알레르기 있음")
# Multiplying by a number coprime to 10**8 permutes 8-digit suffixes: every row
# index gets its own parent phone, so only the planted duplicates collide.
_PHONE_STEP = 48_271


def _parent_phone(index: int, seed: int, style: int) -> object:
    digits = f"{(index * _PHONE_STEP + seed * 7_919) % 10**8:08d}"
    if style == 0:
        return f"010-{digits[:4]}-{digits[4:]}"
    if style == 1:
        return f"010{digits}"
    if style == 2:
        return f"010 {digits[:4]} {digits[4:]}"
    return int(f"10{digits}")  # a number cell: Excel shows it without the 0


def generate_rows(
    n: int, *, seed: int, invalid_every: int = 0, duplicate_every: int = 0
) -> Iterator[dict[str, object]]:
    """Yield n roster rows as dicts keyed by FIELDS, lazily.

    Every invalid_every-th row is invalid (in turn: no name, a short parent phone,
    grade 고7, gender 기타); every duplicate_every-th other row repeats the last
    valid row's name and parent phone, written in another format.
    """
    rnd = random.Random(seed)
    last_valid: dict[str, object] | None = None
    kinds = _kinds(n, invalid_every=invalid_every, duplicate_every=duplicate_every)
    for index, kind in enumerate(kinds):
        school, school_type, top_grade = rnd.choice(_SCHOOLS)
        row: dict[str, object] = {
            "name": rnd.choice(_SURNAMES) + rnd.choice(_SYLLABLES) + rnd.choice(_SYLLABLES),
            "parent_phone": _parent_phone(index, seed, index % 4),
            "phone": f"010-{rnd.randrange(10**4):04d}-{rnd.randrange(10**4):04d}"
            if rnd.random() < 0.6 else None,
            "school": school,
            "school_type": school_type,
            "grade": rnd.randint(1, top_grade),
            "class_name": rnd.randint(1, 12),
            "major": rnd.choice(("문과", "이과")) if school_type == "고등" else None,
            "gender": rnd.choice(("남", "여")),
            "memo": rnd.choice(_MEMOS) or None,
        }
        if kind == _INVALID:
            problem = (index // max(invalid_every, 1)) % 4
            if problem == 0:
                row["name"] = None
            elif problem == 1:
                row["parent_phone"] = "010-123"
            elif problem == 2:
                row["grade"] = "고7"
            else:
                row["gender"] = "기타"
        elif kind == _DUPLICATE and last_valid is not None:
            row["name"] = last_valid["name"]
            # The same number in another spelling: duplicates are found after normalising.
            first = last_valid["parent_phone"]
            row["parent_phone"] = first if isinstance(first, int) else f"+82 {str(first)[1:]}"
        else:
            last_valid = row
        yield row
