"""Writes of students: the Excel roster import and soft delete."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from academy.students.models import Parent, Student, StudentNumberCounter
from academy.students.parsing import ImportLimits, Source, StudentRow, check_workbook, parse_workbook
from academy.students.selectors import student_identities_find
from academy.tenants.models import Membership, Role, User

IMPORT_JOB_TYPE = "excel_student_import"
# Weights from the benchmark (bench/import): writing takes about 80 % of an import.
IMPORT_STEPS = (("parsing", 0.15), ("validating", 0.05), ("creating students", 0.8))
LOOKUP_CHUNK = 1000
# One transaction per chunk: a bad chunk rolls back alone, and row locks stay short.
# Eight statements a chunk: 250 rows keep 10,000 rows within 400 statements.
WRITE_CHUNK = 250
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

    def fail(self, rows: Sequence[StudentRow], error: str) -> None:
        self.failed.extend({"row": row.row, "name": row.name, "error": error} for row in rows)

    def as_result(self, *, dry_run: bool) -> dict:
        result = {
            "created": self.created,
            "restored": self.restored,
            "skipped_existing": self.skipped_existing,
            "failed": sorted(self.failed, key=lambda entry: entry["row"]),
            "total": self.total,
        }
        if dry_run:
            result["dry_run"] = True
        return result


# --- starting an import from an upload ----------------------------------------------------

def student_import_prepare(*, tenant_id: int, file, initial_password: str, dry_run: bool = False) -> dict:
    """Check an uploaded roster, store it and return the job payload; raise ImportFileError.

    The initial password is hashed here, once per import: only the hash leaves the request.
    """
    check_workbook(file, limits=ImportLimits.from_settings(settings))
    password_hash = make_password(initial_password) if initial_password else ""
    file.seek(0)
    path = default_storage.save(f"imports/{int(tenant_id)}/{uuid.uuid4().hex}.xlsx", file)
    return {"path": path, "password_hash": password_hash, "dry_run": dry_run}


def student_import_file_delete(*, path: str) -> None:
    """Delete a stored roster no job points at."""
    default_storage.delete(path)


# --- the import itself ---------------------------------------------------------------------

def student_import_run(*, tenant_id: int, source: Source, password_hash: str, dry_run: bool = False,
                       reporter: Reporter | None = None) -> dict:
    """Import a roster into the tenant and return the row-by-row report (the job's result).

    Raise ImportFileError when the file as a whole is unusable. Statements grow with
    rows / chunk size: one lookup per LOOKUP_CHUNK rows, a fixed handful per WRITE_CHUNK.
    """
    if not (password_hash or dry_run):
        raise ValueError("New accounts need a password hash (make_password of the initial password).")
    reporter = reporter or _SilentReporter()
    reporter.step(0)
    parsed = parse_workbook(source, limits=ImportLimits.from_settings(settings))
    report = _Report(total=parsed.total)
    report.failed.extend({"row": e.row, "name": e.name, "error": e.error} for e in parsed.errors)

    reporter.step(1)
    work = _plan(tenant_id=tenant_id, rows=parsed.rows, report=report, reporter=reporter)
    del parsed  # the plan holds what is still needed

    reporter.step(2)
    if dry_run:
        report.created = sum(1 for _, student_id in work if student_id is None)
        report.restored = len(work) - report.created
    else:
        for start in range(0, len(work), WRITE_CHUNK):
            _write_chunk_reporting(tenant_id=tenant_id, items=work[start:start + WRITE_CHUNK],
                                   password_hash=password_hash, report=report)
            reporter.advance(min(start + WRITE_CHUNK, len(work)), len(work))
    reporter.advance(1, 1)
    return report.as_result(dry_run=dry_run)


def _plan(*, tenant_id: int, rows: list[StudentRow], report: _Report,
          reporter: Reporter) -> list[tuple[StudentRow, int | None]]:
    """Return (row, soft-deleted student to restore or None to create) for rows to write.

    Rows whose student is active are counted as skipped_existing here.
    """
    work: list[tuple[StudentRow, int | None]] = []
    for start in range(0, len(rows), LOOKUP_CHUNK):
        chunk = rows[start:start + LOOKUP_CHUNK]
        work += _classify(tenant_id=tenant_id, rows=chunk, report=report)
        reporter.advance(start + len(chunk), len(rows))
    return work


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


def _write_chunk_reporting(*, tenant_id: int, items: list[tuple[StudentRow, int | None]], password_hash: str,
                           report: _Report) -> None:
    """Write one chunk in its own transaction; on a database error report its rows instead.

    An integrity error is retried once: a concurrent import may have created some of the
    students (look them up again), or a user may hold a username of the allocated block
    (skip that block: the rolled-back allocation would hand out the same numbers again).
    """
    for attempt in (1, 2):
        try:
            created, restored = _write_chunk(tenant_id=tenant_id, items=items, password_hash=password_hash)
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
            return


def _db_error(exc: DatabaseError) -> str:
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"database error: {first_line[:200]}"


def _write_chunk(*, tenant_id: int, items: list[tuple[StudentRow, int | None]],
                 password_hash: str) -> tuple[int, int]:
    """Create and restore one chunk's students in one transaction; return (created, restored)."""
    new = [row for row, student_id in items if student_id is None]
    restore = [(student_id, row) for row, student_id in items if student_id is not None]
    now = timezone.now()
    with transaction.atomic():
        if new:
            _constraints_immediate()
            # First: the counter row's lock orders concurrent imports of the tenant chunk by
            # chunk, so their parent upserts cannot deadlock.
            first = _ps_numbers_allocate(tenant_id=tenant_id, count=len(new))
            numbers = [f"S{first + offset:06d}" for offset in range(len(new))]
            users = User.objects.bulk_create([
                User(username=f"t{tenant_id}-{number}", password=password_hash, first_name=row.name,
                     must_change_password=True, date_joined=now)
                for row, number in zip(new, numbers)
            ])
            parent_ids = _parents_upsert(tenant_id=tenant_id, phones={row.parent_phone for row in new})
            Student.objects.bulk_create([
                Student(tenant_id=tenant_id, ps_number=number, user_id=user.pk,
                        parent_id=parent_ids[row.parent_phone], created_at=now, updated_at=now,
                        **_row_fields(row))
                for row, number, user in zip(new, numbers, users)
            ])
            Membership.objects.bulk_create([
                Membership(tenant_id=tenant_id, user_id=user.pk, role=Role.STUDENT, created_at=now)
                for user in users
            ])
        if restore:
            Student.objects.bulk_update(
                [Student(pk=student_id, deleted_at=None, updated_at=now, **_row_fields(row))
                 for student_id, row in restore],
                fields=[*RESTORED_FIELDS, "deleted_at", "updated_at"],
            )
            # Soft delete deactivated their accounts: open them again.
            User.objects.filter(student__pk__in=[student_id for student_id, _ in restore]).update(is_active=True)
    return len(new), len(restore)


def _constraints_immediate() -> None:
    """Check this transaction's foreign keys in each INSERT, not all at COMMIT.

    Django declares them DEFERRABLE INITIALLY DEFERRED, so a chunk would queue one
    trigger event per key per row (about 1,200 here) and run them as separate queries
    at COMMIT, where a violation no longer names the INSERT that caused it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _row_fields(row: StudentRow) -> dict:
    return {
        "name": row.name, "parent_phone": row.parent_phone, "phone": row.phone, "school": row.school,
        "school_type": row.school_type, "grade": row.grade, "class_name": row.class_name, "major": row.major,
        "gender": row.gender, "memo": row.memo,
    }


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

    One statement: INSERT ... ON CONFLICT DO UPDATE returns existing rows too, where
    ON CONFLICT DO NOTHING would need a second SELECT for them. Sorted, so concurrent
    upserts lock rows in one order.
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
        User.objects.filter(pk__in=user_ids).update(is_active=False)
    return count
