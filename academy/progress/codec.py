"""How a task's state is laid out in its Redis HASHes: the compact form of a finished task.

A finished task keeps one HASH forever, so its bytes count (issue 17: at most 200 B per
finished task at Redis defaults). Redis keeps a HASH as one small listpack only while every
value is at most `hash-max-listpack-value` (64) bytes; a job's result JSON alone is longer.
So a terminal state keeps its status and attempt as plain fields with one-letter names, `s`
and `a` (write.lua orders writes by them; read.lua looks for a running task's `status`), and
packs its other fields into one value, PACKED:

    <marker of field 1><value 1><marker of field 2><value 2>...

A marker is one control character naming a known field (MARKERS). Inside a value, common
substrings of that field (JSON keys of the kinds' results, the job types, the standard
failure messages, the HLS path's fixed parts) are each replaced by one control character
from the field's own table (TOKENS). This is lossless with no escaping because a packed
value never holds a control character: a field whose value has one (or a field this module
does not know) simply stays a plain HASH field, and decoding merges both. Values stay text
(the client decodes responses as UTF-8), so no compressed binary is stored.

A clean Excel import's result (`{"created":90,...,"detail_only":["accounts"]}`, 101 bytes)
packs to 13; a READY video's fields (owner, hls_path, duration) to about 26. The byte
budget behind this is in bench/memory/README.md.

The tables are APPEND-ONLY: entries already in Redis are decoded with them. A HASH with
`status` (a running task, or a finished one written before this layout) is read as it is.
"""
from __future__ import annotations

import re
from typing import Mapping

from academy.progress.types import TaskState

PACKED = "~"
# A finished task's status and attempt: write.lua writes (and orders by) these short names,
# a running task's HASH (and one written before this layout) has "status" and "attempt".
STATUS, ATTEMPT = "s", "a"
RESERVED = frozenset({PACKED, STATUS, ATTEMPT})

# Field name -> marker (chr 0x10 + position). Append only, at most 16.
_FIELD_NAMES = ("own", "job_type", "result", "error_message", "error_code", "error_params",
                "hls_path", "duration", "error_reason")

_INTERNAL_JOB = "The job stopped on an internal error; it has been logged. Try again or contact support."
_INTERNAL_VIDEO = ("The video could not be processed because of an internal error; it has been logged. "
                   "Retry it, or contact support if it happens again.")
_STUCK = "The worker stopped reporting progress (it may have died); the task was stopped. Retry it."
_MESSAGES = (_INTERNAL_JOB, _INTERNAL_VIDEO, _STUCK,
             "The uploaded file could not be found; upload the video again.")

# Field name -> its substrings, token chr(1 + position). Append only, at most 15 per field.
_FIELD_TOKENS: dict[str, tuple[str, ...]] = {
    "job_type": ("excel_student_import", "message_send", "short_answer_grading"),
    "result": (
        '{"created":', ',"restored":', ',"skipped_existing":', ',"failed":[],"total":',
        ',"detail_only":["accounts"]}', '{"sent":', ',"skipped_already_sent":', ',"failed":[',
        ',"total":', '{"row":', ',"name":"', '","error":"', '","code":"row_not_saved","params":{}}',
        '{"summary":', ',"dry_run":true',
    ),
    "error_message": _MESSAGES,
    "error_reason": _MESSAGES,
    "error_code": ("internal_error", "task_stuck", "payload_invalid", "sending_stopped", "message_gone",
                   "import_file_gone", "import_file_foreign"),
    "error_params": ("{}",),
    "hls_path": ("videos/", "/master.m3u8"),
}

_MARKER = {name: chr(0x10 + i) for i, name in enumerate(_FIELD_NAMES)}
_NAME = {marker: name for name, marker in _MARKER.items()}
# Longest first, so a longer common substring wins over a shorter one it contains.
_ENCODE = {name: sorted(((text, chr(1 + i)) for i, text in enumerate(tokens)), key=lambda t: -len(t[0]))
           for name, tokens in _FIELD_TOKENS.items()}
_DECODE = {name: {1 + i: text for i, text in enumerate(tokens)} for name, tokens in _FIELD_TOKENS.items()}
_NO_TOKENS: dict[int, str] = {}
_CONTROL = re.compile("[\x00-\x1f]")
_SPLIT = re.compile("([\x10-\x1f])")

assert len(_FIELD_NAMES) <= 16 and all(len(t) <= 15 for t in _FIELD_TOKENS.values())


def _pack_value(name: str, value: str) -> str:
    for text, token in _ENCODE.get(name, ()):
        if text in value:
            value = value.replace(text, token)
    return value


def fields_pack(fields: Mapping[str, object]) -> dict[str, str]:
    """Return a finished task's fields as the HASH stores them: known ones packed into PACKED.

    Every value round-trips exactly through fields_unpack (None is stored as "", as before).
    """
    taken = RESERVED.intersection(fields)
    if taken:
        raise ValueError(f"{sorted(taken)} name a finished task's status, attempt or packed fields")
    plain: dict[str, str] = {}
    packed = []
    for name, value in fields.items():
        value = "" if value is None else str(value)
        marker = _MARKER.get(name)
        if marker is None or _CONTROL.search(value):
            plain[name] = value  # unknown, or holds a control character: stays as it is
        else:
            packed.append(marker + _pack_value(name, value))
    if packed:
        plain[PACKED] = "".join(packed)
    return plain


def fields_unpack(stored: dict[str, str]) -> dict[str, str]:
    """Return the task fields a status HASH holds (packed or not), without status and attempt."""
    fields = dict(stored)
    blob = fields.pop(PACKED, None)
    if blob:
        parts = _SPLIT.split(blob)
        for marker, value in zip(parts[1::2], parts[2::2]):
            name = _NAME[marker]
            fields[name] = value.translate(_DECODE.get(name, _NO_TOKENS))
    return fields


def _pairs(flat) -> dict[str, str]:
    if isinstance(flat, dict):
        return flat
    # A Lua empty table comes back from cjson as {} and from a script reply as []: both nothing.
    return dict(zip(flat[::2], flat[1::2])) if isinstance(flat, (list, tuple)) else {}


def state_decode(status: list | dict, progress: list | dict = (), step: list | dict = ()) -> TaskState | None:
    """Return the TaskState of a task's HASHes as read (dicts, or flat field/value lists).

    The one place that knows the stored layout: the store's reads, the stream's events and
    any other reader go through it. None when the status HASH has no status (nothing stored).
    """
    fields = _pairs(status)
    if "status" in fields:
        fields = fields_unpack(fields)
        name, attempt = fields.pop("status"), fields.pop("attempt", 0)
    elif STATUS in fields:
        fields = fields_unpack(fields)
        name, attempt = fields.pop(STATUS), fields.pop(ATTEMPT, 0)
    else:
        return None
    attempt = int(attempt or 0)
    return TaskState(status=name, attempt=attempt, fields=fields, progress=_pairs(progress), step=_pairs(step))
