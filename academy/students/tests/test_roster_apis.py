"""The roster: search, grade filter, soft-deleted and restore, parents, the import template."""
import io

import pytest
from django.utils import timezone

from academy.students.models import Parent, Student
from academy.students.parsing import parse_workbook
from academy.students.template import TEMPLATE_COLUMNS
from academy.tenants.models import Role

pytestmark = pytest.mark.django_db

STUDENTS = "/api/v1/students/"
PARENTS = "/api/v1/parents/"
NOT_FOUND = {"detail": "Not found.", "code": "not_found", "params": {}}


def enrol(tenant, count: int, *, start: int = 0) -> list[Student]:
    """Create `count` students, two per parent, grades 1-6 in turn."""
    parents = Parent.objects.bulk_create(
        [Parent(tenant=tenant, phone=f"0109000{n:04d}") for n in range(start, start + count, 2)])
    return Student.objects.bulk_create([
        Student(tenant=tenant, ps_number=f"S{n:06d}", name=f"학생{n:04d}", parent=parents[(n - start) // 2],
                parent_phone=parents[(n - start) // 2].phone, phone=f"0105555{n:04d}", grade=n % 6 + 1)
        for n in range(start, start + count)
    ])


@pytest.fixture
def roster(owner, make_member):
    students = enrol(owner[0], 210)
    enrol(make_member()[0], 5, start=500)  # another academy's
    return students


@pytest.mark.parametrize("page_size", [10, 100])
def test_one_statement_per_page_of_students_and_two_of_parents(roster, owner, api, page_size,
                                                               django_assert_num_queries):
    client = api(owner[2])
    with django_assert_num_queries(1):
        body = client.get(f"{STUDENTS}?page_size={page_size}").json()
    assert len(body["results"]) == page_size and body["next"]
    with django_assert_num_queries(1):
        assert len(client.get(body["next"]).json()["results"]) == page_size
    with django_assert_num_queries(2):
        body = client.get(f"{PARENTS}?page_size={page_size}").json()
    assert len(body["results"]) == page_size
    assert all(len(parent["students"]) == 2 for parent in body["results"])


def test_the_roster_pages_through_the_tenants_students_by_name(pages, roster, owner, api):
    listed = pages(api(owner[2]), f"{STUDENTS}?page_size=50")
    assert [s["name"] for s in listed] == sorted(s.name for s in roster)


@pytest.mark.parametrize("q, expected", [
    ("학생0007", ["학생0007"]),
    ("0105555-0012", ["학생0012"]),  # the student's phone, as people type it
    ("010-9000-0012", ["학생0012", "학생0013"]),  # a parent's phone: both children
    ("학생01 학생011", [f"학생011{n}" for n in range(10)]),  # every word must match
    ("nobody", []),
])
def test_search_by_name_or_phone(pages, roster, owner, api, q, expected):
    assert [s["name"] for s in pages(api(owner[2]), f"{STUDENTS}?q={q}")] == expected


def test_grade_filter_and_bad_filters(pages, roster, owner, api):
    client = api(owner[2])
    assert {s["grade"] for s in pages(client, f"{STUDENTS}?grade=3")} == {3}
    assert len(pages(client, f"{STUDENTS}?grade=3")) == 35
    response = client.get(f"{STUDENTS}?grade=13")
    assert response.status_code == 400 and response.json()["params"]["fields"]["grade"][0]["code"] == "max_value"
    assert client.get(f"{STUDENTS}?deleted=maybe").json()["code"] == "invalid"


def test_delete_lists_as_deleted_and_restore_brings_back(pages, roster, owner, api):
    client = api(owner[2])
    student = roster[7]
    assert client.delete(f"{STUDENTS}{student.pk}/").status_code == 204
    assert student.name not in [s["name"] for s in pages(client, STUDENTS)]
    deleted = client.get(f"{STUDENTS}?deleted=true").json()["results"]
    assert [s["id"] for s in deleted] == [student.pk] and deleted[0]["deleted_at"]
    assert len(pages(client, f"{STUDENTS}?deleted=all")) == 210

    response = client.post(f"{STUDENTS}{student.pk}/restore/")

    assert response.status_code == 200 and response.json()["deleted_at"] is None
    assert client.get(f"{STUDENTS}?deleted=true").json()["results"] == []
    assert client.get(f"{STUDENTS}{student.pk}/").json()["name"] == student.name
    # Restoring twice, or a student of another academy, is as missing as no student.
    assert client.post(f"{STUDENTS}{student.pk}/restore/").json() == NOT_FOUND
    stranger = Student.objects.exclude(tenant=owner[0]).first()
    stranger.deleted_at = timezone.now()
    stranger.save()
    for response in (client.post(f"{STUDENTS}{stranger.pk}/restore/"), client.get(f"{STUDENTS}{stranger.pk}/"),
                     client.delete(f"{STUDENTS}{stranger.pk}/")):
        assert response.status_code == 404 and response.json() == NOT_FOUND


def test_restore_refuses_when_the_student_was_imported_again(roster, owner, api):
    client = api(owner[2])
    student = roster[3]
    client.delete(f"{STUDENTS}{student.pk}/")
    Student.objects.create(tenant=owner[0], ps_number="S999999", name=student.name, parent_phone=student.parent_phone)

    response = client.post(f"{STUDENTS}{student.pk}/restore/")

    assert response.status_code == 409
    assert response.json()["code"] == "student_restore_conflict"
    assert response.json()["params"] == {"name": student.name, "parent_phone": student.parent_phone}


def test_parents_search_by_phone_or_a_childs_name(pages, roster, owner, api):
    client = api(owner[2])
    found = client.get(f"{PARENTS}?q=9000-0012").json()["results"]
    assert [(p["phone"], [c["name"] for c in p["students"]]) for p in found] == [
        ("01090000012", ["학생0012", "학생0013"])]
    assert [p["phone"] for p in client.get(f"{PARENTS}?q=학생0015").json()["results"]] == ["01090000014"]
    assert len(pages(client, PARENTS)) == 105  # not the other academy's


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PARENT])
def test_students_and_parents_see_no_roster(roster, make_member, api, role, owner):
    _, _, token = make_member(tenant=owner[0], role=role)
    client = api(token)
    student = roster[0]
    for response in (client.get(STUDENTS), client.get(PARENTS), client.get(f"{STUDENTS}{student.pk}/"),
                     client.post(f"{STUDENTS}{student.pk}/restore/"), client.delete(f"{STUDENTS}{student.pk}/"),
                     client.get(f"{STUDENTS}import/template/")):
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_the_import_template_has_the_korean_headers_the_import_reads(owner, api):
    response = api(owner[2]).get(f"{STUDENTS}import/template/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "students-template.xlsx" in response["Content-Disposition"]
    parsed = parse_workbook(io.BytesIO(response.content))
    assert parsed.total == 0 and parsed.rows == [] and parsed.errors == []
    assert set(parsed.columns) == {"name", "parent_phone", "phone", "school", "school_type", "grade",
                                   "class_name", "major", "gender", "memo"}
    assert len(parsed.columns) == len(TEMPLATE_COLUMNS)


def test_ties_on_the_ordering_never_skip_or_repeat_a_row(pages, owner, api):
    # Forty students named 김민준: more ties than a page holds.
    tenant = owner[0]
    Student.objects.bulk_create([Student(tenant=tenant, ps_number=f"T{n:05d}", name="김민준",
                                         parent_phone=f"010{n:08d}") for n in range(40)])
    listed = pages(api(owner[2]), f"{STUDENTS}?page_size=7")
    assert len(listed) == 40 and len({s["id"] for s in listed}) == 40


def test_a_cursor_not_given_out_is_a_400(owner, api):
    for cursor in ("nonsense", "WzFd", "WyJ4IiwieSJd"):  # not base64 JSON; [1] (too short); ["x","y"] (no int)
        response = api(owner[2]).get(f"{STUDENTS}?cursor={cursor}")
        assert response.status_code == 400 and response.json()["code"] == "cursor_invalid"
