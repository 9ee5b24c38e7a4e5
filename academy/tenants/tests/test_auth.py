"""Tokens: issued once against the DB, then checked on every request without SQL."""
import time

import jwt
import pytest
from django.core.management import call_command

from academy.tenants.models import Membership, Role, Tenant, User
from academy.tenants.tokens import InvalidToken, token_issue, token_verify

pytestmark = pytest.mark.django_db


def test_token_carries_user_tenant_and_role(make_member):
    tenant, user, token = make_member(role=Role.TEACHER)
    identity = token_verify(token)
    assert (identity.user_id, identity.tenant_id, identity.role) == (user.pk, tenant.pk, "teacher")


def test_authenticated_request_runs_no_sql(make_member, api, django_assert_num_queries):
    _, _, token = make_member()
    client = api(token)
    with django_assert_num_queries(0):
        response = client.get("/api/v1/tasks/active/")
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_missing_token_is_401(api):
    response = api().get("/api/v1/tasks/active/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_tampered_token_is_401(make_member, api):
    tenant, _, token = make_member()
    header, payload, signature = token.split(".")
    forged = jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "tid": tenant.pk + 1},
                        "guess-a-key-of-a-proper-length-xx", algorithm="HS256")
    assert api(forged).get("/api/v1/tasks/active/").status_code == 401
    flipped = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert api(flipped).get("/api/v1/tasks/active/").status_code == 401
    assert api("not-a-token").get("/api/v1/tasks/active/").status_code == 401


def test_expired_token_is_401(make_member, api):
    tenant, user, _ = make_member()
    token, _ = token_issue(user_id=user.pk, tenant_id=tenant.pk, role="owner", ttl=1)
    assert api(token).get("/api/v1/tasks/active/").status_code == 200
    time.sleep(2.1)  # the token's own clock: exp has one-second resolution
    response = api(token).get("/api/v1/tasks/active/")
    assert response.status_code == 401
    with pytest.raises(InvalidToken):
        token_verify(token)


def test_rotated_key_still_verifies_until_removed(make_member, settings):
    _, _, token = make_member()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key", [old_key]
    assert token_verify(token).role == "owner"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(InvalidToken):
        token_verify(token)


def test_token_endpoint_checks_membership(make_member, api):
    tenant_a, user, _ = make_member(password="secret-pass-1")
    tenant_b = Tenant.objects.create(name="Other academy")
    ok = api().post("/api/v1/auth/token/", {"username": user.username, "password": "secret-pass-1",
                                            "tenant_id": tenant_a.pk}, format="json")
    assert ok.status_code == 200
    assert ok.json()["tenant_id"] == tenant_a.pk and ok.json()["tenant_name"] == tenant_a.name
    assert ok.json()["expires_in"] > 0
    no_membership = api().post("/api/v1/auth/token/", {"username": user.username, "password": "secret-pass-1",
                                                       "tenant_id": tenant_b.pk}, format="json")
    wrong_password = api().post("/api/v1/auth/token/", {"username": user.username, "password": "nope",
                                                        "tenant_id": tenant_a.pk}, format="json")
    assert no_membership.status_code == wrong_password.status_code == 401
    assert no_membership.content == wrong_password.content  # no hint which one was wrong


def test_bad_token_request_body_is_400(api):
    response = api().post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json() and "tenant_id" in response.json()


def test_token_of_tenant_a_never_reads_tenant_b(make_member, api):
    from academy.jobs.models import Job

    tenant_a, _, token_a = make_member()
    tenant_b, _, _ = make_member()
    job_b = Job.objects.create(tenant=tenant_b, job_type="short_answer_grading", payload={})
    response = api(token_a).get(f"/api/v1/jobs/{job_b.job_id}/")
    assert response.status_code == 404


def test_password_change_required_blocks_other_calls(make_member, api):
    tenant, user, _ = make_member(password="initial-pass-1")
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    login = api().post("/api/v1/auth/token/", {"username": user.username, "password": "initial-pass-1",
                                               "tenant_id": tenant.pk}, format="json").json()
    assert login["password_change_required"] is True
    client = api(login["access"])
    assert client.get("/api/v1/tasks/active/").status_code == 403
    changed = client.post("/api/v1/auth/password/", {"old_password": "initial-pass-1",
                                                     "new_password": "a-much-better-one-42"}, format="json")
    assert changed.status_code == 200 and changed.json()["password_change_required"] is False
    assert api(changed.json()["access"]).get("/api/v1/tasks/active/").status_code == 200
    relogin = api().post("/api/v1/auth/token/", {"username": user.username, "password": "a-much-better-one-42",
                                                 "tenant_id": tenant.pk}, format="json").json()
    assert relogin["password_change_required"] is False
    assert api(relogin["access"]).get("/api/v1/tasks/active/").status_code == 200


def test_provisioning_commands(capsys):
    call_command("create_tenant", "Seoul Academy")
    tenant_id = int(capsys.readouterr().out.strip())
    call_command("create_user", "teacher1", tenant=tenant_id, role="teacher", password="pw-pw-pw-1")
    membership = Membership.objects.get(user__username="teacher1")
    assert (membership.tenant_id, membership.role) == (tenant_id, "teacher")
    assert membership.user.check_password("pw-pw-pw-1")


def test_healthz_and_schema(client):
    assert client.get("/healthz").json() == {"status": "ok", "db": "ok", "redis": "ok"}
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/jobs/{job_id}/progress/" in schema.content
