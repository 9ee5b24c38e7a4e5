"""Keyset pagination for every list: `{"results": [...], "next": url | null}`.

The cursor holds the ordering values of the page's last row, and the next page is the rows
after them: page 1,000 costs what page 1 costs, rows added meanwhile never shift a page, and
there is no OFFSET and no COUNT. The last ordering field is unique (the primary key), so
rows that tie on the others (two students named 김민준, a hundred jobs created in one
transaction) are neither skipped nor repeated, which DRF's CursorPagination cannot promise
when the ties outnumber a page.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from academy.errors import ApplicationError
from academy.progress import api as progress


class KeysetPage(BasePagination):
    """`?cursor=` from the previous answer's `next`; `?page_size=` from 1 to 100 (default 50)."""

    ordering: tuple[str, ...] = ("-id",)  # views set their own; the last field must be unique
    page_size = 50
    max_page_size = 100

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        self.request = request
        size = self._page_size(request)
        rows = queryset.order_by(*self.ordering)
        raw = request.query_params.get("cursor")
        if raw:
            rows = rows.filter(self._after(self._decode(raw, queryset.model)))
        page = list(rows[: size + 1])
        self.next_values = [self._value(page[size - 1], name) for name in self._names()] if len(page) > size else None
        return page[:size]

    def get_paginated_response(self, data) -> Response:
        return Response({"results": data, "next": self._next_url()})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {"type": "object", "required": ["results", "next"], "properties": {
            "results": schema, "next": {"type": "string", "nullable": True, "format": "uri"}}}

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {"name": "cursor", "required": False, "in": "query", "schema": {"type": "string"},
             "description": "The `next` of the previous page."},
            {"name": "page_size", "required": False, "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]

    # --- helpers ---

    def _names(self) -> list[str]:
        return [field.lstrip("-") for field in self.ordering]

    def _page_size(self, request) -> int:
        try:
            size = int(request.query_params.get("page_size", self.page_size))
        except ValueError:
            return self.page_size
        return min(max(size, 1), self.max_page_size)

    @staticmethod
    def _value(row, name: str) -> Any:
        value = getattr(row, name)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value if isinstance(value, (int, str)) else str(value)  # a UUID

    def _decode(self, raw: str, model) -> list:
        try:
            values = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
            if not isinstance(values, list) or len(values) != len(self.ordering):
                raise ValueError
            return [model._meta.get_field(name).to_python(value) for name, value in zip(self._names(), values)]
        except (ValueError, UnicodeError, binascii.Error, TypeError, DjangoValidationError):
            raise ApplicationError("cursor_invalid", "The cursor is not one this list gave out.") from None

    def _after(self, values: list) -> Q:
        """Return rows after `values` in the ordering: (a, b) > (x, y) as a > x or (a = x and b > y)."""
        after = Q()
        for index, field in enumerate(self.ordering):
            name = field.lstrip("-")
            step = Q(**{f"{name}__{'lt' if field.startswith('-') else 'gt'}": values[index]})
            for earlier, value in zip(self._names()[:index], values[:index]):
                step &= Q(**{earlier: value})
            after |= step
        return after

    def _next_url(self) -> str | None:
        if self.next_values is None:
            return None
        cursor = base64.urlsafe_b64encode(json.dumps(self.next_values, separators=(",", ":")).encode()).rstrip(b"=")
        return replace_query_param(self.request.build_absolute_uri(), "cursor", cursor.decode())


def task_page_response(request, *, view, queryset: QuerySet, paginator: KeysetPage, serializer, ref) -> Response:
    """Return one page of task rows, each running one with `live`, its progress body.

    One SQL statement for the page and one Redis round trip for all its running tasks.
    """
    page = paginator.paginate_queryset(queryset, request, view=view)
    live = progress.progress_live([ref(row) for row in page if row.status in progress.RUNNING])
    return paginator.get_paginated_response(serializer(page, many=True, context={"request": request,
                                                                                   "live": live}).data)
