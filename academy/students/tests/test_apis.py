"""Student endpoints: the import upload (202, 400 with reasons), the real job path, the list."""
from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from academy.jobs.models import Job, JobStatus
from academy.jobs.tasks import job_run
from academy.students.handlers import SUMMARY_FAILURES
from academy.students.models import Student
from academy.students.services import IMPORT_JOB_TYPE, student_soft_delete
from academy.testdata.roster import generate_rows
from academy.tenants.models import Role

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def post_import(api, owner, media):
    """post_import(content, **fields) uploads a roster as the owner and returns the response."""

    def post(content, *, name="roster.xlsx", token=None, **fields):
        data = content.read_bytes() if hasattr(content, "read_bytes") else content
        body = {"file": SimpleUploadedFile(name, data, content_type=XLSX), **fields}
        return api(token or owner[2]).post("/api/v1/students/import/", body, format="multipart")

    return post


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_an_import_is_stored_and_queued_with_no_password_at_all(post_import, roster, owner, media):
    # A client still sending the old shared password: ignored, nothing of it is kept.
    response = post_import(roster(generate_rows(3, seed=1)), initial_password="first-pw-1")

    assert response.status_code == 202
    job = Job.objects.get(job_id=response.json()["job_id"])
    assert response.json() == {"job_id": str(job.job_id)}
    assert (job.tenant_id, job.job_type, job.status) == (owner[0].pk, IMPORT_JOB_TYPE, JobStatus.PENDING)
    assert set(job.payload) == {"path", "dry_run"}
    assert job.payload["path"].startswith(f"imports/{owner[0].pk}/") and job.payload["path"].endswith(".xlsx")
    assert stored_files(media) == [media / job.payload["path"]]


@pytest.mark.parametrize("content, reason, code", [
    (b"name,parent_phone\nKim,01012345678\n", "The file is not an Excel .xlsx workbook.", "import_file_not_xlsx"),
    (b"", "The submitted file is empty.", "invalid"),
    ("zip", "The file is a zip archive, not an Excel .xlsx workbook.", "import_file_not_xlsx"),
])
def test_a_file_that_is_not_xlsx_is_refused_with_the_reason_before_queuing(content, reason, code, post_import,
                                                                           media):
    if content == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("roster.csv", "name,parent_phone\n")
        content = buffer.getvalue()

    response = post_import(content, name="roster.xlsx")

    assert response.status_code == 400
    body = response.json()
    assert body["file"] == [reason] and body["code"] == code
    if code == "invalid":  # the serializer's: each field error has its own code
        assert body["params"] == {"fields": {"file": [{"code": "empty", "message": reason}]}}
    else:
        assert body["detail"] == reason and body["params"] == {"field": "file"}
    assert not Job.objects.exists()
    assert stored_files(media) == []


def test_a_file_over_the_size_limit_is_refused(post_import, roster, settings, media):
    settings.STUDENT_IMPORT_MAX_BYTES = 1000

    response = post_import(roster(generate_rows(50, seed=1)))

    assert response.status_code == 413
    assert response.json() == {"detail": "The file is larger than the upload limit of 1000 bytes.",
                               "code": "upload_too_large",
                               "params": {"field": "file", "limit_bytes": 1000, "limit_display": "1000 bytes"},
                               "file": ["The file is larger than the upload limit of 1000 bytes."]}
    assert not Job.objects.exists() and stored_files(media) == []


def test_only_staff_import(post_import, roster, make_member, owner):
    path = roster(generate_rows(2, seed=1))
    _, _, teacher = make_member(tenant=owner[0], role=Role.TEACHER)
    _, _, student = make_member(tenant=owner[0], role=Role.STUDENT)

    assert post_import(path, token=student).status_code == 403
    assert post_import(path, token=teacher).status_code == 202
    assert post_import(path, dry_run="true").status_code == 202


def test_the_job_runs_and_progress_shows_the_result_with_zero_sql(post_import, roster, owner, api, redis_client,
                                                                   django_assert_num_queries):
    rows = [{"name": "김민준", "parent_phone": "010-1111-0001"}, {"name": None, "parent_phone": "010-1111-0002"},
            {"name": "이서연", "parent_phone": "010-1111-0003"}]
    job_id = post_import(roster(rows)).json()["job_id"]

    assert job_run(job_id, 1) == "DONE"

    expected = {"created": 2, "restored": 0, "skipped_existing": 0,
                "failed": [{"row": 3, "name": "", "error": "name is required", "code": "field_required",
                            "params": {"field": "name"}}], "total": 3}
    client = api(owner[2])
    with django_assert_num_queries(0):
        body = client.get(f"/api/v1/jobs/{job_id}/progress/").json()
    assert body["status"] == "DONE" and body["job_type"] == IMPORT_JOB_TYPE
    # The activation codes never reach Redis: only the DB-backed detail has them.
    assert body["result"] == {**expected, "detail_only": ["accounts"]}
    assert body["progress"]["percent"] == 100
    detail = client.get(f"/api/v1/jobs/{job_id}/").json()["result"]
    accounts = detail.pop("accounts")
    assert detail == expected
    assert [(a["row"], a["name"]) for a in accounts] == [(2, "김민준"), (4, "이서연")]
    hashes = [redis_client.hgetall(key) for key in redis_client.keys("*") if redis_client.type(key) == "hash"]
    assert hashes and not [h for h in hashes if any(accounts[0]["activation_code"] in v for v in h.values())]
    assert Student.objects.filter(tenant=owner[0]).count() == 2


def test_a_dry_run_job_writes_nothing(post_import, roster, owner):
    job_id = post_import(roster(generate_rows(5, seed=1)), dry_run="true").json()["job_id"]

    assert job_run(job_id, 1) == "DONE"

    assert Job.objects.get(job_id=job_id).result == {"created": 5, "restored": 0, "skipped_existing": 0,
                                                     "failed": [], "total": 5, "dry_run": True,
                                                     "accounts": []}
    assert not Student.objects.exists()


def test_a_file_the_worker_cannot_read_fails_the_job_with_the_reason(post_import, roster, owner, api):
    from academy.testdata.roster import write_roster_xlsx

    path = write_roster_xlsx(roster([]).with_name("no-phone.xlsx"), [{"name": "김민준"}], columns=("name",))
    job_id = post_import(path).json()["job_id"]

    assert job_run(job_id, 1) == "FAILED"

    body = api(owner[2]).get(f"/api/v1/jobs/{job_id}/progress/").json()
    assert body["status"] == "FAILED"
    assert body["error_message"].startswith("The header in row 1 has no parent phone column")
    assert (body["error_code"], body["error_params"]) == ("import_header_no_parent_phone", {"row": 1})


def test_a_file_over_the_row_limit_fails_the_job_and_writes_nothing(post_import, roster, settings):
    settings.STUDENT_IMPORT_MAX_ROWS = 5
    job_id = post_import(roster(generate_rows(6, seed=1))).json()["job_id"]

    assert job_run(job_id, 1) == "FAILED"

    assert Job.objects.get(job_id=job_id).error_message.startswith("The sheet has more than 5 student rows")
    assert not Student.objects.exists()


def test_a_large_report_is_summarized_in_redis(post_import, roster, owner, api, django_assert_num_queries):
    rows = list(generate_rows(300, seed=4, invalid_every=2))  # 150 failures: far over 8 KiB
    job_id = post_import(roster(rows)).json()["job_id"]

    assert job_run(job_id, 1) == "DONE"

    with django_assert_num_queries(0):
        result = api(owner[2]).get(f"/api/v1/jobs/{job_id}/progress/").json()["result"]
    summary = result["summary"]
    assert result["truncated"] is True and result["detail_url"] == f"/api/v1/jobs/{job_id}/"
    assert (summary["created"], summary["failed_count"], summary["total"]) == (150, 150, 300)
    assert len(summary["failed"]) == SUMMARY_FAILURES
    assert len(Job.objects.get(job_id=job_id).result["failed"]) == 150, "the DB keeps the whole report"


def test_the_list_pages_through_the_tenants_active_students(post_import, roster, owner, make_member, api):
    job_run(post_import(roster(generate_rows(60, seed=1))).json()["job_id"], 1)
    other_tenant, _, other = make_member()
    job_run(post_import(roster(generate_rows(3, seed=2)), token=other).json()["job_id"], 1)
    student_soft_delete(tenant_id=owner[0].pk, student_ids=[Student.objects.filter(tenant=owner[0]).first().pk])

    first = api(owner[2]).get("/api/v1/students/").json()
    second = api(owner[2]).get(first["next"]).json()

    assert len(first["results"]) == 50 and len(second["results"]) == 9 and second["next"] is None
    listed = first["results"] + second["results"]
    active = Student.objects.filter(tenant=owner[0], deleted_at=None)
    assert [s["id"] for s in listed] == list(active.order_by("name", "id").values_list("id", flat=True))
    assert set(first["results"][0]) >= {"id", "ps_number", "name", "parent_phone", "school", "grade", "class_name"}
    assert len(api(other).get("/api/v1/students/").json()["results"]) == 3
