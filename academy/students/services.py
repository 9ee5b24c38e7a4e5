"""Writes of students: the Excel roster import and soft delete."""
from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, Iterator, Protocol, Sequence, TypeVar

import orjson
import psycopg
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from academy.errors import ApplicationError
from academy.jobs.results import EncodedList
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
from academy.tenants.activation import activation_codes_new
from academy.tenants.models import Membership, Role, User
from academy.tenants.services import users_deactivate

_T = TypeVar("_T")

IMPORT_JOB_TYPE = "excel_student_import"
# Step weights (bench/import): the file is checked and its header found first ("parsing"),
# then rows are validated and written chunk by chunk ("validating" is the first chunk's).
# Set when calamine read the whole sheet up front; the check is a smaller share since the
# sheet streams (about 0.7 s of 18 s at 100,000 rows), so "parsing" ends early.
IMPORT_STEPS = (("parsing", 0.15), ("validating", 0.05), ("creating students", 0.8))
# One transaction per chunk: a bad chunk rolls back alone, and row locks stay short. Four
# statements a chunk on PostgreSQL (BEGIN, SET CONSTRAINTS, the chunk's, COMMIT): 10,000
# rows take 40.
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
    # The new accounts, in row order (chunks are written in file order), as JSON bytes from
    # the start: as dicts, 100,000 of them held about 50 MB (bench/import).
    accounts: EncodedList = field(default_factory=EncodedList)

    def fail(self, rows: Sequence[StudentRow], error: str) -> None:
        self.failed.extend({"row": row.row, "name": row.name, "error": error, "code": "row_not_saved",
                            "params": {}} for row in rows)

    def accounts_add(self, *, tenant_id: int, first: int, rows: Sequence[StudentRow], codes: Sequence[str],
                     expires_at: str) -> None:
        """Add new accounts: rows[i] got student number first + i and the one-time codes[i]."""
        prefix = f"t{tenant_id}-"
        self.accounts.extend([
            {"row": row.row, "name": row.name, "ps_number": (number := _ps_number(first + offset)),
             "username": prefix + number, "activation_code": code, "activation_expires_at": expires_at}
            for offset, (row, code) in enumerate(zip(rows, codes))
        ])

    def as_result(self, *, dry_run: bool) -> dict:
        result = {
            "created": self.created,
            "restored": self.restored,
            "skipped_existing": self.skipped_existing,
            "failed": sorted(self.failed, key=lambda entry: entry["row"]),
            "total": self.total,
            # Staff hand each new student their code; it works once, until activation_expires_at.
            "accounts": self.accounts,
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
    `accounts` (staff hand them out; the student chooses a password with it). Raise
    ImportFileError when the file as a whole is unusable. The rows stream through in chunks
    of WRITE_CHUNK, validated, then looked up and written by one statement each on
    PostgreSQL, so what the import holds beyond the parsed sheet does not grow with the file.
    """
    reporter = reporter or _SilentReporter()
    reporter.step(0)
    roster = Roster(source, limits=ImportLimits.from_settings(settings))
    report = _Report(total=0)
    started = False

    def chunks() -> Iterator[list[StudentRow]]:
        nonlocal started
        for rows in _valid_chunks(roster, report=report):
            if not started:
                started = True
                reporter.step(2)
            yield rows

    def written() -> None:
        reporter.advance(roster.total, max(roster.estimate, roster.total))

    try:
        reporter.step(1)
        if dry_run:
            for rows in chunks():
                work = _classify(tenant_id=tenant_id, rows=rows, report=report)
                created = sum(1 for _, student_id in work if student_id is None)
                report.created += created
                report.restored += len(work) - created
                written()
        elif connection.vendor == "postgresql":
            _write_pipelined(tenant_id=tenant_id, chunks=chunks(), report=report, on_written=written)
        else:
            for rows in chunks():
                _write_chunk_reporting(tenant_id=tenant_id, items=_classify(tenant_id=tenant_id, rows=rows,
                                                                            report=report), report=report)
                written()
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
                report.accounts_add(tenant_id=tenant_id, **accounts)
            return


def _db_error(exc: DatabaseError) -> str:
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"database error: {first_line[:200]}"


def _write_chunk(*, tenant_id: int, items: list[tuple[StudentRow, int | None]]
                 ) -> tuple[int, int, tuple | None]:
    """Create and restore one chunk's students in one transaction, through the ORM (SQLite).

    Return (created, restored, the new accounts as _Report.accounts_add's arguments, or None).
    PostgreSQL takes _PgChunk's statement instead.
    """
    new = [row for row, student_id in items if student_id is None]
    restore = [(student_id, row) for row, student_id in items if student_id is not None]
    now = timezone.now()
    with transaction.atomic():
        # First: the counter row's lock orders concurrent imports of the tenant chunk by
        # chunk, so their parent upserts cannot deadlock.
        first = _ps_numbers_allocate(tenant_id=tenant_id, count=len(new)) if new else 0
        # No password until the student activates: nothing shared, nothing to guess.
        codes = activation_codes_new(len(new))
        expires = now + timedelta(days=settings.ACTIVATION_CODE_TTL_DAYS)
        _write_orm(tenant_id=tenant_id, new=new, first=first, restore=restore,
                   code_hashes=[code_hash for _, code_hash in codes], expires=expires, now=now)
    accounts = {"first": first, "rows": new, "codes": [code for code, _ in codes],
                "expires_at": expires.isoformat()} if new else None
    return len(new), len(restore), accounts


# PostgreSQL: ONE statement per chunk looks its rows up, takes the number block, creates the
# new students with their users, parents and memberships, and restores the soft-deleted ones.
# The rows travel as one JSON document (orjson serialises the row dataclasses in C) that
# json_to_recordset() unpacks: no model instances, no per-value quoting in Python. Since
# Python needs no answer before the write, the chunk is sent in pipeline mode and the next
# one is read and validated while PostgreSQL writes this one (bench/import: on two cores the
# Python and the database halves of 10,000 rows took 0.8 and 1.3 s one after the other).
_ROW_COLUMNS = ("name text, parent_phone text, phone text, school text, school_type text, grade int2, "
                "class_name text, major text, gender text, memo text")
_CHUNK_SQL = """
WITH r AS MATERIALIZED (
    -- Each row with its match: an active student with its key (skipped), else the newest
    -- soft-deleted one (restored). One probe per row of each small partial index, from a
    -- LATERAL subquery the planner cannot turn into a scan of the whole tenant (OFFSET 0,
    -- LIMIT; see student_identities_find).
    SELECT r.*, a.id IS NOT NULL AS active, d.id AS deleted_id
    FROM ROWS FROM (json_to_recordset(%(rows)s::json) AS ({columns}), json_array_elements_text(%(codes)s::json))
        WITH ORDINALITY
        AS r(name, parent_phone, phone, school, school_type, grade, class_name, major, gender, memo, code_hash, n)
    LEFT JOIN LATERAL (
        SELECT s.id FROM {student} s WHERE s.tenant_id = %(tenant)s AND s.name = r.name
        AND s.parent_phone = r.parent_phone AND s.deleted_at IS NULL OFFSET 0) a ON true
    LEFT JOIN LATERAL (
        SELECT s.id FROM {student} s WHERE s.tenant_id = %(tenant)s AND s.name = r.name
        AND s.parent_phone = r.parent_phone AND s.deleted_at IS NOT NULL ORDER BY s.id DESC LIMIT 1) d ON true
), new AS MATERIALIZED (
    SELECT r.*, row_number() OVER (ORDER BY r.n) AS k FROM r WHERE NOT r.active AND r.deleted_id IS NULL
), block AS (
    -- First, before any other write: the tenant's counter row. Its lock orders concurrent
    -- imports of the tenant chunk by chunk (their parent upserts and restores cannot
    -- deadlock), and the block of numbers it hands out is rolled back with the chunk.
    INSERT INTO {counter} (tenant_id, next_value) SELECT %(tenant)s, 1 + count(*) FROM new
    ON CONFLICT (tenant_id) DO UPDATE SET next_value = {counter}.next_value + EXCLUDED.next_value - 1
    RETURNING next_value
), nw AS MATERIALIZED (
    -- The users' ids come from their sequence here, so the students and memberships below
    -- take them from nw instead of joining on what the users' INSERT returns.
    SELECT new.*, nextval((SELECT pg_get_serial_sequence('{user}', 'id'))::regclass) AS user_id,
           'S' || CASE WHEN b.value < 1000000 THEN lpad(b.value::text, 6, '0') ELSE b.value::text END AS ps_number
    FROM new CROSS JOIN LATERAL (
        SELECT block.next_value - (SELECT count(*) FROM new) + new.k - 1 AS value FROM block) b
), u AS (
    INSERT INTO {user} (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                        date_joined, must_change_password, activation_code_hash, activation_expires_at)
    SELECT nw.user_id, %(password)s, false, %(prefix)s || nw.ps_number, nw.name, '', '', false, true, %(now)s, false,
           nw.code_hash, %(expires)s FROM nw
), p AS (
    -- DO UPDATE, not DO NOTHING: RETURNING then gives the existing parents too. Sorted, so
    -- concurrent upserts lock rows in one order.
    INSERT INTO {parent} (tenant_id, phone, created_at)
    SELECT DISTINCT %(tenant)s::int8, parent_phone, %(now)s FROM nw ORDER BY parent_phone
    ON CONFLICT (tenant_id, phone) DO UPDATE SET phone = EXCLUDED.phone
    RETURNING id, phone
), parents AS MATERIALIZED (
    -- A map, not a join: the planner counts one row in nw and p, and a nested loop over
    -- both took 270 ms a chunk.
    SELECT jsonb_object_agg(phone, id) AS ids FROM p
), s AS (
    INSERT INTO {student} (tenant_id, parent_id, user_id, ps_number, name, parent_phone, phone, school,
                           school_type, grade, class_name, major, gender, memo, created_at, updated_at)
    SELECT %(tenant)s, (parents.ids ->> nw.parent_phone)::int8, nw.user_id, nw.ps_number, nw.name, nw.parent_phone,
           nw.phone, nw.school, nw.school_type, nw.grade, nw.class_name, nw.major, nw.gender, nw.memo, %(now)s, %(now)s
    FROM nw CROSS JOIN parents
), m AS (
    INSERT INTO {membership} (tenant_id, user_id, role, created_at)
    SELECT %(tenant)s, user_id, %(role)s, %(now)s FROM nw
), rs AS (
    -- The file is newer than the deleted row: its fields win. After the counter (block).
    UPDATE {student} AS s SET phone = r.phone, school = r.school, school_type = r.school_type, grade = r.grade,
        class_name = r.class_name, major = r.major, gender = r.gender, memo = r.memo,
        deleted_at = NULL, updated_at = %(now)s
    FROM r CROSS JOIN block
    WHERE NOT r.active AND s.id = r.deleted_id
    RETURNING s.user_id
), ru AS (
    -- Soft delete deactivated their accounts: open them again.
    UPDATE {user} SET is_active = true WHERE id IN (SELECT user_id FROM rs)
)
-- The foreign keys of every write are checked at the end of this one statement
-- (SET CONSTRAINTS ALL IMMEDIATE), when all its rows are in place.
SELECT (SELECT next_value FROM block), (SELECT array_agg(n ORDER BY n) FROM nw),
       (SELECT count(*) FROM rs), (SELECT count(*) FROM r WHERE r.active)
"""


@functools.cache
def _sql(template: str) -> str:
    quote = connection.ops.quote_name
    return template.format(
        columns=_ROW_COLUMNS, user=quote(User._meta.db_table), parent=quote(Parent._meta.db_table),
        student=quote(Student._meta.db_table), membership=quote(Membership._meta.db_table),
        counter=quote(StudentNumberCounter._meta.db_table))


def _rows_json(rows: Sequence[StudentRow]) -> str:
    # The row dataclass as it is: json_to_recordset ignores keys it is not asked for ("row").
    return orjson.dumps(rows).decode()


class _PgChunk:
    """One chunk's statement for PostgreSQL: sent in pipeline mode, its answer collected later."""

    def __init__(self, *, tenant_id: int, rows: list[StudentRow]) -> None:
        self.tenant_id = tenant_id
        self.rows = rows
        now = timezone.now()
        # A code for every row: which rows are new is known only to the statement.
        self.codes = activation_codes_new(len(rows))
        self.expires = now + timedelta(days=settings.ACTIVATION_CODE_TTL_DAYS)
        self.params = {
            "rows": _rows_json(rows), "codes": orjson.dumps([code_hash for _, code_hash in self.codes]).decode(),
            "expires": self.expires, "password": UNUSABLE_PASSWORD_PREFIX, "prefix": f"t{tenant_id}-",
            "now": now, "tenant": tenant_id, "role": Role.STUDENT.value,
        }
        # In Django's atomic block (tests, a caller's transaction) the chunk is a savepoint.
        if connection.in_atomic_block:
            self._begin, self._commit = "SAVEPOINT student_import_chunk", "RELEASE SAVEPOINT student_import_chunk"
            self._rollback = ("ROLLBACK TO SAVEPOINT student_import_chunk", self._commit)
        else:
            self._begin, self._commit, self._rollback = "BEGIN", "COMMIT", ("ROLLBACK",)
        self._cursor: psycopg.Cursor | None = None

    def send(self) -> None:
        """Queue the chunk's transaction; the connection must be in pipeline mode."""
        pg = connection.connection
        # prepare=False: no named prepared statements, which a pooler in transaction mode
        # (PgBouncer) cannot follow from one server connection to the next.
        pg.execute(self._begin, prepare=False)
        pg.execute("SET CONSTRAINTS ALL IMMEDIATE", prepare=False)
        self._cursor = psycopg.Cursor(pg)
        self._cursor.execute(_sql(_CHUNK_SQL), self.params, prepare=False)
        pg.execute(self._commit, prepare=False)

    def collect(self) -> tuple | DatabaseError:
        """Wait for the answer: (counter value, new rows' positions, restored, skipped), or the error."""
        try:
            with connection.wrap_database_errors:
                return self._cursor.fetchone()
        except DatabaseError as exc:
            return exc
        finally:
            self._cursor.close()

    def rollback(self) -> None:
        """End the failed chunk's transaction (after the pipeline's sync)."""
        with connection.wrap_database_errors:
            for statement in self._rollback:
                connection.connection.execute(statement, prepare=False)

    def report(self, answer: tuple, report: _Report) -> None:
        next_value, positions, restored, skipped = answer
        positions = positions or []
        report.created += len(positions)
        report.restored += restored
        report.skipped_existing += skipped
        if positions:
            report.accounts_add(tenant_id=self.tenant_id, first=next_value - len(positions),
                                rows=[self.rows[n - 1] for n in positions],
                                codes=[self.codes[n - 1][0] for n in positions], expires_at=self.expires.isoformat())


def _write_pipelined(*, tenant_id: int, chunks: Iterator[list[StudentRow]], report: _Report,
                     on_written: Callable[[], None]) -> None:
    """Write the chunks one statement each, reading the next chunk while PostgreSQL writes one."""
    connection.ensure_connection()

    def following(rows: list[StudentRow] | None) -> _PgChunk | None:
        return _PgChunk(tenant_id=tenant_id, rows=rows) if rows is not None else None

    chunk = following(next(chunks, None))
    while chunk is not None:
        # The overlap: Python reads the next chunk and makes its codes and JSON while
        # PostgreSQL writes this one.
        answer, after = _chunk_write(chunk, meanwhile=lambda: following(next(chunks, None)))
        if isinstance(answer, DatabaseError):
            _chunk_retry(chunk, error=answer, report=report)
        else:
            chunk.report(answer, report)
        on_written()
        chunk = after


def _chunk_write(chunk: _PgChunk, *, meanwhile: Callable[[], _T] = lambda: None) -> tuple[tuple | DatabaseError, _T]:
    """Send the chunk, run `meanwhile` while PostgreSQL writes it; return (answer or error, its result).

    A failed chunk's transaction is ended after the pipeline's sync, also when `meanwhile`
    raised (a file error), so the connection stays usable.
    """
    answer = None
    try:
        with connection.connection.pipeline():
            chunk.send()
            try:
                result = meanwhile()
            finally:
                answer = chunk.collect()
    finally:
        if isinstance(answer, DatabaseError):
            chunk.rollback()
    return answer, result


def _chunk_retry(chunk: _PgChunk, *, error: DatabaseError, report: _Report) -> None:
    """Send a failed chunk once more after an integrity error; otherwise report its rows.

    A concurrent import may have created some of the students (the statement finds them
    this time), or a user may hold a username of the allocated block: that block is skipped
    (a rolled-back allocation would hand out the same numbers again).
    """
    active, deleted = _matches(tenant_id=chunk.tenant_id, rows=chunk.rows)
    if isinstance(error, IntegrityError):
        known = active | deleted.keys()
        new_count = sum(1 for row in chunk.rows if (row.name, row.parent_phone) not in known)
        if new_count:
            _ps_numbers_allocate(tenant_id=chunk.tenant_id, count=new_count)
        chunk = _PgChunk(tenant_id=chunk.tenant_id, rows=chunk.rows)
        answer, _ = _chunk_write(chunk)
        if not isinstance(answer, DatabaseError):
            chunk.report(answer, report)
            return
        error = answer
    report.skipped_existing += sum(1 for row in chunk.rows if (row.name, row.parent_phone) in active)
    report.fail([row for row in chunk.rows if (row.name, row.parent_phone) not in active], _db_error(error))


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
