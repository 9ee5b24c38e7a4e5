"""Codes clients localise in progress bodies: step names ("creating students" ->
creating_students) and the code and params of a failure.

A step's name is English for people; its code is the same words in snake_case, stable as
long as the step exists. A step that names its parts after the first word ("transcode
720p+480p") has the first word as its code and the parts in params.
"""
from __future__ import annotations

import re

import orjson

_WORDS = re.compile(r"[^a-z0-9]+")
_PARTS = {"transcode": "renditions"}  # step code -> the param its trailing parts fill


def step_code(name: str) -> tuple[str, dict]:
    """Return (code, params) of a step's display name; ("", {}) for no step."""
    first, _, rest = name.strip().partition(" ")
    if first in _PARTS:
        return first, {_PARTS[first]: [part for part in rest.split("+") if part]}
    return _WORDS.sub("_", name.lower()).strip("_"), {}


def error_fields(*, code: str, params: dict | None) -> dict[str, str]:
    """Return a failure's code and params as status-hash fields (strings)."""
    return {"error_code": code or "", "error_params": orjson.dumps(params or {}).decode()}


def error_render(fields: dict[str, str]) -> dict:
    """Return the code and params of a failure from its status-hash fields, for the progress body."""
    return {"error_code": fields.get("error_code", ""), "error_params": orjson.loads(fields.get("error_params") or "{}")}
