"""The JSON request parser: a body limit per route, bounded nesting, no NUL characters."""
from __future__ import annotations

import re

import orjson
from django.conf import settings
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.renderers import JSONRenderer

from academy.errors import ApplicationError, too_large_error

# Deeper than any payload of ours (the AI job's is 4 levels), far below where recursion hurts.
JSON_MAX_DEPTH = 64
# A NUL in a JSON text is spelled \u0000; it is one when an even number of backslashes
# (zero included) comes before that escape. PostgreSQL refuses NUL in text and jsonb.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _too_deep(limit: int) -> ApplicationError:
    return ApplicationError("json_too_deep", f"The JSON body nests deeper than {limit} levels.", {"limit": limit})


def json_depth_check(value, *, limit: int = JSON_MAX_DEPTH) -> None:
    """Raise ApplicationError("json_too_deep") when containers nest deeper than `limit`."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise _too_deep(limit)
        children = node.values() if type(node) is dict else node
        kinds = set(map(type, children))  # one C-level pass: most lists hold only strings
        if dict in kinds or list in kinds:
            stack.extend((child, depth + 1) for child in children if type(child) is dict or type(child) is list)


def json_body_parse(raw: bytes):
    """Return the parsed JSON body, or raise ApplicationError (400) saying why not."""
    # The substring test is a fast scan; the regex (slow on MBs) only confirms an escape it found.
    if b"\x00" in raw or (b"\\u0000" in raw and _NUL_ESCAPE.search(raw)):
        raise ApplicationError("json_nul_character", "The JSON body contains a NUL character (\\u0000).")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc).lower():
            raise _too_deep(JSON_MAX_DEPTH) from None  # orjson stops at 1024 levels
        raise ApplicationError("json_invalid", f"The body is not valid JSON: {exc}.") from None
    if type(data) is dict or type(data) is list:
        json_depth_check(data)
    return data


class JSONParser(BaseParser):
    """DRF's JSON parser, with the checks DRF's lacks.

    DRF reads the body stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check: the
    limit is enforced here, per view (`body_limit` on the view, else Django's setting), as
    a 413 stating it.
    """

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)
        limit = getattr(parser_context.get("view"), "body_limit", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise too_large_error(limit=limit)
        if encoding.lower().replace("-", "").replace("_", "") != "utf8":
            try:
                raw = raw.decode(encoding).encode()
            except UnicodeError:
                raise ApplicationError("json_invalid", f"The body is not valid {encoding}.") from None
        return json_body_parse(raw)
