"""Read and validate an Excel (.xlsx) student roster.

Pure Python, no Django: the import service hands `parse_workbook` the uploaded
file, answers 400 with `ImportFileError.reason` when the file as a whole is
unusable, and reports each `RowError` in the job's `failed` list.

The pipeline is streaming: `check_workbook` inspects the zip container without
trusting its headers, `read_rows` yields `RawRow`s lazily from python-calamine,
`validate_row` turns one into a `StudentRow` or a `RowError`, and
`parse_workbook` strings them together and reports in-file duplicates.
"""
from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from sys import intern
from typing import BinaryIO, TypeVar, Union

import python_calamine

Source = Union[str, os.PathLike, bytes, BinaryIO]
_T = TypeVar("_T")

# The fields of a roster row, in the order the import service stores them.
FIELDS = (
    "name", "parent_phone", "phone", "school", "school_type",
    "grade", "class_name", "major", "gender", "memo",
)
# Longest accepted text per field; the Student model's max_length must not be smaller.
MAX_LENGTHS = {
    "name": 50, "school": 100, "school_type": 20,
    "class_name": 50, "major": 50, "memo": 1000,
}

DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # a 100,000-row roster is about 5 MB
DEFAULT_MAX_UNCOMPRESSED = 200 * 1024 * 1024
DEFAULT_MAX_RATIO = 100  # real sheets compress 5-20:1
RATIO_MIN_SIZE = 1024 * 1024  # small parts may compress better; they cannot hurt
# calamine allocates a dense rows x columns grid of 32-byte cells: 5M cells = 160 MB.
DEFAULT_MAX_CELLS = 5_000_000
MAX_MEMBERS = 10_000
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in Korean forms


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `reason` is shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RawRow:
    """One non-blank data row: cell values keyed by field, blank cells left out."""

    row_number: int  # as Excel shows it, 1-based
    values: dict[str, object]


@dataclass(frozen=True, slots=True)
class StudentRow:
    """One valid roster row, normalised."""

    row: int
    name: str
    parent_phone: str
    phone: str = ""
    school: str = ""
    school_type: str = ""
    grade: int | None = None
    class_name: str = ""
    major: str = ""
    gender: str = ""  # "M", "F" or ""
    memo: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected row, shaped like an entry of the import result's `failed` list."""

    row: int
    name: str
    error: str


@dataclass(slots=True)
class ParseResult:
    """Valid rows, rejected rows and the number of non-blank data rows read."""

    rows: list[StudentRow]
    errors: list[RowError]
    total: int
    columns: tuple[str, ...]  # the fields found in the header


# --- the container: size, zip bombs, sparse-grid bombs -------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and every encrypted Office file
_CHUNK = 1024 * 1024
_MB = 1024 * 1024


def check_workbook(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> None:
    """Raise ImportFileError unless the source is an .xlsx file that is safe to open.

    Judged by content, never by file name. Every part is decompressed once, counting
    the bytes actually produced: sizes in zip headers can be forged.
    """
    with _binary(source) as fileobj:
        size = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(0)
        if size == 0:
            raise ImportFileError("The file is empty.")
        if size > max_bytes:
            raise ImportFileError(
                f"The file is {_size(size)}; the limit is {_size(max_bytes)}."
            )
        magic = fileobj.read(8)
        fileobj.seek(0)
        if magic == _OLE2_MAGIC:
            raise ImportFileError(
                "The file is password-protected or an old .xls workbook; "
                "save it as an .xlsx file without a password."
            )
        if not magic.startswith(_ZIP_MAGIC):
            raise ImportFileError("The file is not an Excel .xlsx workbook.")
        try:
            with zipfile.ZipFile(fileobj) as archive:
                _check_archive(
                    archive, max_uncompressed=max_uncompressed,
                    max_ratio=max_ratio, max_cells=max_cells,
                )
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
                NotImplementedError, ValueError, OSError) as exc:
            raise ImportFileError("The file is damaged and cannot be read as .xlsx.") from exc


def _check_archive(
    archive: zipfile.ZipFile, *, max_uncompressed: int, max_ratio: int, max_cells: int
) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ImportFileError("The file has too many parts to be a roster workbook.")
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise ImportFileError("Binary .xlsb workbooks are not supported; save as .xlsx.")
        raise ImportFileError("The file is a zip archive, not an Excel .xlsx workbook.")
    # Declared sizes first: they reject an honest bomb without decompressing a byte.
    declared = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ImportFileError(
                "The file is password-protected; save it as .xlsx without a password."
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ImportFileError("The file uses a compression method Excel does not write.")
        _check_ratio(info.file_size, info.compress_size, max_ratio=max_ratio)
        declared += info.file_size
    _check_total(declared, max_uncompressed=max_uncompressed)

    total = 0
    for info in infos:
        if info.is_dir():
            continue
        scan = _GridScan()
        size = 0
        for chunk in _member_chunks(archive, info):
            size += len(chunk)
            total += len(chunk)
            _check_ratio(size, info.compress_size, max_ratio=max_ratio)
            _check_total(total, max_uncompressed=max_uncompressed)
            scan.feed(chunk)
        if size != info.file_size:
            raise ImportFileError("The file is damaged: a part's size does not match its header.")
        scan.finish()
        if scan.bound() > max_cells:
            # The cheap bound is pessimistic; count exactly before refusing.
            exact = _ExactGridScan()
            for chunk in _member_chunks(archive, info):
                exact.feed(chunk)
            exact.finish()
            if exact.bound() > max_cells:
                raise ImportFileError(
                    f"The sheet's used range is too large ({exact.rows:,} rows x "
                    f"{exact.cols:,} columns); delete stray cells far below or to the "
                    "right of the data."
                )


def _size(n: int) -> str:
    return f"{round(n / _MB, 1):g} MB" if n >= _MB else f"{max(1, round(n / 1024)):,} KB"


def _check_ratio(size: int, compressed: int, *, max_ratio: int) -> None:
    if size > RATIO_MIN_SIZE and size > max(compressed, 1) * max_ratio:
        raise ImportFileError(
            f"The file is compressed more than {max_ratio}:1 and looks like a zip bomb."
        )


def _check_total(total: int, *, max_uncompressed: int) -> None:
    if total > max_uncompressed:
        raise ImportFileError(
            f"The file unpacks to more than {_size(max_uncompressed)}; "
            "split the roster into smaller files."
        )


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    # zipfile stops at the declared size; lift it so a forged header cannot hide
    # data that calamine (which reads to the end of the stream) would still inflate.
    # The CRC check at the true end of the stream and our own count decide instead.
    unbounded = copy.copy(info)
    unbounded.file_size = 1 << 62
    with archive.open(unbounded) as member:
        while chunk := member.read(_CHUNK):
            yield chunk


# calamine keeps a sheet as a dense grid from A1 to its farthest cell, so one cell
# at XFD1048576 in a 5 KB file costs gigabytes. Bound the grid before calamine runs.
_EXCEL_MAX_ROW = 1_048_576
_EXCEL_MAX_COL = 16_384
_NEAR_ROWS = 99_999  # refs with 6+ digit rows are caught and parsed; the rest are below
_NEAR_COLS = 26  # refs with 2+ letters are caught and parsed; the rest are A-Z
_TAG_WINDOW = 64 * 1024
_REF_OVERLAP = 64
# One byte-for-byte view of the XML: any whitespace as a space, ' as ", and a
# namespace prefix colon as "<" so "<x:c " reads as "<c ".
_VIEW = bytes.maketrans(b"\t\n\r':", b'   "<')
# A cell or row whose first attribute is not r: calamine places it by counting.
_UNPLACED = re.compile(rb'<(?:c|row)(?! r=")[ />]')
# A cell reference past column Z or row 99,999.
_FAR_REF = re.compile(rb' r="(?=[A-Za-z]{2}|[A-Za-z]?\d{6})([A-Za-z]*)(\d*)(")?')
_TAG = re.compile(rb'<(c|row)(?=[ />])([^>]*)')
_R_ATTR = re.compile(rb' r="([A-Za-z]*)(\d*)"')


def _view(buf: bytes) -> bytes:
    """Return buf as the patterns expect it; skip the copy when nothing would change."""
    if (b"\n" in buf or b"\r" in buf or b"\t" in buf or b"'" in buf
            or b":c" in buf or b":row" in buf):
        return buf.translate(_VIEW)
    return buf


def _ref(letters: bytes, digits: bytes) -> tuple[int, int]:
    """Return the 1-based (row, column) of a cell reference, refusing Excel's outside."""
    if len(letters) > 3 or len(digits) > 7:
        raise ImportFileError("The sheet refers to cells outside Excel's sheet size.")
    col = 0
    for letter in letters.upper():
        col = col * 26 + letter - 64
    row = int(digits) if digits else 0
    if col > _EXCEL_MAX_COL or row > _EXCEL_MAX_ROW:
        raise ImportFileError("The sheet refers to cells outside Excel's sheet size.")
    return row, col


class _GridScan:
    """Bound, cheaply, the grid calamine would allocate for one part of the zip."""

    __slots__ = ("_tail", "rows", "cols", "unplaced_rows", "unplaced_cells")

    def __init__(self) -> None:
        self._tail = b""
        self.rows = 0
        self.cols = 0
        self.unplaced_rows = 0
        self.unplaced_cells = 0

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        cut = buf.rfind(b"<", max(0, len(buf) - _TAG_WINDOW))
        if cut > 0:  # keep the last, maybe unfinished, tag for the next chunk
            self._tail = buf[cut:]
            self._scan(_view(buf[:cut]))
        else:  # no tag start near the end: scan it all, overlap a little
            self._tail = buf[-_REF_OVERLAP:]
            self._scan(_view(buf))

    def finish(self) -> None:
        self._scan(_view(self._tail))
        self._tail = b""

    def bound(self) -> int:
        rows = max(self.rows, _NEAR_ROWS) + self.unplaced_rows
        cols = max(self.cols, _NEAR_COLS) + self.unplaced_cells
        return rows * cols

    def _scan(self, view: bytes) -> None:
        for match in _UNPLACED.finditer(view):
            if match.group().startswith(b"<row"):
                self.unplaced_rows += 1
            else:
                self.unplaced_cells += 1
        for match in _FAR_REF.finditer(view):
            letters, digits, closed = match.groups()
            if closed is not None or match.end() < len(view):
                row, col = _ref(letters, digits)  # a cut-off ref is whole in the next view
                self.rows = max(self.rows, row)
                self.cols = max(self.cols, col)


class _ExactGridScan(_GridScan):
    """Place every cell and row the way calamine does; slower, for unusual parts."""

    __slots__ = ("_row", "_col")

    def __init__(self) -> None:
        super().__init__()
        self._row = 0
        self._col = 0

    def bound(self) -> int:
        return self.rows * self.cols

    def _scan(self, view: bytes) -> None:
        for match in _TAG.finditer(view):
            ref = _R_ATTR.search(match.group(2))
            if match.group(1) == b"row":
                self._row = _ref(b"", ref.group(2))[0] if ref else self._row + 1
                self._col = 0
            else:
                if ref:
                    row, self._col = _ref(ref.group(1), ref.group(2))
                    self.rows = max(self.rows, row)
                else:
                    self._col += 1
                self.cols = max(self.cols, self._col)
            self.rows = max(self.rows, self._row)


@contextlib.contextmanager
def _binary(source: Source) -> Iterator[BinaryIO]:
    """Open a path, wrap bytes, or rewind a binary file; close only what was opened here."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fileobj:
            yield fileobj
    else:
        source.seek(0)
        yield source


# --- rows -----------------------------------------------------------------------------

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
    text = unicodedata.normalize("NFKC", _text(cell)).lower()
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
    """Iterate the data rows of an open workbook; release it at the end or on close().

    `header_row` is the Excel row of the header, `columns` the fields it names, and
    `count` the data rows read so far.
    """

    def __init__(self, workbook: python_calamine.CalamineWorkbook, *, max_rows: int) -> None:
        self._workbook: python_calamine.CalamineWorkbook | None = workbook
        self._max_rows = max_rows
        self.count = 0
        sheet = _first_sheet(workbook)
        # iter_rows pads the rows above the used range, so numbering from 1 gives
        # Excel's row numbers. A sheet with no cells has no start.
        self._rows = enumerate(sheet.iter_rows() if sheet.start is not None else (), start=1)
        self.header_row, self._columns = self._find_header()
        self.columns = tuple(field for _, field in self._columns)

    def _find_header(self) -> tuple[int, tuple[tuple[int, str], ...]]:
        seen = 0
        first: tuple[int, Sequence[object]] | None = None
        for number, cells in self._rows:
            if all(_is_blank(cell) for cell in cells):
                continue
            first = first or (number, cells)
            columns = header_columns(cells)
            if "name" in columns.values():
                if "parent_phone" not in columns.values():
                    raise ImportFileError(
                        f"The header in row {number} has no parent phone column "
                        "(학부모 전화번호 or parent_phone)."
                    )
                return number, tuple(columns.items())
            seen += 1
            if seen == HEADER_SEARCH_ROWS:
                break
        if first is None:
            raise ImportFileError("The first sheet is empty.")
        found = ", ".join(_text(cell) for cell in first[1] if not _is_blank(cell))[:200]
        raise ImportFileError(
            f"No header row with a name column (이름 or name) was found; row {first[0]} "
            f"has: {found}."
        )

    def __next__(self) -> RawRow:
        for number, cells in self._rows:
            width = len(cells)
            values = {}
            for index, field in self._columns:
                if index < width:
                    cell = cells[index]
                    # calamine gives "" for an empty cell; a cell of spaces is blank too.
                    if cell.__class__ is not str or (cell and not cell.isspace()):
                        values[field] = cell
            # Rows with nothing in a known column are skipped: blank lines, and
            # template rows that only carry a pre-filled "No." column.
            if not values:
                continue
            self.count += 1
            if self.count > self._max_rows:
                self.close()
                raise ImportFileError(
                    f"The sheet has more than {self._max_rows:,} student rows, the limit "
                    "per file; split it into smaller files."
                )
            return RawRow(number, values)
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Release calamine's copy of the sheet."""
        self._rows = enumerate((), start=1)
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    def __enter__(self) -> RowReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _first_sheet(workbook: python_calamine.CalamineWorkbook) -> python_calamine.CalamineSheet:
    """Return the first visible worksheet (a hidden first sheet is usually a template)."""
    visible = python_calamine.SheetVisibleEnum.Visible
    worksheet = python_calamine.SheetTypeEnum.WorkSheet
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.visible == visible and meta.typ == worksheet:
            return _calamine(workbook.get_sheet_by_index, index)
    if not workbook.sheet_names:
        raise ImportFileError("The workbook has no sheets.")
    return _calamine(workbook.get_sheet_by_index, 0)


def _calamine(call: Callable[..., _T], *args: object) -> _T:
    """Call into calamine, turning its errors (and Rust panics) into ImportFileError."""
    try:
        return call(*args)
    except python_calamine.PasswordError as exc:
        raise ImportFileError(
            "The file is password-protected; save it as .xlsx without a password."
        ) from exc
    except python_calamine.CalamineError as exc:
        raise ImportFileError(f"The workbook cannot be read: {exc}.") from exc
    except BaseException as exc:
        # pyo3 raises PanicException, a BaseException, when the Rust side panics.
        if type(exc).__name__ != "PanicException":
            raise
        raise ImportFileError("The workbook cannot be read.") from exc


def read_rows(
    source: Source,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> RowReader:
    """Check the file and find its header now; return an iterator over its data rows.

    File-level problems raise ImportFileError from this call, except "too many rows",
    which the iterator raises when it reaches row max_rows + 1.
    """
    check_workbook(
        source, max_bytes=max_bytes, max_uncompressed=max_uncompressed,
        max_ratio=max_ratio, max_cells=max_cells,
    )
    if isinstance(source, (str, os.PathLike)):
        workbook = _calamine(python_calamine.CalamineWorkbook.from_path, os.fspath(source))
    else:
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(source)
        source.seek(0)
        workbook = _calamine(python_calamine.CalamineWorkbook.from_filelike, source)
    try:
        return RowReader(workbook, max_rows=max_rows)
    except BaseException:
        workbook.close()
        raise


# --- values ---------------------------------------------------------------------------

def _text(value: object) -> str:
    """Return a cell as stripped text; integral floats lose their ".0" (3.0 -> "3")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


# Separators people type inside phone numbers, including Unicode dashes.
_PHONE_SEPARATORS = str.maketrans("", "", " -.()/\u00a0\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_LEGACY_MOBILE = ("011", "016", "017", "018", "019")


def normalize_phone(value: object) -> str:
    """Return a Korean mobile number as 11 digits starting 010, or raise ValueError.

    Accepts separators (spaces, dashes, dots, parentheses), +82 / 82 / 0082 country
    prefixes, and numbers whose leading 0 Excel dropped (1012345678 or 1012345678.0).
    Legacy 011/016/017/018/019 numbers are refused: they were retired in 2021 and the
    design identifies a parent by a 010 number.
    """
    if type(value) is str:
        # The common case, "010-1234-5678" or "01012345678", without the general path.
        digits = value.strip().replace("-", "")
        if len(digits) == 11 and digits.startswith("010") and digits.isascii() and digits.isdigit():
            return digits
    if isinstance(value, bool) or value is None:
        raise ValueError("is not a phone number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} is not a phone number")
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value!r} is not a phone number")
        shown = text = str(value)
    elif isinstance(value, str):
        shown = value.strip()
        # NFKC turns full-width digits and hyphens, as typed on Korean IMEs, into ASCII.
        text = shown if shown.isascii() else unicodedata.normalize("NFKC", shown)
    else:  # a date or time: Excel took "10-12-31" for one
        raise ValueError(f"{_text(value)!r} is not a phone number")
    plus = text.startswith("+")
    digits = (text[1:] if plus else text).translate(_PHONE_SEPARATORS)
    if not digits:
        raise ValueError("is empty")
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{shown!r} has characters other than digits")
    if plus or digits.startswith(("82", "0082")):
        if digits.startswith("0082"):
            digits = digits[2:]
        if not digits.startswith("82"):
            raise ValueError(f"{shown!r} is not a Korean (+82) number")
        digits = digits[2:]
        if not digits.startswith("0"):
            digits = "0" + digits
    elif len(digits) == 10 and digits.startswith("10"):
        digits = "0" + digits  # a number cell: Excel dropped the leading 0
    if len(digits) == 11 and digits.startswith("010"):
        return digits
    if digits.startswith(_LEGACY_MOBILE):
        raise ValueError(f"{shown!r} uses the retired {digits[:3]} prefix; use the 010 number")
    if not digits.startswith("010"):
        raise ValueError(f"{shown!r} is not a mobile number starting with 010")
    raise ValueError(f"{shown!r} has {len(digits)} digits; a 010 number has 11")


_GENDERS = {
    **dict.fromkeys(("남", "남자", "남성", "남학생", "m", "male", "boy", "man"), "M"),
    **dict.fromkeys(("여", "여자", "여성", "여학생", "f", "female", "girl", "woman"), "F"),
}
_LEVELS = {  # Korean school level prefix -> (school type, highest grade)
    "초": ("초등", 6), "초등": ("초등", 6), "초등학교": ("초등", 6),
    "중": ("중등", 3), "중등": ("중등", 3), "중학교": ("중등", 3),
    "고": ("고등", 3), "고등": ("고등", 3), "고등학교": ("고등", 3),
}
_GRADE = re.compile(r"(초등학교|초등|초|중학교|중등|중|고등학교|고등|고)?(\d{1,2})(?:\.0+)?(?:학년)?")


def _grade(value: object) -> tuple[int, str]:
    """Return (grade, school type implied by a prefix like 고3, or "")."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise ValueError(f"grade {value!r} is not a whole number")
        grade, level = int(value), None
    else:
        text = "".join(unicodedata.normalize("NFKC", _text(value)).split())
        match = _GRADE.fullmatch(text)
        if match is None:
            raise ValueError(f"grade {_text(value)!r} is not a grade like 3, 3학년 or 고3")
        level, grade = match.group(1), int(match.group(2))
    if level is None:
        if not 1 <= grade <= 12:
            raise ValueError(f"grade {grade} is not between 1 and 12")
        return grade, ""
    school_type, highest = _LEVELS[level]
    if not 1 <= grade <= highest:
        raise ValueError(f"grade {_text(value)!r} does not exist")
    return grade, school_type


def validate_row(raw: RawRow) -> StudentRow | RowError:
    """Return the row normalised, or a RowError listing every problem found."""
    values = raw.values  # blank cells are absent, never ""
    problems: list[str] = []

    name = " ".join(_text(values.get("name")).split())
    if not name:
        problems.append("name is required")
    elif len(name) > _NAME_MAX:
        problems.append(f"name is longer than {_NAME_MAX} characters")

    parent_phone = phone = gender = implied_type = ""
    value = values.get("parent_phone")
    if value is None:
        problems.append("parent phone is required")
    else:
        try:
            parent_phone = normalize_phone(value)
        except ValueError as exc:
            problems.append(f"parent phone {exc}")
    value = values.get("phone")
    if value is not None:
        try:
            phone = normalize_phone(value)
        except ValueError as exc:
            problems.append(f"phone {exc}")

    value = values.get("gender")
    if value is not None:
        gender = _GENDERS.get("".join(_text(value).lower().split()), "")
        if not gender:
            problems.append(f"gender {_text(value)!r} is not 남/여 or M/F")

    grade: int | None = None
    value = values.get("grade")
    if value is not None:
        try:
            grade, implied_type = _grade(value)
        except ValueError as exc:
            problems.append(str(exc))

    texts = []
    for field, limit, label in _TEXT_FIELDS:
        value = values.get(field)
        text = "" if value is None else value.strip() if type(value) is str else _text(value)
        if len(text) > limit:
            problems.append(f"{label} is longer than {limit} characters")
        # A roster repeats a few schools and classes 100,000 times: share one string.
        texts.append(intern(text) if len(text) <= _INTERN_MAX else text)
    school, school_type, class_name, major, memo = texts

    if problems:
        shown = name if len(name) <= _NAME_MAX else name[:_NAME_MAX] + "…"
        return RowError(row=raw.row_number, name=shown, error="; ".join(problems))
    return StudentRow(
        row=raw.row_number,
        name=name,
        parent_phone=parent_phone,
        phone=phone,
        school=school,
        school_type=school_type or implied_type,
        grade=grade,
        class_name=class_name,
        major=major,
        gender=gender,
        memo=memo,
    )


_NAME_MAX = MAX_LENGTHS["name"]
_INTERN_MAX = 100
_TEXT_FIELDS = tuple(
    (field, MAX_LENGTHS[field], field.replace("_", " "))
    for field in ("school", "school_type", "class_name", "major", "memo")
)


def parse_workbook(
    source: Source,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_ratio: int = DEFAULT_MAX_RATIO,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> ParseResult:
    """Read, validate and de-duplicate a roster; raise ImportFileError for a bad file.

    A later row with the same (name, parent phone) as an earlier valid row is
    reported as "duplicate of row N in this file"; the first one is kept.
    """
    reader = read_rows(
        source, max_rows=max_rows, max_bytes=max_bytes,
        max_uncompressed=max_uncompressed, max_ratio=max_ratio, max_cells=max_cells,
    )
    rows: list[StudentRow] = []
    errors: list[RowError] = []
    first_row: dict[tuple[str, str], int] = {}
    with reader:
        for raw in reader:
            result = validate_row(raw)
            if isinstance(result, RowError):
                errors.append(result)
                continue
            first = first_row.setdefault((result.name, result.parent_phone), result.row)
            if first != result.row:
                errors.append(RowError(
                    row=result.row, name=result.name,
                    error=f"duplicate of row {first} in this file",
                ))
                continue
            rows.append(result)
    return ParseResult(rows=rows, errors=errors, total=reader.count, columns=reader.columns)
