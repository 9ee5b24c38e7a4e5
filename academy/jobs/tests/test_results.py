"""Large results held as JSON bytes: what a job stores and reads back is the plain JSON."""
import json

import orjson
import pytest
from django.db import connection

from academy.jobs.models import Job
from academy.jobs.results import EncodedList
from academy.jobs.selectors import job_result_json
from academy.tenants.services import tenant_create

ACCOUNTS = [{"row": n, "name": f"학생{n}", "activation_code": f"CODE-{n:04d}"} for n in range(2, 2502)]


@pytest.fixture
def tenant(db):
    return tenant_create(name="Hanbit Academy")


def encoded(items, batch=1000) -> EncodedList:
    result = EncodedList()
    for start in range(0, len(items), batch):
        result.extend(items[start:start + batch])
    return result


def test_an_encoded_list_reads_as_the_list_it_was_given():
    accounts = encoded(ACCOUNTS)

    assert len(accounts) == len(ACCOUNTS)
    assert accounts == ACCOUNTS and list(accounts) == ACCOUNTS
    assert accounts[0] == ACCOUNTS[0] and accounts[-1] == ACCOUNTS[-1]
    assert accounts != ACCOUNTS[:-1]
    assert EncodedList() == [] and len(EncodedList([])) == 0
    assert orjson.loads(orjson.dumps({"a": accounts}, default=EncodedList.fragment)) == {"a": ACCOUNTS}


@pytest.mark.django_db
def test_a_job_stores_an_encoded_list_as_plain_json(tenant):
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import",
                             result={"created": len(ACCOUNTS), "accounts": encoded(ACCOUNTS)})

    job.refresh_from_db()
    assert job.result == {"created": len(ACCOUNTS), "accounts": ACCOUNTS}
    with connection.cursor() as cursor:
        # The database holds JSON it can query, not a string of it.
        cursor.execute("SELECT result->'accounts'->0->>'name' FROM jobs_job WHERE job_id = %s", [job.job_id])
        assert cursor.fetchone()[0] == "학생2"


@pytest.mark.django_db
def test_a_result_with_number_keys_is_stored_as_json_dumps_stored_it(tenant):
    job = Job.objects.create(tenant=tenant, job_type="short_answer_grading", result={"scores": {1: 0.5, 2: 1.0}})

    job.refresh_from_db()
    assert job.result == {"scores": {"1": 0.5, "2": 1.0}}


@pytest.mark.django_db
def test_the_redis_copy_of_the_result_leaves_the_detail_only_list_out(tenant):
    job = Job(tenant=tenant, job_type="excel_student_import",
              result={"created": 2, "failed": [], "accounts": encoded(ACCOUNTS[:2])})

    assert json.loads(job_result_json(job)) == {"created": 2, "failed": [], "detail_only": ["accounts"]}
