"""Check the .xlsx container before anything parses it: size, zip bombs, sparse-grid bombs."""
from __future__ import annotations

import contextlib
import copy
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from academy.students.parsing.limits import DEFAULT_LIMITS, ImportLimits
from academy.students.parsing.types import ImportFileError, Source

RATIO_MIN_SIZE = 1024 * 1024  # small parts may compress better; they cannot hurt
MAX_MEMBERS = 10_000

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and every encrypted Office file
_CHUNK = 1024 * 1024
_MB = 1024 * 1024


def check_workbook(
    source: Source, *, limits: ImportLimits = DEFAULT_LIMITS
) -> dict[str, int]:
    """Raise ImportFileError unless the source is an .xlsx file that is safe to open.

    Judged by content, never by file name. Every part is decompressed once, counting
    the bytes actually produced: sizes in zip headers can be forged. Return, by part name,
    the row of the last cell with content (0 when none was seen): the streaming reader's
    estimate of a sheet's length, known before it reads a row.
    """
    with _binary(source) as fileobj:
        size = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(0)
        if size == 0:
            raise ImportFileError("import_file_empty", "The file is empty.")
        if size > limits.max_bytes:
            raise ImportFileError(
                "import_file_too_large",
                f"The file is {_size(size)}; the limit is {_size(limits.max_bytes)}.",
                {"size_bytes": size, "limit_bytes": limits.max_bytes},
            )
        magic = fileobj.read(8)
        fileobj.seek(0)
        if magic == _OLE2_MAGIC:
            raise ImportFileError(
                "import_file_encrypted_or_xls",
                "The file is password-protected or an old .xls workbook; "
                "save it as an .xlsx file without a password."
            )
        if not magic.startswith(_ZIP_MAGIC):
            raise ImportFileError("import_file_not_xlsx", "The file is not an Excel .xlsx workbook.")
        try:
            with zipfile.ZipFile(fileobj) as archive:
                return _check_archive(archive, limits=limits)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
                NotImplementedError, ValueError, OSError) as exc:
            raise ImportFileError("import_file_damaged", "The file is damaged and cannot be read as .xlsx.") from exc


def _check_archive(
    archive: zipfile.ZipFile, *, limits: ImportLimits
) -> dict[str, int]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ImportFileError("import_file_too_many_parts", "The file has too many parts to be a roster workbook.")
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise ImportFileError("import_file_xlsb", "Binary .xlsb workbooks are not supported; save as .xlsx.")
        raise ImportFileError("import_file_not_xlsx", "The file is a zip archive, not an Excel .xlsx workbook.")
    # Declared sizes first: they reject an honest bomb without decompressing a byte.
    declared = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ImportFileError(
                "import_file_encrypted",
                "The file is password-protected; save it as .xlsx without a password."
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ImportFileError("import_file_bad_compression", "The file uses a compression method Excel does not write.")
        _check_ratio(info.file_size, info.compress_size, max_ratio=limits.max_ratio)
        declared += info.file_size
    _check_total(declared, max_uncompressed=limits.max_uncompressed)

    total = 0
    last_rows: dict[str, int] = {}
    for info in infos:
        if info.is_dir():
            continue
        scan = _GridScan()
        size = 0
        for chunk in _member_chunks(archive, info):
            size += len(chunk)
            total += len(chunk)
            _check_ratio(size, info.compress_size, max_ratio=limits.max_ratio)
            _check_total(total, max_uncompressed=limits.max_uncompressed)
            scan.feed(chunk)
        if size != info.file_size:
            raise ImportFileError("import_file_damaged", "The file is damaged: a part's size does not match its header.")
        scan.finish()
        last_rows[info.filename] = scan.last_row
        if scan.bound() > limits.max_cells:
            # The cheap bound is pessimistic; count exactly before refusing.
            exact = _ExactGridScan()
            for chunk in _member_chunks(archive, info):
                exact.feed(chunk)
            exact.finish()
            if exact.bound() > limits.max_cells:
                raise ImportFileError(
                    "import_sheet_too_large",
                    f"The sheet's used range is too large ({exact.rows:,} rows x "
                    f"{exact.cols:,} columns); delete stray cells far below or to the "
                    "right of the data."
                )
    return last_rows


def _size(n: int) -> str:
    return f"{round(n / _MB, 1):g} MB" if n >= _MB else f"{max(1, round(n / 1024)):,} KB"


def _check_ratio(size: int, compressed: int, *, max_ratio: int) -> None:
    if size > RATIO_MIN_SIZE and size > max(compressed, 1) * max_ratio:
        raise ImportFileError(
            "import_file_zip_bomb",
            f"The file is compressed more than {max_ratio}:1 and looks like a zip bomb."
        )


def _check_total(total: int, *, max_uncompressed: int) -> None:
    if total > max_uncompressed:
        raise ImportFileError(
            "import_file_unpacks_too_large",
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


# A sheet's used range, from A1 to its farthest cell, is bounded (limits.max_cells): a
# dense-grid reader (calamine, which the import used before parsing.xlsx streamed the
# sheet) would spend gigabytes on one cell at XFD1048576 of a 5 KB file, and the limit
# keeps the same files out whatever reads them.
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
_CELL_ROW = re.compile(rb'[A-Za-z]*(\d+)"')
# The end tag of a value or of an inline string, "</x<v>" when prefixed (see _VIEW).
_VALUE_END = re.compile(rb"</(?:[\w.-]+<)?(v|is)>")


def _view(buf: bytes) -> bytes:
    """Return buf as the patterns expect it; skip the copy when nothing would change."""
    if (b"\n" in buf or b"\r" in buf or b"\t" in buf or b"'" in buf
            or b":c" in buf or b":row" in buf):
        return buf.translate(_VIEW)
    return buf


def _ref(letters: bytes, digits: bytes) -> tuple[int, int]:
    """Return the 1-based (row, column) of a cell reference, refusing Excel's outside."""
    if len(letters) > 3 or len(digits) > 7:
        raise ImportFileError("import_sheet_out_of_range", "The sheet refers to cells outside Excel's sheet size.")
    col = 0
    for letter in letters.upper():
        col = col * 26 + letter - 64
    row = int(digits) if digits else 0
    if col > _EXCEL_MAX_COL or row > _EXCEL_MAX_ROW:
        raise ImportFileError("import_sheet_out_of_range", "The sheet refers to cells outside Excel's sheet size.")
    return row, col


class _GridScan:
    """Bound, cheaply, the grid calamine would allocate for one part of the zip."""

    __slots__ = ("_tail", "rows", "cols", "unplaced_rows", "unplaced_cells", "last_row")

    def __init__(self) -> None:
        self._tail = b""
        self.last_row = 0
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

    def _last_value(self, view: bytes) -> None:
        """Note the row of the last cell with content (a value or an inline string) in view."""
        end = len(view)
        while end > 0:
            start = max(0, end - _TAG_WINDOW)
            found = None
            for match in _VALUE_END.finditer(view, start, end):
                if match.group(1) == b"is" or view[match.start() - 1] != 62:  # not "<v></v>"
                    found = match
            if found is not None:
                cell = view.rfind(b'<c r="', 0, found.start())
                ref = _CELL_ROW.match(view, cell + 6) if cell >= 0 else None
                if ref is None or view.rfind(b"<c", 0, found.start()) > cell + 1:
                    # The cell has no r: its row's r (rows placed by counting are not counted).
                    row = view.rfind(b'<row r="', 0, found.start())
                    ref = _CELL_ROW.match(view, row + 8) if row >= 0 else None
                if ref is not None and len(ref.group(1)) <= 7:
                    self.last_row = max(self.last_row, int(ref.group(1)))
                return
            end = start

    def bound(self) -> int:
        rows = max(self.rows, _NEAR_ROWS) + self.unplaced_rows
        cols = max(self.cols, _NEAR_COLS) + self.unplaced_cells
        return rows * cols

    def _scan(self, view: bytes) -> None:
        self._last_value(view)
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
