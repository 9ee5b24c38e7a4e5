"""Reads of students: the tenant's list and the import's batched identity lookup."""
from __future__ import annotations

from typing import NamedTuple, Sequence

import re

import orjson
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from academy.students.models import Parent, Student


class IdentityMatch(NamedTuple):
    """A stored student whose (name, parent_phone) was asked for."""

    student_id: int
    name: str
    parent_phone: str
    deleted: bool


_PHONE_WORD = re.compile(r"[0-9+().-]+")


def _search(q: str, *, text_fields: Sequence[str], phone_fields: Sequence[str]) -> Q:
    """Return the filter for a search box: any word in a text field, digits in a phone field."""
    condition = Q()
    for word in q.split():
        match = Q()
        for field in text_fields:
            match |= Q(**{f"{field}__icontains": word})
        # "010-1234" and "+82" find 01012345678: phones are stored as digits only.
        digits = re.sub(r"\D", "", word)
        if len(digits) >= 3 and _PHONE_WORD.fullmatch(word):
            for field in phone_fields:
                match |= Q(**{f"{field}__contains": digits})
        condition &= match
    return condition


def student_list(*, tenant_id: int, q: str = "", grade: int | None = None, deleted: bool | None = False
                 ) -> QuerySet[Student]:
    """Return the tenant's students: active (deleted=False), soft-deleted (True) or both (None).

    `q` matches name, school or class, and digits of the student's or parent's phone.
    """
    students = Student.objects.filter(tenant_id=tenant_id)
    if deleted is not None:
        students = students.filter(deleted_at__isnull=not deleted)
    if grade is not None:
        students = students.filter(grade=grade)
    if q:
        students = students.filter(_search(q, text_fields=("name", "school", "class_name"),
                                           phone_fields=("phone", "parent_phone")))
    return students


def parent_list(*, tenant_id: int, q: str = "") -> QuerySet[Parent]:
    """Return the tenant's parents, each with their active students (one more statement per page)."""
    parents = Parent.objects.filter(tenant_id=tenant_id)
    if q:
        parents = parents.filter(
            _search(q, text_fields=("students__name",), phone_fields=("phone",))).distinct()
    children = Student.objects.active().only("id", "name", "grade", "parent_id").order_by("name", "id")
    return parents.prefetch_related(Prefetch("students", queryset=children, to_attr="active_students"))


def student_identities_find(*, tenant_id: int, keys: Sequence[tuple[str, str]]) -> list[IdentityMatch]:
    """Return the tenant's students, active and soft-deleted, with these (name, parent_phone) keys.

    One statement for all keys: callers pass chunks of about a thousand.
    """
    if not keys:
        return []
    table = connection.ops.quote_name(Student._meta.db_table)
    if connection.vendor == "postgresql":
        # One index probe per key from a LATERAL subquery (OFFSET 0 keeps the planner from
        # flattening it into a hash join over the whole tenant), through the partial indexes
        # that hold only what is asked for: the unique index of active students (all its
        # columns equal: the planner counts on one row at most, stale statistics or not) and
        # the small index of deleted ones. bench/import/explain.py: a row-value IN of 1000
        # literal tuples plans for 0.7-1.4 s; a join on unnest() hashes the tenant. With one
        # index over both, a never-analysed table (a fresh database under its first import)
        # made the planner probe (tenant, ps_number) instead: every key scanned the tenant.
        probe = (
            "SELECT s.id, s.name, s.parent_phone, {deleted} FROM k "
            f"CROSS JOIN LATERAL (SELECT id, name, parent_phone FROM {table} "
            "WHERE tenant_id = %(tenant)s AND name = k.name AND parent_phone = k.parent_phone "
            "AND deleted_at IS {condition} OFFSET 0) s"
        )
        # The keys travel as one JSON array of pairs: orjson writes it in C, where psycopg
        # would quote 2,000 array elements in Python (a regex each).
        sql = ("WITH k AS MATERIALIZED (SELECT k->>0 AS name, k->>1 AS parent_phone "
               "FROM json_array_elements(%(keys)s::json) AS k) "
               + probe.format(deleted="false", condition="NULL") + " UNION ALL "
               + probe.format(deleted="true", condition="NOT NULL"))
        params: list | dict = {"keys": orjson.dumps(keys).decode(), "tenant": tenant_id}
    else:
        # SQLite (the demo): the same lookup as a row-value IN over a VALUES list.
        values = ", ".join(["(%s, %s)"] * len(keys))
        sql = (
            f"SELECT id, name, parent_phone, deleted_at IS NOT NULL FROM {table} "
            f"WHERE tenant_id = %s AND (name, parent_phone) IN (VALUES {values})"
        )
        params = [tenant_id]
        for key in keys:
            params.extend(key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [IdentityMatch(row[0], row[1], row[2], bool(row[3])) for row in cursor.fetchall()]
