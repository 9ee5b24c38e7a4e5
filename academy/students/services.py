"""Writes of students: the Excel roster import and soft delete."""
from __future__ import annotations

import uuid
from array import array
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Iterator, Protocol, Sequence

import orjson
import psycopg
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from academy.errors import ApplicationError
from academy.students.models import Parent, Student, StudentNumberCounter
from academy.students.parsing import (
    FIELDS,
    ImportLimits,
    Roster,
    RowError,
    Source,
    StudentRow,
    check_workbook,
)
from academy.students.selectors import student_identities_find
from academy.tenants.activation import CODE_PRINTED_LENGTH as ACCOUNT_CODE_LENGTH
from academy.tenants.activation import activation_codes_new
from academy.tenants.models import Membership, Role, User
from academy.tenants.services import users_deactivate

IMPORT_JOB_TYPE = "excel_student_import"
# Weights from the benchmark (bench/import): calamine reads the whole sheet first ("parsing"),
# then rows are validated and written chunk by chunk ("validating" is the first chunk's).
IMPORT_STEPS = (("parsing", 0.15), ("validating", 0.05), ("creating students", 0.8))
# One transaction per chunk: a bad chunk rolls back alone, and row locks stay short. One
# lookup and five statements a chunk (six with restores): 10,000 rows take about 60.
# Rows are validated before they are written, so a chunk rarely fails as a whole.
WRITE_CHUNK = 1000
# Fields a restored student takes from the file: the file is newer than the deleted row.
RESTORED_FIELDS = ("phone", "school", "school_type", "grade", "class_name", "major", "gender", "memo")


class Reporter(Protocol):
    def step(self, index: int) -> None: ...

    def advance(self, done: int, total: int) -> None: ...


class _SilentReporter:
    def step(self, index: int) -> None:
        pass

    def advance(self, done: int, total: int) -> None:
        pass


@dataclass
class _Report:
    total: int
    created: int = 0
    restored: int = 0
    skipped_existing: int = 0
    failed: list[dict] = field(default_factory=list)
    # The new accounts, a chunk at a time, compact until the end: (username prefix, first
    # number, Excel rows, names, the codes joined, expiry). As dicts from the first chunk
    # on, 100,000 accounts held about 55 MB while the sheet was still loaded.
    account_chunks: list[tuple[str, int, array, list[str], str, str]] = field(default_factory=list)

    def fail(self, rows: Sequence[StudentRow], error: str) -> None:
        self.failed.extend({"row": row.row, "name": row.name, "error": error, "code": "row_not_saved",
                            "params": {}} for row in rows)

    def _accounts(self) -> Iterator[dict]:
        while self.account_chunks:
            prefix, first, rows, names, codes, expires_at = self.account_chunks.pop(0)
            for offset, (row, name) in enumerate(zip(rows, names)):
                number = _ps_number(first + offset)
                code = codes[offset * ACCOUNT_CODE_LENGTH:(offset + 1) * ACCOUNT_CODE_LENGTH]
                yield {"row": row, "name": name, "ps_number": number, "username": prefix + number,
                       "activation_code": code, "activation_expires_at": expires_at}

    def as_result(self, *, dry_run: bool) -> dict:
        result = {
            "created": self.created,
            "restored": self.restored,
            "skipped_existing": self.skipped_existing,
            "failed": sorted(self.failed, key=lambda entry: entry["row"]),
            "total": self.total,
            # Staff hand each new student their code; it works once, until activation_expires_at.
            "accounts": sorted(self._accounts(), key=lambda entry: entry["row"]),
        }
        if dry_run:
            result["dry_run"] = True
        return result


# --- starting an import from an upload ----------------------------------------------------

def student_import_prepare(*, tenant_id: int, file, dry_run: bool = False) -> dict:
    """Check an uploaded roster, store it and return the job payload; raise ImportFileError."""
    check_workbook(file, limits=ImportLimits.from_settings(settings))
    file.seek(0)
    path = default_storage.save(f"imports/{int(tenant_id)}/{uuid.uuid4().hex}.xlsx", file)
    return {"path": path, "dry_run": dry_run}


def student_import_file_delete(*, path: str) -> None:
    """Delete a stored roster no job points at."""
    default_storage.delete(path)


# --- the import itself ---------------------------------------------------------------------

def student_import_run(*, tenant_id: int, source: Source, dry_run: bool = False,
                       reporter: Reporter | None = None) -> dict:
    """Import a roster into the tenant and return the row-by-row report (the job's result).

    Each new account gets no password but a one-time activation code, listed in the report's
    `accounts` (staff hand them out; the student chooses a password with it). Raise ImportFileError when the file as a whole is unusable. The rows stream through in
    chunks of WRITE_CHUNK (validated, looked up with one statement, written with a handful),
    so what the import holds beyond the parsed sheet does not grow with the file.
    """
    reporter = reporter or _SilentReporter()
    reporter.step(0)
    roster = Roster(source, limits=ImportLimits.from_settings(settings))
    report = _Report(total=0)
    try:
        reporter.step(1)
        for index, rows in enumerate(_valid_chunks(roster, report=report)):
            if index == 0:
                reporter.step(2)
            work = _classify(tenant_id=tenant_id, rows=rows, report=report)
            if dry_run:
                created = sum(1 for _, student_id in work if student_id is None)
                report.created += created
                report.restored += len(work) - created
            else:
                _write_chunk_reporting(tenant_id=tenant_id, items=work, report=report)
            reporter.advance(roster.total, max(roster.estimate, roster.total))
    finally:
        roster.close()
    report.total = roster.total
    reporter.advance(1, 1)
    return report.as_result(dry_run=dry_run)


def _valid_chunks(roster: Roster, *, report: _Report) -> Iterator[list[StudentRow]]:
    """Yield the roster's valid rows WRITE_CHUNK at a time; report the invalid ones."""
    chunk: list[StudentRow] = []
    for item in roster:
        if isinstance(item, RowError):
            report.failed.append(item.as_failed())
            continue
        chunk.append(item)
        if len(chunk) == WRITE_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _classify(*, tenant_id: int, rows: Sequence[StudentRow],
              report: _Report) -> list[tuple[StudentRow, int | None]]:
    """Look the rows up (one statement); count the active ones as skipped, return the rest."""
    active, deleted = _matches(tenant_id=tenant_id, rows=rows)
    work = []
    for row in rows:
        key = (row.name, row.parent_phone)
        if key in active:
            report.skipped_existing += 1
        else:
            work.append((row, deleted.get(key)))
    return work


def _matches(*, tenant_id: int, rows: Sequence[StudentRow]) -> tuple[set, dict]:
    """Return the keys of active students, and key -> newest soft-deleted student id."""
    active: set[tuple[str, str]] = set()
    deleted: dict[tuple[str, str], int] = {}
    keys = [(row.name, row.parent_phone) for row in rows]
    for match in student_identities_find(tenant_id=tenant_id, keys=keys):
        key = (match.name, match.parent_phone)
        if not match.deleted:
            active.add(key)
        elif match.student_id > deleted.get(key, 0):
            deleted[key] = match.student_id
    return active, deleted


def _write_chunk_reporting(*, tenant_id: int, items: list[tuple[StudentRow, int | None]],
                           report: _Report) -> None:
    """Write one chunk in its own transaction; on a database error report its rows instead.

    An integrity error is retried once: a concurrent import may have created some of the
    students (look them up again), or a user may hold a username of the allocated block
    (skip that block: the rolled-back allocation would hand out the same numbers again).
    """
    for attempt in (1, 2):
        try:
            created, restored, accounts = _write_chunk(tenant_id=tenant_id, items=items)
        except IntegrityError as exc:
            if attempt == 2:
                report.fail([row for row, _ in items], _db_error(exc))
                return
            items = _classify(tenant_id=tenant_id, rows=[row for row, _ in items], report=report)
            new_count = sum(1 for _, student_id in items if student_id is None)
            if new_count:
                _ps_numbers_allocate(tenant_id=tenant_id, count=new_count)
        except DatabaseError as exc:
            report.fail([row for row, _ in items], _db_error(exc))
            return
        else:
            report.created += created
            report.restored += restored
            if accounts is not None:
                report.account_chunks.append(accounts)
            return


def _db_error(exc: DatabaseError) -> str:
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"database error: {first_line[:200]}"


def _write_chunk(*, tenant_id: int, items: list[tuple[StudentRow, int | None]]
                 ) -> tuple[int, int, tuple | None]:
    """Create and restore one chunk's students in one transaction.

    Return (created, restored, the new accounts with their activation codes, in
    _Report.account_chunks' compact form, or None).
    """
    new = [row for row, student_id in items if student_id is None]
    restore = [(student_id, row) for row, student_id in items if student_id is not None]
    now = timezone.now()
    write = _write_sql if connection.vendor == "postgresql" else _write_orm
    with transaction.atomic():
        _constraints_immediate()
        # First: the counter row's lock orders concurrent imports of the tenant chunk by
        # chunk, so their parent upserts cannot deadlock.
        first = _ps_numbers_allocate(tenant_id=tenant_id, count=len(new)) if new else 0
        # No password until the student activates: nothing shared, nothing to guess.
        codes = activation_codes_new(len(new))
        expires = now + timedelta(days=settings.ACTIVATION_CODE_TTL_DAYS)
        write(tenant_id=tenant_id, new=new, first=first, restore=restore,
              code_hashes=[code_hash for _, code_hash in codes], expires=expires, now=now)
    accounts = (f"t{tenant_id}-", first, array("q", [row.row for row in new]), [row.name for row in new],
                "".join(code for code, _ in codes), expires.isoformat()) if new else None
    return len(new), len(restore), accounts


# PostgreSQL: one statement for a chunk's new students, their users, parents and memberships,
# one for its restores. The rows travel as one JSON document (orjson serialises the row
# dataclasses in C) that json_to_recordset() unpacks: no model instances and no per-value
# quoting in Python. bench/import at 10,000 rows: Django's bulk_create spent about 2.9 s of
# 5.1 s building 40,000 instances and preparing their values, and binding the columns as
# arrays still cost psycopg about 1 s of Python; PostgreSQL itself 0.7 s.
_ROW_COLUMNS = ("name text, parent_phone text, phone text, school text, school_type text, grade int2, "
                "class_name text, major text, gender text, memo text")
_CREATE_SQL = """
WITH r AS MATERIALIZED (
    -- The users' ids come from their sequence here, so the students and memberships below
    -- take them from r instead of joining on what the users' INSERT returns.
    SELECT r.*, nextval((SELECT pg_get_serial_sequence('{user}', 'id'))::regclass) AS user_id,
           'S' || CASE WHEN r.n + %(first)s <= 1000000 THEN lpad((r.n + %(first)s - 1)::text, 6, '0')
                       ELSE (r.n + %(first)s - 1)::text END AS ps_number
    FROM ROWS FROM (json_to_recordset(%(rows)s::json) AS ({columns}), json_array_elements_text(%(codes)s::json))
        WITH ORDINALITY
        AS r(name, parent_phone, phone, school, school_type, grade, class_name, major, gender, memo, code_hash, n)
), u AS (
    INSERT INTO {user} (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                        date_joined, must_change_password, activation_code_hash, activation_expires_at)
    SELECT r.user_id, %(password)s, false, %(prefix)s || r.ps_number, r.name, '', '', false, true, %(now)s, false,
           r.code_hash, %(expires)s FROM r
), p AS (
    -- DO UPDATE, not DO NOTHING: RETURNING then gives the existing parents too. Sorted, so
    -- concurrent upserts lock rows in one order.
    INSERT INTO {parent} (tenant_id, phone, created_at)
    SELECT DISTINCT %(tenant)s::int8, parent_phone, %(now)s FROM r ORDER BY parent_phone
    ON CONFLICT (tenant_id, phone) DO UPDATE SET phone = EXCLUDED.phone
    RETURNING id, phone
), s AS (
    INSERT INTO {student} (tenant_id, parent_id, user_id, ps_number, name, parent_phone, phone, school,
                           school_type, grade, class_name, major, gender, memo, created_at, updated_at)
    SELECT %(tenant)s, p.id, r.user_id, r.ps_number, r.name, r.parent_phone, r.phone, r.school, r.school_type,
           r.grade, r.class_name, r.major, r.gender, r.memo, %(now)s, %(now)s
    FROM r JOIN p ON p.phone = r.parent_phone
)
-- The foreign keys of all four inserts are checked at the end of this one statement
-- (SET CONSTRAINTS ALL IMMEDIATE), when every row of it is in place.
INSERT INTO {membership} (tenant_id, user_id, role, created_at)
SELECT %(tenant)s, user_id, %(role)s, %(now)s FROM r
"""
_RESTORE_SQL = """
WITH r AS (
    SELECT * FROM ROWS FROM (json_to_recordset(%(rows)s::json) AS ({columns}), unnest(%(ids)s::int8[]))
        AS r(name, parent_phone, phone, school, school_type, grade, class_name, major, gender, memo, id)
), s AS (
    UPDATE {student} AS s SET phone = r.phone, school = r.school, school_type = r.school_type, grade = r.grade,
        class_name = r.class_name, major = r.major, gender = r.gender, memo = r.memo,
        deleted_at = NULL, updated_at = %(now)s
    FROM r WHERE s.id = r.id
    RETURNING s.user_id
)
-- Soft delete deactivated their accounts: open them again.
UPDATE {user} SET is_active = true WHERE id IN (SELECT user_id FROM s)
"""


def _sql(template: str) -> str:
    quote = connection.ops.quote_name
    return template.format(
        columns=_ROW_COLUMNS, user=quote(User._meta.db_table), parent=quote(Parent._meta.db_table),
        student=quote(Student._meta.db_table), membership=quote(Membership._meta.db_table))


def _rows_json(rows: Sequence[StudentRow]) -> str:
    # The row dataclass as it is: json_to_recordset ignores keys it is not asked for ("row").
    return orjson.dumps(rows).decode()


def _write_sql(*, tenant_id: int, new: list[StudentRow], first: int, restore: list[tuple[int, StudentRow]],
               code_hashes: list[str], expires, now) -> None:
    # A plain psycopg cursor binds on the server (Django's binds on the client, quoting every
    # value into the SQL text). prepare=False: no named prepared statements, which a pooler
    # in transaction mode (PgBouncer) cannot follow from one server connection to the next.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        if new:
            cursor.execute(_sql(_CREATE_SQL), {
                "rows": _rows_json(new), "codes": orjson.dumps(code_hashes).decode(), "expires": expires, "first": first,
                "password": UNUSABLE_PASSWORD_PREFIX, "prefix": f"t{tenant_id}-",
                "now": now, "tenant": tenant_id, "role": Role.STUDENT.value,
            }, prepare=False)
        if restore:
            cursor.execute(_sql(_RESTORE_SQL), {
                "rows": _rows_json([row for _, row in restore]), "ids": [student_id for student_id, _ in restore],
                "now": now,
            }, prepare=False)


def _write_orm(*, tenant_id: int, new: list[StudentRow], first: int, restore: list[tuple[int, StudentRow]],
               code_hashes: list[str], expires, now) -> None:
    """The same writes through the ORM, for SQLite (the demo)."""
    if new:
        numbers = [_ps_number(first + offset) for offset in range(len(new))]
        users = User.objects.bulk_create([
            User(username=f"t{tenant_id}-{number}", password=UNUSABLE_PASSWORD_PREFIX, first_name=row.name,
                 activation_code_hash=code_hash, activation_expires_at=expires, date_joined=now)
            for row, number, code_hash in zip(new, numbers, code_hashes)
        ])
        parent_ids = _parents_upsert(tenant_id=tenant_id, phones={row.parent_phone for row in new})
        Student.objects.bulk_create([
            Student(tenant_id=tenant_id, ps_number=number, user_id=user.pk, parent_id=parent_ids[row.parent_phone],
                    created_at=now, updated_at=now, **_row_fields(row))
            for row, number, user in zip(new, numbers, users)
        ])
        Membership.objects.bulk_create([
            Membership(tenant_id=tenant_id, user_id=user.pk, role=Role.STUDENT, created_at=now) for user in users
        ])
    if restore:
        Student.objects.bulk_update(
            [Student(pk=student_id, deleted_at=None, updated_at=now, **_row_fields(row))
             for student_id, row in restore],
            fields=[*RESTORED_FIELDS, "deleted_at", "updated_at"],
        )
        User.objects.filter(student__pk__in=[student_id for student_id, _ in restore]).update(is_active=True)


def _constraints_immediate() -> None:
    """Check this transaction's foreign keys in each INSERT, not all at COMMIT.

    Django declares them DEFERRABLE INITIALLY DEFERRED, so a chunk would queue one
    trigger event per key per row and run them as separate queries at COMMIT, where a
    violation no longer names the INSERT that caused it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _row_fields(row: StudentRow) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def _ps_number(value: int) -> str:
    """Return the student number shown for a counter value (the SQL path builds the same)."""
    return f"S{value:06d}"


def _ps_numbers_allocate(*, tenant_id: int, count: int) -> int:
    """Reserve `count` consecutive student numbers of the tenant; return the first.

    One upsert on the tenant's counter row: concurrent callers queue on its row lock
    and get disjoint blocks (never SELECT max() + 1). Inside a transaction the lock is
    held until it ends; a rolled-back block is handed out again.
    """
    table = connection.ops.quote_name(StudentNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, next_value) VALUES (%s, %s) "
            f"ON CONFLICT (tenant_id) DO UPDATE SET next_value = {table}.next_value + %s "
            "RETURNING next_value",
            [tenant_id, 1 + count, count],
        )
        return cursor.fetchone()[0] - count


def _parents_upsert(*, tenant_id: int, phones: set[str]) -> dict[str, int]:
    """Create the tenant's missing parents by phone; return phone -> parent id for all of them.

    One statement: INSERT ... ON CONFLICT DO UPDATE returns existing rows too. Sorted, so
    concurrent upserts lock rows in one order.
    """
    parents = Parent.objects.bulk_create(
        [Parent(tenant_id=tenant_id, phone=phone) for phone in sorted(phones)],
        update_conflicts=True, unique_fields=["tenant", "phone"], update_fields=["phone"],
    )
    return {parent.phone: parent.pk for parent in parents}


# --- other writes -------------------------------------------------------------------------

def student_soft_delete(*, tenant_id: int, student_ids: Sequence[int]) -> int:
    """Soft-delete the tenant's students and deactivate their accounts; return how many."""
    with transaction.atomic():
        students = Student.objects.active().filter(tenant_id=tenant_id, pk__in=student_ids)
        user_ids = list(students.exclude(user=None).values_list("user_id", flat=True))
        count = students.update(deleted_at=timezone.now())
        users_deactivate(user_ids=user_ids)  # their tokens stop working too
    return count


def student_restore(*, tenant_id: int, student_id: int) -> Student | None:
    """Restore a soft-deleted student and reactivate their account; return it, or None if none.

    Raise ApplicationError("student_restore_conflict") when an active student already has
    the same name and parent phone (an import since the deletion created them again).
    """
    with transaction.atomic():
        student = (Student.objects.select_for_update()
                   .filter(tenant_id=tenant_id, pk=student_id, deleted_at__isnull=False).first())
        if student is None:
            return None
        if Student.objects.active().filter(tenant_id=tenant_id, name=student.name,
                                           parent_phone=student.parent_phone).exists():
            raise ApplicationError(
                "student_restore_conflict",
                f"An active student named {student.name} with this parent phone already exists.",
                {"name": student.name, "parent_phone": student.parent_phone}, status=409)
        student.deleted_at = None
        student.save(update_fields=["deleted_at", "updated_at"])
        if student.user_id is not None:
            User.objects.filter(pk=student.user_id).update(is_active=True)
    return student
