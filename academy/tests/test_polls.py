"""The poll path's plain views answer as their DRF views did, with one Redis call and no SQL."""
import uuid

import pytest

from academy.jobs import services as job_services
from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress.testing import publish
from academy.tenants.models import Role
from academy.tenants.tokens import token_issue

pytestmark = pytest.mark.django_db


def finished_job(tenant) -> Job:
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    publish(job_ref(job), job_state(job))
    job_services.job_mark_processing(job_id=str(job.job_id), attempt=1)
    job_services.job_complete(job_id=str(job.job_id), attempt=1, result={"created": 3, "total": 3})
    return job


def commands(redis_client) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in redis_client.info("commandstats").items()}


def test_a_finished_task_costs_one_script_call_of_one_hgetall_and_no_sql(make_member, api, redis_client,
                                                                          django_assert_num_queries):
    tenant, _, token = make_member()
    job = finished_job(tenant)
    client = api(token)
    client.get(f"/api/v1/jobs/{job.job_id}/progress/")  # loads the read script once
    redis_client.config_resetstat()

    with django_assert_num_queries(0):
        response = client.get(f"/api/v1/jobs/{job.job_id}/progress/")

    assert response.status_code == 200 and response.json()["status"] == "DONE"
    assert response["Content-Type"] == "application/json"
    seen = commands(redis_client)
    seen.pop("config|resetstat", None)
    # Inside the one script call: the finished task's status hash, and the token's revocation
    # stamp (academy/access/revocation.py) read along.
    assert seen == {"evalsha": 1, "hgetall": 1, "get": 1}, "one round trip; the status hash and the stamp only"


def drf_and_lean(client, job_id) -> tuple:
    """The same failure through a DRF view (job detail) and the plain view (its progress)."""
    return client.get(f"/api/v1/jobs/{job_id}/"), client.get(f"/api/v1/jobs/{job_id}/progress/")


@pytest.mark.parametrize("case", ["no header", "malformed header", "bad token", "missing task",
                                  "password change first"])
def test_errors_are_byte_for_byte_those_of_the_drf_views(case, make_member, api):
    tenant, user, token = make_member()
    job_id = uuid.uuid4()
    if case == "no header":
        client = api()
    elif case == "malformed header":
        client = api()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    elif case == "bad token":
        client = api(token[:-4] + "AAAA")
    elif case == "password change first":
        pending, _ = token_issue(user_id=user.pk, tenant_id=tenant.pk, role=Role.OWNER, password_change_required=True)
        client = api(pending)
    else:
        client = api(token)

    drf, lean = drf_and_lean(client, job_id)

    assert lean.status_code == drf.status_code != 200
    assert lean.content == drf.content
    assert set(lean.json()) == {"detail", "code", "params"}
    assert lean.get("WWW-Authenticate") == drf.get("WWW-Authenticate")


def test_other_methods_still_go_through_drf(make_member, api):
    _, _, token = make_member()
    response = api(token).post(f"/api/v1/jobs/{uuid.uuid4()}/progress/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_schema_still_documents_the_poll_endpoints(api):
    schema = api().get("/api/schema/").content
    for path in (b"/api/v1/jobs/{job_id}/progress/", b"/media/videos/{video_id}/progress/", b"/api/v1/tasks/active/"):
        assert path in schema


def test_a_verified_token_is_not_verified_again_until_it_expires(make_member, monkeypatch):
    from academy.tenants import tokens

    _, _, token = make_member()
    calls = []
    verify = tokens._verify
    monkeypatch.setattr(tokens, "_verify", lambda t: calls.append(t) or verify(t))
    tokens._verified.clear()

    first, again = tokens.token_verify_cached(token), tokens.token_verify_cached(token)

    assert first == again and calls == [token]
    tokens._verified[token] = (first, 0.0)  # as if its exp had passed
    tokens.token_verify_cached(token)
    assert calls == [token, token], "an expired entry is verified again (and would fail there)"
