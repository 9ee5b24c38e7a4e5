"""The import service against a real PostgreSQL: reports, restores, chunk failures, statement counts."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.utils import timezone

from academy.students.models import Parent, Student, StudentNumberCounter
from academy.students.parsing import ImportFileError
from academy.students.services import WRITE_CHUNK as CHUNK
from academy.students.services import student_import_run, student_soft_delete
from academy.testdata.roster import generate_rows
from academy.tenants.activation import activation_code_hash
from academy.tenants.models import Membership, Role, User
from academy.tenants.services import tenant_create


def run(tenant, path, **kwargs) -> dict:
    """Import and return the report without its accounts, after checking one came per new student."""
    result = student_import_run(tenant_id=tenant.pk, source=path, **kwargs)
    accounts = result.pop("accounts")
    assert len(accounts) == (0 if kwargs.get("dry_run") else result["created"])
    return result


def student(name: str, parent_phone: str, **fields) -> dict:
    return {"name": name, "parent_phone": parent_phone, **fields}


# --- the report -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_mixed_file_gives_exactly_the_expected_report(tenant, roster):
    run(tenant, roster([
        student("김민준", "010-1111-0001", grade=1),
        student("이서연", "010-1111-0002", grade=1),
    ]))
    student_soft_delete(tenant_id=tenant.pk, student_ids=[Student.objects.get(name="이서연").pk])

    result = run(tenant, roster([
        student("김민준", "010-1111-0001", grade=2),       # row 2: active -> skipped
        student("이서연", "01011110002", grade=2),          # row 3: soft-deleted -> restored
        student("박지우", "010-1111-0003", gender="여"),    # row 4: new
        student(None, "010-1111-0004"),                     # row 5: no name
        student("박도윤", "010-1111-0003", gender="남"),    # row 6: new, sibling of row 4
        student("박지우", "+82 10-1111-0003"),              # row 7: row 4 again
        student("최하은", "010-123"),                       # row 8: bad parent phone
    ]))

    assert result == {
        "created": 2,
        "restored": 1,
        "skipped_existing": 1,
        "failed": [
            {"row": 5, "name": "", "error": "name is required", "code": "field_required",
             "params": {"field": "name"}},
            {"row": 7, "name": "박지우", "error": "duplicate of row 4 in this file", "code": "row_duplicate",
             "params": {"first_row": 4}},
            {"row": 8, "name": "최하은", "error": "parent phone '010-123' has 6 digits; a 010 number has 11",
             "code": "phone_wrong_length", "params": {"field": "parent_phone", "value": "010-123", "digits": 6}},
        ],
        "total": 7,
    }
    restored = Student.objects.get(name="이서연")
    assert restored.deleted_at is None and restored.grade == 2, "restored with the file's values"
    assert restored.user.is_active, "its account is open again"
    assert Student.objects.get(name="김민준").grade == 1, "an active student is left alone"
    siblings = Student.objects.filter(name__in=["박지우", "박도윤"])
    assert {s.parent_id for s in siblings} == {Parent.objects.get(tenant=tenant, phone="01011110003").pk}
    assert sorted(Student.objects.values_list("ps_number", flat=True)) == [
        "S000001", "S000002", "S000003", "S000004"]


@pytest.mark.django_db
def test_new_students_get_accounts_with_their_own_one_time_code_and_no_password(tenant, roster):
    result = student_import_run(tenant_id=tenant.pk,
                                source=roster([student("김민준", "010-1111-0001"), student("이서연", "010-1111-0002")]))

    created = Student.objects.get(name="김민준")
    assert created.ps_number == "S000001"
    assert created.user.username == f"t{tenant.pk}-S000001"
    assert not created.user.has_usable_password(), "no password anyone could guess or share"
    accounts = result["accounts"]
    assert [(a["row"], a["name"], a["username"], a["ps_number"]) for a in accounts] == [
        (2, "김민준", f"t{tenant.pk}-S000001", "S000001"), (3, "이서연", f"t{tenant.pk}-S000002", "S000002")]
    codes = [a["activation_code"] for a in accounts]
    assert len(set(codes)) == 2 and all(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", c) for c in codes)
    # Only a hash is stored, and each account matches its own code alone.
    assert created.user.activation_code_hash == activation_code_hash(codes[0]) != activation_code_hash(codes[1])
    assert codes[0] not in created.user.activation_code_hash
    assert created.user.activation_expires_at > timezone.now()
    assert authenticate(username=created.user.username, password=codes[0]) is None
    assert Membership.objects.get(user=created.user).role == Role.STUDENT
    assert created.parent.phone == created.parent_phone == "01011110001"


@pytest.mark.django_db
def test_importing_the_same_file_again_creates_nothing(tenant, roster):
    path = roster(generate_rows(300, seed=3))
    first = run(tenant, path)
    counts = (Student.objects.count(), User.objects.count(), Parent.objects.count(), Membership.objects.count())

    again = run(tenant, path)

    assert first["created"] == 300
    assert again == {"created": 0, "restored": 0, "skipped_existing": 300, "failed": [], "total": 300}
    assert (Student.objects.count(), User.objects.count(), Parent.objects.count(),
            Membership.objects.count()) == counts


@pytest.mark.django_db
def test_a_dry_run_reports_and_writes_nothing(tenant, roster):
    run(tenant, roster([student("김민준", "010-1111-0001")]))
    before = Student.objects.count(), User.objects.count(), StudentNumberCounter.objects.get().next_value

    result = run(tenant, roster([student("김민준", "010-1111-0001"), student("이서연", "010-1111-0002")]),
                 dry_run=True)

    assert result == {"created": 1, "restored": 0, "skipped_existing": 1, "failed": [], "total": 2,
                      "dry_run": True}
    assert (Student.objects.count(), User.objects.count(), StudentNumberCounter.objects.get().next_value) == before


@pytest.mark.django_db
def test_tenants_are_separate(tenant, roster):
    path = roster([student("김민준", "010-1111-0001")])
    other = tenant_create(name="Other Academy")
    run(tenant, path)

    assert run(other, path)["created"] == 1, "the same student in another academy is another student"
    assert Student.objects.get(tenant=other).ps_number == "S000001", "numbers count per tenant"


# --- chunks that fail at the database -------------------------------------------------------------

@pytest.fixture
def memo_check(transactional_db):
    """A CHECK constraint only PostgreSQL enforces: a memo of "poison" is refused."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE students_student ADD CONSTRAINT test_memo_not_poison CHECK (memo <> 'poison')")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE students_student DROP CONSTRAINT test_memo_not_poison")


def test_a_chunk_failing_at_the_database_reports_its_rows_and_the_others_commit(memo_check, tenant, roster):
    rows = list(generate_rows(2 * CHUNK + 50, seed=5))
    rows[CHUNK + 50]["memo"] = "poison"  # in the second of three chunks

    result = run(tenant, roster(rows))

    error = ('database error: new row for relation "students_student" violates check constraint '
             '"test_memo_not_poison"')
    assert result == {
        "created": CHUNK + 50,
        "restored": 0,
        "skipped_existing": 0,
        # Excel row numbers: the header is row 1.
        "failed": [{"row": n + 2, "name": rows[n]["name"], "error": error, "code": "row_not_saved", "params": {}}
                   for n in range(CHUNK, 2 * CHUNK)],
        "total": 2 * CHUNK + 50,
    }
    assert Student.objects.count() == User.objects.count() == Membership.objects.count() == CHUNK + 50
    assert not Student.objects.filter(memo="poison").exists()
    again = run(tenant, roster(rows[:CHUNK] + rows[2 * CHUNK:]))
    assert again["skipped_existing"] == CHUNK + 50, "chunks 1 and 3 stayed committed"


def test_a_taken_username_costs_one_retry_with_a_fresh_number_block(transactional_db, tenant, roster):
    User.objects.create(username=f"t{tenant.pk}-S{CHUNK + 1:06d}")  # made by hand, in chunk 2's way

    result = run(tenant, roster(generate_rows(2 * CHUNK + 50, seed=6)))

    assert result["created"] == 2 * CHUNK + 50 and result["failed"] == []
    numbers = sorted(int(n[1:]) for n in Student.objects.values_list("ps_number", flat=True))
    assert numbers == [*range(1, CHUNK + 1), *range(2 * CHUNK + 1, 3 * CHUNK + 51)], \
        "the retried chunk skipped the block it collided in"


def test_two_imports_of_one_tenant_at_once(transactional_db, tenant, roster):
    """Different files get disjoint numbers; the same file twice creates each student once."""
    first, second = roster(generate_rows(600, seed=7)), roster(generate_rows(600, seed=8))
    start = threading.Barrier(2)

    def import_(path):
        try:
            start.wait()
            return run(tenant, path)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(import_, [first, second]))
    assert [r["created"] for r in results] == [600, 600]
    numbers = sorted(Student.objects.values_list("ps_number", flat=True))
    assert numbers == [f"S{n:06d}" for n in range(1, 1201)], "disjoint blocks, no gaps"

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(import_, [third := roster(generate_rows(500, seed=9)), third]))
    assert sum(r["created"] for r in results) == 500
    assert sum(r["skipped_existing"] for r in results) == 500
    assert all(r["failed"] == [] for r in results)
    assert Student.objects.count() == 1700


def test_a_file_error_while_a_chunk_is_written_leaves_the_written_chunks_and_a_usable_connection(
        transactional_db, tenant, roster, settings):
    """The next chunk is read while PostgreSQL writes one: "too many rows" can come meanwhile."""
    settings.STUDENT_IMPORT_MAX_ROWS = CHUNK + 10
    path = roster(generate_rows(2 * CHUNK, seed=11))

    with pytest.raises(ImportFileError) as raised:
        student_import_run(tenant_id=tenant.pk, source=path)

    assert raised.value.code == "import_too_many_rows"
    # The chunk in flight when the file failed was committed; Django's connection still works.
    assert Student.objects.filter(tenant=tenant).count() == CHUNK
    assert User.objects.filter(username__startswith=f"t{tenant.pk}-").count() == CHUNK


def test_a_chunk_failing_while_the_next_one_is_read_leaves_a_usable_connection(memo_check, tenant, roster, settings):
    settings.STUDENT_IMPORT_MAX_ROWS = CHUNK + 10
    rows = list(generate_rows(2 * CHUNK, seed=12))
    rows[3]["memo"] = "poison"

    with pytest.raises(ImportFileError):
        student_import_run(tenant_id=tenant.pk, source=roster(rows))

    assert not Student.objects.filter(tenant=tenant).exists(), "the failed chunk was rolled back"
    assert run(tenant, roster(rows[4:CHUNK]))["created"] == CHUNK - 4


# --- statements, counted by PostgreSQL ----------------------------------------------------------------

def test_100_rows_take_at_most_8_statements(pg_statements, tenant, roster):
    path = roster(generate_rows(100, seed=1))
    pg_statements.reset()

    result = run(tenant, path)

    total = pg_statements.total()
    print(f"100 rows: {total} statements")
    assert result["created"] == 100
    # One lookup, then BEGIN, SET CONSTRAINTS, the number block, one INSERT for all, COMMIT.
    assert total <= 8, pg_statements.rows()


@pytest.mark.slow
def test_10000_rows_take_at_most_150_statements(pg_statements, tenant, roster):
    path = roster(generate_rows(10_000, seed=2, invalid_every=97, duplicate_every=89))
    existing = run(tenant, roster(generate_rows(1_000, seed=2, invalid_every=97, duplicate_every=89)))
    pg_statements.reset()

    result = run(tenant, path)

    total = pg_statements.total()
    print(f"10,000 rows: {total} statements")
    assert result["skipped_existing"] == existing["created"]
    assert result["created"] + result["skipped_existing"] + len(result["failed"]) == result["total"] == 10_000
    assert total <= 150, pg_statements.rows()[:20]
