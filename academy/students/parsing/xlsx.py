"""Stream the cells of an .xlsx workbook's first visible worksheet, row by row.

What this holds does not grow with the sheet: the worksheet's XML is inflated from the
zip in 64 KB pieces and read with regular expressions, one row at a time. Only the shared
strings table (which Excel writes for every text cell) is held whole, as calamine does, but
compactly (one string and an array of offsets).

Cell values are the ones python-calamine 0.9.1 gives (its reading rules are followed
below and pinned by a test that compares both cell for cell): text, float for every
number, bool, date / time / datetime / timedelta by the cell's number format (1904 date
system included), "" for an empty string; error cells and empty cells are left out.

XML safety: a document type declaration (where entities, and so billion-laughs bombs,
are declared) makes the workbook unreadable; only XML's five entities and character
references are decoded; nothing is ever fetched. Parts must be UTF-8, as Excel writes.
The container checks (check_workbook) run before this module opens anything.
"""
from __future__ import annotations

import codecs
import datetime as dt
import io
import itertools
import math
import os
import posixpath
import pyexpat
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from academy.students.parsing.types import ImportFileError, Source

_PIECE = 64 * 1024
# A single construct (tag, comment, text run) longer than this is not a roster.
_MAX_CARRY = 8 * 1024 * 1024

_OTHER, _DATETIME, _TIMEDELTA = 0, 1, 2
_BUILTIN_FORMATS = {
    **dict.fromkeys(("14", "15", "16", "17", "18", "19", "20", "21", "22", "45", "47"), _DATETIME),
    "46": _TIMEDELTA,
}
_EPOCH = dt.datetime(1899, 12, 30)
_DAY_MS = 24 * 60 * 60 * 1000
_1904_SHIFT = 1462.0
_WS = " \t\r\n"


def unreadable(detail: str) -> ImportFileError:
    """Return the error of a workbook whose XML cannot be read (calamine's error before)."""
    return ImportFileError("import_file_unreadable", f"The workbook cannot be read: {detail}.")


# --- small parts: workbook, relationships, styles (pyexpat, no DTD) ---------------------------

def _refuse_dtd(*_args: object) -> None:
    raise unreadable("it declares a document type (DTD), which Excel never writes")


def _elements(data: bytes, wanted: frozenset[str]) -> list[tuple[str, str, dict[str, str]]]:
    """Return (parent, name, attributes) of the wanted elements, by local names."""
    found: list[tuple[str, str, dict[str, str]]] = []
    stack: list[str] = [""]
    parser = pyexpat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local in wanted:
            found.append((stack[-1], local, {k.rpartition(" ")[2]: v for k, v in attrs.items()}))
        stack.append(local)

    def end(_name: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError as exc:
        raise unreadable(f"bad XML ({exc})") from None
    return found


def _format_kind(code: str) -> int:
    """Return whether a custom number format shows a date, a duration or neither (calamine's rule)."""
    escaped = is_quote = ap = hms = False
    brackets = 0
    prev = " "
    for s in code:
        if escaped:
            escaped = False
        elif s in "_\\*":
            escaped = True
        elif is_quote:
            if s == '"':
                is_quote = False
        elif s == '"':
            is_quote = True
        elif s == ";":
            return _OTHER
        elif s == "[":
            brackets += 1
        elif s == "]" and brackets == 1 and hms:
            return _TIMEDELTA
        elif s == "]":
            brackets = max(0, brackets - 1)
        elif s in "aA" and not ap and brackets == 0:
            ap = True
        elif s in "pm/PM" and ap and brackets == 0:
            return _DATETIME
        elif s in "dmhysDMHYS" and not ap and brackets == 0:
            return _DATETIME
        elif not (hms and s.lower() == prev.lower()):
            hms = prev == "[" and s in "mhsMHS"
        prev = s
    return _OTHER


# --- text ------------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z][\w.-]*);?")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_EXCEL_ESCAPE = re.compile(r"_x00([0-9A-Fa-f]{2})_")


def _entity(match: re.Match[str]) -> str:
    ref = match.group(1)
    if not match.group().endswith(";"):
        raise unreadable("a stray '&' in the XML")
    if ref.startswith("#"):
        try:
            return chr(int(ref[2:], 16) if ref[1] == "x" else int(ref[1:]))
        except (ValueError, OverflowError):
            raise unreadable(f"a bad character reference &{ref};") from None
    try:
        return _NAMED[ref]
    except KeyError:
        raise unreadable(f"an undeclared entity &{ref};") from None


def _unescape(text: str) -> str:
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _excel_text(text: str, preserve: bool) -> str:
    """Return a <t>'s text as calamine does: trimmed unless preserved, _xHHHH_ decoded."""
    if not preserve:
        text = text.strip(_WS)
    if "_x00" in text:
        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


# --- streaming tokens --------------------------------------------------------------------------

# One tag, text run, comment, CDATA section or processing instruction; group 1 "/" for an
# end tag, 2 the local name, 3 the attributes, 4 "/" for an empty element, 5 text, 6 CDATA.
_TOKEN = (
    r"<(/?)(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)"
    r"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
    r"|([^<]+)"
    r"|<!\[CDATA\[(.*?)\]\]>"
    r"|<!--.*?-->"
    r"|<\?.*?\?>"
)
_ATTR = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")


def _attrs(text: str) -> dict[str, str]:
    return {name: _unescape(a or b) for name, a, b in _ATTR.findall(text)} if text else {}


def _pieces(member: BinaryIO) -> Iterator[str]:
    """Yield the part's text decoded from UTF-8, refusing other encodings and a BOM of UTF-16."""
    head = member.read(_PIECE)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise unreadable("a part is not UTF-8")
    head = head.removeprefix(codecs.BOM_UTF8)
    declared = _DECLARED_ENCODING.match(head)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise unreadable("a part is not UTF-8")
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = head
    try:
        while chunk:
            yield decoder.decode(chunk)
            chunk = member.read(_PIECE)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise unreadable("a part is not valid UTF-8") from None


def _part_start(member: BinaryIO, start: re.Pattern[str]) -> tuple[Iterator[str], str, re.Match[str]]:
    """Return the part's remaining pieces, the text after `start`'s first match, and that match.

    A document type declaration before it is refused.
    """
    pieces = _pieces(member)
    buf = ""
    for piece in pieces:
        buf += piece
        found = start.search(buf)
        if found is not None:
            _prolog_check(buf[:found.start()])
            return pieces, buf[found.end():], found
        _prolog_check(buf)
        if len(buf) > _MAX_CARRY:
            break
    raise unreadable("a part has no data where the workbook points")


def _tokens(member: BinaryIO, start: re.Pattern[str], scan: re.Pattern[str]) -> Iterator[list[re.Match[str]]]:
    """Yield, per piece of the part, the matches of `scan` after `start` first matched.

    Every character is covered by a match (a gap means bad or unfinished XML: an unfinished
    construct waits for the next piece).
    """
    pieces, buf, found = _part_start(member, start)
    yield [found]
    for piece in itertools.chain((None,), pieces):
        if piece is not None:
            buf += piece
        end = buf.rfind(">") + 1
        pos = 0
        matches = []
        for match in scan.finditer(buf, 0, end):
            if match.start() != pos:
                break
            matches.append(match)
            pos = match.end()
        if matches:
            yield matches
        buf = buf[pos:]
        if len(buf) > _MAX_CARRY:
            raise unreadable("a part has an unfinished or overlong XML construct")
    if buf.strip():
        raise unreadable("bad or unfinished XML")


def _prolog_check(text: str) -> None:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        _refuse_dtd()


# --- shared strings ----------------------------------------------------------------------------

_SST_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?sst\b[^>]*?(/?)>")
# The plain items of a piece of the table (1 the text of <t>, 2 of a preserved <t>), or any
# other "<" (3): one findall when there is none of those.
_SST_FAST = re.compile(r"<si><t>([^<&]*)</t></si>|<si><t xml:space=\"preserve\">([^<&]*)</t></si>|(<)")
_SST_SCAN = re.compile(
    r"<si><t>([^<&]*)</t></si>|<si><t xml:space=\"preserve\">([^<&]*)</t></si>|" + _TOKEN, re.S
)


class _RichText:
    """Collect one string item (<si> or <is>): its <t> runs, phonetic runs (<rPh>) left out.

    Each run is trimmed (unless xml:space="preserve") and decoded on its own, as calamine does.
    """

    __slots__ = ("parts", "in_t", "preserve", "phonetic")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.in_t = False
        self.preserve = False
        self.phonetic = 0

    def token(self, closing: str, name: str, attrs: str, empty: str) -> None:
        if name == "t":
            if closing:
                if self.in_t:
                    self.parts[-1] = _excel_text(self.parts[-1], self.preserve)
                self.in_t = False
            elif not self.phonetic:
                self.in_t = not empty
                self.preserve = 'preserve"' in attrs or "preserve'" in attrs
                self.parts.append("")
        elif name == "rPh" and not empty:
            self.phonetic += -1 if closing else 1

    def text(self, text: str) -> None:
        if self.in_t:
            self.parts[-1] += text

    def value(self) -> str:
        return "".join(self.parts)


class _StringTable:
    """The shared strings, kept as one string and the offsets of each item in it.

    A list of 175,000 str objects (a 100,000-row roster saved by Excel) held about 13 MB;
    this about 20 bytes an item. An item is sliced out when a cell asks for it.
    """

    __slots__ = ("text", "ends", "_items", "_joined", "_size")

    def __init__(self) -> None:
        self.text = ""
        self.ends = array("I", [0])  # item i is text[ends[i]:ends[i + 1]] (parts are < 4 GB)
        self._items: list[str] = []
        self._joined: list[str] = []
        self._size = 0

    def append(self, item: str) -> None:
        self._items.append(item)
        self._size += len(item)
        self.ends.append(self._size)
        if len(self._items) >= 1024:  # join as we go: a list of items is what costs
            self._joined.append("".join(self._items))
            self._items.clear()

    def extend(self, items: list[str]) -> None:
        """Append many items at once (a piece of plain items: no call per item)."""
        if self._items:
            self._joined.append("".join(self._items))
            self._items.clear()
        self._joined.append("".join(items))
        self.ends.extend(itertools.accumulate(map(len, items), initial=self._size))
        self.ends.pop(-len(items) - 1)  # accumulate repeats the start, already there
        self._size = self.ends[-1]

    def finish(self) -> _StringTable:
        self._joined.append("".join(self._items))
        self.text = "".join(self._joined)
        self._items, self._joined = [], []
        return self

    def __len__(self) -> int:
        return len(self.ends) - 1

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self.ends) - 1:
            raise IndexError(index)
        return self.text[self.ends[index]:self.ends[index + 1]]


def _shared_strings(archive: zipfile.ZipFile, name: str | None) -> _StringTable:
    """Return the shared strings table of the workbook, [] without one.

    A piece of plain items (<si><t>text</t></si>, what Excel writes for text without runs)
    is read with one findall; a piece with anything else goes token by token.
    """
    strings = _StringTable()
    if name is None:
        return strings
    append = strings.append
    item: _RichText | None = None

    def token(match: re.Match[str]) -> None:
        nonlocal item
        plain, preserved, closing, local, attrs, empty, text, cdata = match.groups()[:8]
        if plain is not None:
            append(_excel_text(_unescape(plain), False) if plain else plain)
        elif preserved is not None:
            append(_excel_text(preserved, True))
        elif local is not None:
            if local == "si":
                if closing:
                    if item is not None:
                        append(item.value())
                    item = None
                elif empty:
                    append("")
                else:
                    item = _RichText()
            elif item is not None:
                item.token(closing, local, attrs, empty)
        elif item is not None:
            if text is not None:
                item.text(_unescape(text))
            elif cdata is not None:
                item.text(cdata)

    with archive.open(name) as member:
        pieces, buf, start = _part_start(member, _SST_START)
        if start.group(1):  # <sst/>
            return strings.finish()
        for piece in itertools.chain(pieces, (None,)):
            if piece is not None:
                buf += piece
                end = buf.rfind("</si>") + 5
                if end == 4:
                    end = buf.rfind(">") + 1
            else:
                end = len(buf)
            found = _SST_FAST.findall(buf, 0, end) if item is None else [("", "", "<")]
            if not any(other for _plain, _preserved, other in found):
                texts = [preserved or plain.strip(_WS) for plain, preserved, _other in found]
                if "_x00" in buf:
                    texts = [_excel_text(text, True) if "_x00" in text else text for text in texts]
                if texts:
                    strings.extend(texts)
                buf = buf[end:]
                continue
            pos = 0
            for match in _SST_SCAN.finditer(buf, 0, end):
                if match.start() != pos:
                    break
                pos = match.end()
                token(match)
            buf = buf[pos:]
            if len(buf) > _MAX_CARRY:
                raise unreadable("a part has an unfinished or overlong XML construct")
    if buf.strip() and not buf.lstrip().startswith("</"):
        raise unreadable("bad or unfinished XML in the shared strings")
    return strings.finish()


# --- the worksheet -----------------------------------------------------------------------------

_SHEET_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(/?)>")
# A whole cell as Excel and openpyxl write it (one <v>, or one plain inline <t>), else a token.
_SHEET_SCAN = re.compile(
    r"<c r=\"([A-Za-z]{1,3})([0-9]{1,7})\"(?: s=\"([0-9]+)\")?(?: t=\"([A-Za-z]+)\")?>"
    r"(?:<v>([^<&]*)</v>|<is><t>([^<&]*)</t></is>)</c>|" + _TOKEN,
    re.S,
)
_REF = re.compile(r"([A-Za-z]*)([0-9]*)")
# The fast pass's findall: an ordinary cell (1 letters, 2 digits of its reference, 3 its
# other attributes, 4 a <v>'s text or 5 a plain inline string; findall gives "" for a group
# that did not take part, and both are "" only for an empty value, which the data rows
# leave out anyway), an empty cell with r, a row start tag with r (6, and 7 "/" when
# empty), a row end tag (8), or any other "<" (9).
_FAST_SCAN = re.compile(
    r"<c r=\"([A-Za-z]{1,3})([0-9]{1,7})\"([^<>]*)>(?:<v>([^<&]*)</v>|<is><t>([^<&]*)</t></is>)</c>"
    r"|<c r=\"[A-Za-z]{1,3}[0-9]{1,7}\"[^<>]*/>"
    r"|<row r=\"([0-9]{1,7})\"[^<>]*?(/?)>|(</row>)|(<)"
)
_SHARED_SEEN_MAX = 4096
# What a cell's attributes (but r) make of its <v> (Sheet._cell_kind).
_SHARED, _NUMBER, _DATED, _GENERAL = range(4)


def _column(letters: str) -> int:
    """Return the 0-based column of a reference's letters."""
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - 64
    return col - 1


def _excel_round(x: float) -> int:
    """Round half away from zero, as Rust's f64::round does."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


class Sheet:
    """The first visible worksheet of an open workbook; `rows()` streams it once."""

    def __init__(self, archive: zipfile.ZipFile, *, owned: BinaryIO | None = None) -> None:
        self._archive = archive
        self._owned = owned
        names = {info.filename.replace("\\", "/").lower(): info.filename for info in archive.infolist()}
        self._names = names
        self.is_1904 = False
        sheets = []
        for _parent, name, attrs in _elements(self._read("xl/workbook.xml"),
                                              frozenset(("sheet", "workbookPr"))):
            if name == "workbookPr":
                self.is_1904 = attrs.get("date1904") in ("1", "true")
            else:
                sheets.append(attrs)
        if not sheets:
            raise ImportFileError("import_no_sheets", "The workbook has no sheets.")
        rels = {}
        if "xl/_rels/workbook.xml.rels" in names:
            for _parent, _name, attrs in _elements(self._read("xl/_rels/workbook.xml.rels"),
                                                   frozenset(("Relationship",))):
                rels[attrs.get("Id")] = (attrs.get("Target", ""), attrs.get("Type", ""))
        self._path = self._sheet_path(sheets, rels)
        if self._path.lower() not in names:
            raise unreadable(f"the sheet's part {self._path} is missing")
        self.path = names[self._path.lower()]  # the zip member's own name
        self._formats = self._styles()
        self._strings = _shared_strings(archive, names.get("xl/sharedstrings.xml"))
        self._style_kinds: dict[str, int] = {}

    def _read(self, name: str) -> bytes:
        real = self._names.get(name.lower())
        if real is None:
            raise unreadable(f"the part {name} is missing")
        return self._archive.read(real)

    def _sheet_path(self, sheets: list[dict[str, str]], rels: dict[str, tuple[str, str]]) -> str:
        """Return the part of the first visible worksheet, else of the first sheet (as calamine)."""
        chosen = None
        for attrs in sheets:
            rel = rels.get(attrs.get("id"))
            if rel is None:
                raise unreadable("a sheet's relationship is missing")
            target, kind = rel
            path = target[1:] if target.startswith("/") else "xl/" + target
            path = posixpath.normpath(path)
            visible = attrs.get("state", "visible") == "visible"
            if chosen is None:
                chosen = path
            if visible and kind.rpartition("/")[2] == "worksheet":
                return path
        return chosen

    def _styles(self) -> list[int]:
        """Return each cell style's (cellXfs entry's) number format kind."""
        if "xl/styles.xml" not in self._names:
            return []
        custom: dict[str, str] = {}
        kinds: list[int] = []
        for parent, name, attrs in _elements(self._read("xl/styles.xml"), frozenset(("numFmt", "xf"))):
            if name == "numFmt":
                if "numFmtId" in attrs and "formatCode" in attrs:
                    custom[attrs["numFmtId"]] = attrs["formatCode"]
            elif parent == "cellXfs":
                fmt = attrs.get("numFmtId")
                if fmt is None:
                    kinds.append(_OTHER)
                elif fmt in custom:
                    kinds.append(_format_kind(custom[fmt]))
                else:
                    kinds.append(_BUILTIN_FORMATS.get(fmt, _OTHER))
        return kinds

    def _cell_kind(self, attrs: str) -> tuple:
        """Return (kind, t, s, date format kind) for a cell's attributes other than r."""
        found = _attrs(attrs)
        kind, style = found.get("t"), found.get("s")
        if kind == "s":
            return _SHARED, kind, style, 0
        if kind is None or kind == "n":
            date_kind = self._kind(style)
            return (_DATED if date_kind else _NUMBER), kind, style, date_kind
        return _GENERAL, kind, style, 0

    def _kind(self, style: str | None) -> int:
        """Return the number format kind of a cell's s attribute."""
        if style is None:
            return _OTHER
        kind = self._style_kinds.get(style)
        if kind is None:
            index = int(style) if style.isdigit() else 0
            kind = self._formats[index] if index < len(self._formats) else _OTHER
            self._style_kinds[style] = kind
        return kind

    def _date(self, value: float, kind: int) -> object:
        """Return a dated number as python-calamine does (float when out of range)."""
        if kind == _TIMEDELTA:
            try:
                return dt.timedelta(milliseconds=_excel_round(value * _DAY_MS))
            except OverflowError:
                return value
        serial = value + _1904_SHIFT if self.is_1904 else value
        if serial < 60.0:
            serial += 1.0  # Excel's 1900-02-29
        try:
            moment = _EPOCH + dt.timedelta(milliseconds=_excel_round(serial * _DAY_MS))
        except (OverflowError, ValueError):
            return value
        if value < 1.0:
            return moment.time()
        if value.is_integer():
            return moment.date()
        return moment

    def _value(self, kind: str | None, style: str | None, v: str) -> object:
        """Return the value of a cell's <v> text by its t attribute; None for an empty cell."""
        if not v and kind != "str" and kind != "d":
            return None  # an empty <v>: an empty cell, whatever its type
        if kind is None or kind == "n":
            try:
                number = float(v)
            except ValueError:
                if kind is None:
                    return v
                raise unreadable(f"the number {v[:30]!r} in a cell") from None
            date_kind = self._kind(style) if style is not None else _OTHER
            return self._date(number, date_kind) if date_kind else number
        if kind == "s":
            index = int(v) if v.isdigit() else 0
            try:
                return self._strings[index]
            except IndexError:
                raise unreadable("a cell refers to a shared string that is not there") from None
        if kind == "b":
            return v != "0"
        if kind == "str":
            return v
        if kind in ("e", "inlineStr", "is"):
            return None  # an error cell, or a redundant <v> of an inline string
        if kind == "d":
            return _iso(v)
        raise unreadable(f"an unknown cell type {kind[:20]!r}")

    def rows(self, keep: Mapping[int, str] | None = None) -> Iterator[tuple[int, dict]]:
        """Yield (Excel row number, cells) for each row with a value, in file order.

        Without `keep`, cells maps each 0-based column to its value. With it, cells maps
        keep[column] to the value for the kept columns only, and leaves out blank text
        ("" or only spaces); a row may then be {}.
        """
        try:
            with self._archive.open(self.path) as member:
                yield from self._rows(member, keep)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise ImportFileError("import_file_damaged", "The file is damaged and cannot be read as .xlsx.") from exc

    def close(self) -> None:
        """Close the zip (and the file, when opened from a path)."""
        self._archive.close()
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def _rows(self, member: BinaryIO, keep: Mapping[int, str] | None) -> Iterator[tuple[int, dict]]:
        pieces, buf, start = _part_start(member, _SHEET_START)
        if start.group(1):  # <sheetData/>
            return
        st = _SheetState(keep)
        ready = st.ready
        shared_text, shared_ends, shared_count = self._strings.text, self._strings.ends, len(self._strings)
        # The first items the cells ask for, as str objects: a school or a class name comes
        # back 100,000 times, and one object (its hash kept) beats a new slice each time.
        shared_seen: dict[str, str] = {}
        value_of = self._value
        date_of = self._date
        fields: dict[str, str | None] = {}  # cell reference letters -> field, None when not kept
        kinds: dict[str, tuple] = {}  # a cell's other attributes -> what its value is
        exhausted = False
        while not st.done:
            piece = next(pieces, None)
            if piece is None:
                exhausted = True
            else:
                buf += piece
            # Up to the last row end: a piece cut inside a cell would look unusual.
            end = len(buf) if exhausted else buf.rfind("</row>") + 6
            if end == 5:
                end = buf.rfind(">") + 1
            saved = (len(ready), st.row_index, st.col_index, st.out_row, dict(st.cells))
            # The fast pass, for the data rows: ordinary cells and rows only. Anything else
            # ("other") sends the whole piece, from the state saved above, to the general path.
            fast = keep is not None and st.cell is None
            if fast:
                escaped = "_x00" in buf
                out_row, cells = st.out_row, st.cells
                digits_seen = ""
                for letters, digits, attrs, v, inline, row_r, _empty, row_end, _other in \
                        _FAST_SCAN.findall(buf, 0, end):
                    if letters:
                        try:
                            field = fields[letters]
                        except KeyError:
                            field = fields[letters] = keep.get(_column(letters))
                        if field is None:
                            continue
                        if inline:
                            value = inline.strip(_WS)
                            if escaped:
                                value = _excel_text(value, True)
                            if not value or value.isspace():
                                continue
                        elif not v:
                            continue  # an empty value, or an empty inline string: blank
                        else:
                            kind = kinds.get(attrs)
                            if kind is None:
                                kind = kinds[attrs] = self._cell_kind(attrs)
                            code = kind[0]
                            if code == _SHARED:
                                value = shared_seen.get(v)
                                if value is None:
                                    index = int(v) if v.isdigit() and v.isascii() else shared_count
                                    if index < shared_count:
                                        value = shared_text[shared_ends[index]:shared_ends[index + 1]]
                                        if len(shared_seen) < _SHARED_SEEN_MAX:
                                            shared_seen[v] = value
                                    else:
                                        value = value_of(kind[1], kind[2], v)
                                if not value or value.isspace():
                                    continue
                            elif code != _GENERAL:
                                try:
                                    value = float(v)
                                except ValueError:
                                    value = value_of(kind[1], kind[2], v)
                                    if value is None or value.__class__ is str and (not value or value.isspace()):
                                        continue
                                else:
                                    if code == _DATED:
                                        value = date_of(value, kind[3])
                            else:
                                value = value_of(kind[1], kind[2], v)
                                if value is None or value.__class__ is str and (not value or value.isspace()):
                                    continue
                        if digits != digits_seen:
                            digits_seen = digits
                            row = int(digits) - 1
                            if row != out_row:
                                if out_row >= 0:
                                    ready.append((out_row + 1, cells))
                                cells = {}
                                out_row = row
                        cells[field] = value
                    elif not _other:
                        continue  # a row tag, or an empty cell
                    else:
                        fast = False
                        break
            if fast:
                st.out_row, st.cells = out_row, cells
                # Cells without r never reach the fast pass; rows without r do not either.
                last = buf.rfind('<row r="', 0, end)
                if last >= 0:
                    tag = _FAST_SCAN.match(buf, last)
                    st.row_index = int(tag.group(6)) - (0 if tag.group(7) else 1)
                    if buf.rfind("</row>", 0, end) > last:
                        st.row_index += 1
                st.col_index = 0
                buf = buf[end:]
            else:
                del ready[saved[0]:]
                st.row_index, st.col_index, st.out_row, st.cells = saved[1:]
                buf = buf[self._general(st, buf, end):]
            if ready:
                yield from ready
                ready.clear()
            if exhausted and not st.done:
                raise unreadable("bad or unfinished XML in the sheet")
            if len(buf) > _MAX_CARRY:
                raise unreadable("an unfinished or overlong XML construct in the sheet")
        if st.out_row >= 0:
            yield st.out_row + 1, st.cells

    def _general(self, st: _SheetState, buf: str, end: int) -> int:
        """Read buf[:end] token by token into st; return where an unfinished construct starts."""
        pos = 0
        for match in _SHEET_SCAN.finditer(buf, 0, end):
            if match.start() != pos:
                break
            pos = match.end()
            letters, digits, style, kind, v, inline = match.group(1, 2, 3, 4, 5, 6)
            if letters is not None and st.cell is None:
                value = _excel_text(inline, False) if inline is not None else self._value(kind, style, v)
                col = _column(letters)
                st.col_index = col + 1
                if value is not None:
                    st.put(int(digits) - 1, col, value)
                continue
            closing, local, attrs, empty, text, cdata = match.group(7, 8, 9, 10, 11, 12)
            if local is None:
                if text is not None:
                    text = _unescape(text)
                elif cdata is not None:
                    text = cdata
                else:
                    continue  # a comment or processing instruction
                if st.rich is not None:
                    st.rich.text(text)
                elif st.in_v:
                    st.cell[5].append(text)
                continue
            cell = st.cell
            if cell is not None:
                # Inside a cell: <v>, <is> and its runs, <f> (ignored: the cached value counts).
                if local == "c" and closing:
                    if cell[4] is not None:
                        st.put(cell[0], cell[1], cell[4])
                    st.cell = st.rich = None
                    st.in_v = False
                elif st.rich is not None:
                    if local == "is" and closing:
                        cell[4] = st.rich.value()
                        st.rich = None
                    else:
                        st.rich.token(closing, local, attrs, empty)
                elif local == "is" and not closing:
                    if empty:
                        cell[4] = ""
                    else:
                        st.rich = _RichText()
                elif local == "v":
                    if closing:
                        if not st.in_v:
                            raise unreadable("a </v> without its <v> in the sheet")
                        st.in_v = False
                        cell[4] = self._value(cell[3], cell[2], "".join(cell[5]))
                    elif empty:
                        cell[4] = self._value(cell[3], cell[2], "")
                    else:
                        st.in_v = True
                        cell[5] = []
                elif local == "f" and not closing:
                    cell[4] = None  # as calamine: a formula after the value reads as empty
                continue
            if local == "c" and not closing:
                found = _attrs(attrs)
                ref = found.get("r")
                if ref is not None:
                    ref_match = _REF.fullmatch(ref)
                    if ref_match is None or not ref_match.group(1) or not ref_match.group(2):
                        raise unreadable(f"a bad cell reference {ref[:20]!r}")
                    row = int(ref_match.group(2)) - 1
                    col = _column(ref_match.group(1))
                else:
                    row, col = st.row_index, st.col_index
                st.col_index = col + 1
                if not empty:
                    st.cell = [row, col, found.get("s"), found.get("t"), None, None]
            elif local == "row":
                if closing:
                    st.row_index += 1
                    st.col_index = 0
                else:
                    ref = _attrs(attrs).get("r")
                    if ref is not None:
                        if not ref.isdigit():
                            raise unreadable(f"a bad row number {ref[:20]!r}")
                        st.row_index = int(ref) - 1
                    st.col_index = 0
                    if empty:
                        st.row_index += 1
            elif local == "sheetData" and closing:
                st.done = True
                return end
        return pos


class _SheetState:
    """Where the general path is in the sheet: calamine's row and column counters, the open cell."""

    __slots__ = ("keep", "row_index", "col_index", "out_row", "cells", "ready", "cell", "rich",
                 "in_v", "done")

    def __init__(self, keep: Mapping[int, str] | None) -> None:
        self.keep = keep
        self.row_index = 0  # calamine's 0-based position for rows and cells without r
        self.col_index = 0
        self.out_row = -1  # 0-based row of `cells`
        self.cells: dict[int, object] = {}
        self.ready: list[tuple[int, dict[int, object]]] = []
        self.cell: list | None = None  # [row, col, s, t, value, <v> text parts]
        self.rich: _RichText | None = None
        self.in_v = False
        self.done = False

    def put(self, row: int, col: int, value: object) -> None:
        if self.keep is not None:
            key = self.keep.get(col)
            if key is None or value.__class__ is str and (not value or value.isspace()):
                return
        else:
            key = col
        if row != self.out_row:
            if self.out_row >= 0:
                self.ready.append((self.out_row + 1, self.cells))
            self.cells = {}
            self.out_row = row
        self.cells[key] = value


def _iso(text: str) -> object:
    """Return a t="d" cell's ISO 8601 value as python-calamine does (the text when unparsable)."""
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text)
        if ":" in text:
            return dt.time.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def sheet_open(source: Source) -> Sheet:
    """Open a checked workbook's first visible worksheet; raise ImportFileError.

    A path is opened here and closed by Sheet.close(); a file object is only read.
    """
    owned = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        fileobj: BinaryIO = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        fileobj = owned = open(source, "rb")  # noqa: SIM115 (closed by Sheet.close)
    else:
        fileobj = source
        fileobj.seek(0)
    try:
        archive = zipfile.ZipFile(fileobj)
        return Sheet(archive, owned=owned)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        if owned is not None:
            owned.close()
        raise ImportFileError("import_file_damaged", "The file is damaged and cannot be read as .xlsx.") from exc
    except BaseException:
        if owned is not None:
            owned.close()
        raise
