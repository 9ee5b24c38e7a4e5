"""Find the header of a roster's first visible sheet and read its data rows lazily."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from academy.students.parsing.container import check_workbook
from academy.students.parsing.limits import DEFAULT_LIMITS, ImportLimits
from academy.students.parsing.types import ImportFileError, RawRow, Source
from academy.students.parsing.values import cell_text
from academy.students.parsing.xlsx import Sheet, sheet_open

HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in Korean forms


def _aliases(table: dict[str, str]) -> dict[str, str]:
    return {alias: field for field, aliases in table.items() for alias in aliases.split()}


# Header aliases as _header_key() leaves them: lower case, no spaces, punctuation or "(필수)".
HEADER_ALIASES = _aliases({
    "name": "이름 성명 학생명 학생이름 학생성명 원생명 원생이름 name studentname fullname",
    "parent_phone": (
        "학부모전화번호 학부모전화 학부모연락처 학부모휴대폰 학부모휴대폰번호 학부모핸드폰 "
        "학부모번호 부모님전화번호 부모님연락처 부모님휴대폰 부모님번호 부모연락처 "
        "부모전화번호 보호자연락처 보호자전화번호 보호자휴대폰 보호자번호 "
        "parentphone parentsphone parentmobile parentcontact parentphonenumber "
        "guardianphone guardiancontact"
    ),
    "phone": (
        "전화번호 전화 연락처 학생전화번호 학생연락처 학생휴대폰 휴대폰 휴대폰번호 핸드폰 "
        "핸드폰번호 휴대전화 휴대전화번호 phone phonenumber mobile mobilephone cellphone "
        "studentphone tel"
    ),
    "school": "학교 학교명 school schoolname",
    "school_type": "학교구분 학교급 학교유형 학교종류 schooltype schoollevel",
    "grade": "학년 grade",
    "class_name": "반 학급 반이름 class classname",
    "major": "전공 계열 major track",
    "gender": "성별 gender sex",
    "memo": "메모 비고 특이사항 memo note notes remark remarks",
})
_ANNOTATION = re.compile(r"\(.*?\)|\[.*?\]")  # "학부모 전화번호(필수)", "Name [required]"
_NOT_WORD = re.compile(r"[\W_]+")


def _header_key(cell: object) -> str:
    text = unicodedata.normalize("NFKC", cell_text(cell)).lower()
    return _NOT_WORD.sub("", _ANNOTATION.sub("", text))


def header_columns(cells: Sequence[object]) -> dict[int, str]:
    """Map column index to field for one header row; the first of repeated fields wins."""
    columns: dict[int, str] = {}
    for index, cell in enumerate(cells):
        field = HEADER_ALIASES.get(_header_key(cell))
        if field is not None and field not in columns.values():
            columns[index] = field
    return columns


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


class RowReader(Iterator[RawRow]):
    """Iterate the data rows of an open worksheet; release it at the end or on close().

    `header_row` is the Excel row of the header, `columns` the fields it names,
    `last_row` the sheet's last Excel row with content (so `last_row - header_row` bounds
    the data rows), and `count` the data rows read so far.
    """

    def __init__(self, sheet: Sheet, *, max_rows: int, last_row: int = 0) -> None:
        self._max_rows = max_rows
        self.count = 0
        self._close = sheet.close
        self.last_row = last_row
        # One pass to find the header, a second (from the start) for the data rows, which
        # gives the kept columns' cells keyed by field.
        self._rows: Iterator[tuple[int, dict]] = sheet.rows()
        try:
            self.header_row, columns = self._find_header()
        finally:
            self._rows.close()
        self.columns = tuple(field for _, field in columns)
        self._rows = sheet.rows(keep=dict(columns))

    def _find_header(self) -> tuple[int, tuple[tuple[int, str], ...]]:
        seen = 0
        first: tuple[int, Sequence[object]] | None = None
        for number, found in self._rows:
            if all(_is_blank(cell) for cell in found.values()):
                continue
            cells = [found.get(index) for index in range(max(found) + 1)]
            first = first or (number, cells)
            columns = header_columns(cells)
            if "name" in columns.values():
                if "parent_phone" not in columns.values():
                    raise ImportFileError(
                        "import_header_no_parent_phone",
                        f"The header in row {number} has no parent phone column "
                        "(학부모 전화번호 or parent_phone).", {"row": number},
                    )
                return number, tuple(columns.items())
            seen += 1
            if seen == HEADER_SEARCH_ROWS:
                break
        if first is None:
            raise ImportFileError("import_sheet_empty", "The first sheet is empty.")
        found = ", ".join(cell_text(cell) for cell in first[1] if not _is_blank(cell))[:200]
        raise ImportFileError(
            "import_header_no_name",
            f"No header row with a name column (이름 or name) was found; row {first[0]} "
            f"has: {found}.", {"row": first[0], "found": found},
        )

    def __next__(self) -> RawRow:
        header_row = self.header_row
        # Rows with nothing in a known column never come: blank lines, and template rows
        # that only carry a pre-filled "No." column (blank text is left out too).
        for number, values in self._rows:
            if number <= header_row or not values:
                continue
            self.count += 1
            if self.count > self._max_rows:
                self.close()
                raise ImportFileError(
                    "import_too_many_rows",
                    f"The sheet has more than {self._max_rows:,} student rows, the limit "
                    "per file; split it into smaller files.", {"limit": self._max_rows},
                )
            return RawRow(number, values)
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Release the workbook."""
        rows, self._rows = self._rows, iter(())
        if hasattr(rows, "close"):
            rows.close()  # the generator's open zip member
        self._close()

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_rows(
    source: Source, *, limits: ImportLimits = DEFAULT_LIMITS
) -> RowReader:
    """Check the file and find its header now; return an iterator over its data rows.

    File-level problems raise ImportFileError from this call, except "too many rows",
    which the iterator raises when it reaches row limits.max_rows + 1.
    """
    last_rows = check_workbook(source, limits=limits)
    sheet = sheet_open(source)
    try:
        return RowReader(sheet, max_rows=limits.max_rows, last_row=last_rows.get(sheet.path, 0))
    except BaseException:
        sheet.close()
        raise
