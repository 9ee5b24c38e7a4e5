"""Accounts that can't be taken over: activation codes, password rules, revocation, login limits."""
from __future__ import annotations

import pytest

from academy.students.services import student_import_run
from academy.testdata.roster import write_roster_xlsx
from academy.tenants.models import Role, User
from academy.tenants.services import membership_remove, user_create, users_deactivate

pytestmark = pytest.mark.django_db(transaction=True)  # revocation stamps are written on commit

TOKEN = "/api/v1/auth/token/"
ACTIVATE = "/api/v1/auth/activate/"
PASSWORD = "/api/v1/auth/password/"


@pytest.fixture
def imported(owner, tmp_path):
    """Two students created by an import: [(username, code), ...] of the owner's tenant."""
    path = write_roster_xlsx(tmp_path / "roster.xlsx", [{"name": "김민준", "parent_phone": "010-1111-0001"},
                                                         {"name": "이서연", "parent_phone": "010-1111-0002"}])
    result = student_import_run(tenant_id=owner[0].pk, source=path)
    return [(a["username"], a["activation_code"]) for a in result["accounts"]]


def activate(api, tenant, username, code, new_password):
    return api().post(ACTIVATE, {"tenant_id": tenant.pk, "username": username, "activation_code": code,
                                 "new_password": new_password}, format="json")


def login(api, tenant, username, password, **extra):
    return api().post(TOKEN, {"tenant_id": tenant.pk, "username": username, "password": password},
                      format="json", **extra)


def test_an_imported_student_activates_with_their_own_code_only_once(api, owner, imported):
    tenant = owner[0]
    (kim, kim_code), (lee, lee_code) = imported

    assert login(api, tenant, kim, kim_code).status_code == 401, "the code is no password"
    refused = activate(api, tenant, kim, lee_code, "plum-kite-harbor-7")  # a classmate's code
    assert refused.status_code == 401
    assert refused.json() == activate(api, tenant, "no-such-user", kim_code, "plum-kite-harbor-7").json()

    done = activate(api, tenant, kim, kim_code.lower().replace("-", ""), "plum-kite-harbor-7")
    assert done.status_code == 200
    assert done.json()["role"] == Role.STUDENT and done.json()["password_change_required"] is False
    assert api(done.json()["access"]).get("/api/v1/tasks/active/").status_code == 200
    assert login(api, tenant, kim, "plum-kite-harbor-7").status_code == 200
    assert activate(api, tenant, kim, kim_code, "another-fine-pass-8").status_code == 401, "used up"
    assert User.objects.get(username=lee).activation_code_hash, "the classmate's code is untouched"


@pytest.mark.parametrize("password, reason", [
    ("password123", "too common"),
    ("12345678901", "entirely numeric"),
    ("short1", "too short"),
])
def test_activation_refuses_weak_passwords(api, owner, imported, password, reason):
    (username, code), _ = imported
    response = activate(api, owner[0], username, code, password)
    assert response.status_code == 400
    assert reason in " ".join(response.json()["new_password"])
    assert User.objects.get(username=username).activation_code_hash, "a refused password spends no code"


def test_activation_refuses_the_code_itself_as_the_password(api, owner, imported):
    (username, code), _ = imported
    for spelling in (code, code.replace("-", ""), code.replace("-", "").lower()):
        response = activate(api, owner[0], username, code, spelling)
        assert response.status_code == 400, spelling
        assert "must differ" in " ".join(response.json()["new_password"])


def test_password_change_applies_the_rules_and_revokes_older_tokens(api, make_member):
    tenant, user, old_token = make_member(password="first-secret-pass-1")
    client = api(old_token)
    assert client.get("/api/v1/tasks/active/").status_code == 200

    same = client.post(PASSWORD, {"old_password": "first-secret-pass-1", "new_password": "first-secret-pass-1"},
                       format="json")
    assert same.status_code == 400 and "must differ" in " ".join(same.json()["new_password"])
    common = client.post(PASSWORD, {"old_password": "first-secret-pass-1", "new_password": "iloveyou"},
                         format="json")
    assert common.status_code == 400 and "too common" in " ".join(common.json()["new_password"])
    similar = client.post(PASSWORD, {"old_password": "first-secret-pass-1", "new_password": user.username},
                          format="json")
    assert similar.status_code == 400 and "too similar" in " ".join(similar.json()["new_password"])
    assert client.get("/api/v1/tasks/active/").status_code == 200, "refused changes revoke nothing"

    changed = client.post(PASSWORD, {"old_password": "first-secret-pass-1", "new_password": "second-secret-pass-2"},
                          format="json")
    assert changed.status_code == 200
    assert client.get("/api/v1/tasks/active/").status_code == 401, "the old token is refused"
    assert api(changed.json()["access"]).get("/api/v1/tasks/active/").status_code == 200
    assert login(api, tenant, user.username, "second-secret-pass-2").status_code == 200


def test_role_change_removal_and_deactivation_revoke_tokens(api, make_member, owner):
    tenant = owner[0]
    _, teacher, teacher_token = make_member(tenant=tenant, role=Role.TEACHER)
    _, student, student_token = make_member(tenant=tenant, role=Role.STUDENT)
    _, parent, parent_token = make_member(tenant=tenant, role=Role.PARENT)
    for token in (teacher_token, student_token, parent_token):
        assert api(token).get("/api/v1/tasks/active/").status_code == 200

    user_create(username=teacher.username, password="", tenant_id=tenant.pk, role=Role.STUDENT)  # demoted
    membership_remove(user_id=student.pk, tenant_id=tenant.pk)
    users_deactivate(user_ids=[parent.pk])

    for token in (teacher_token, student_token, parent_token):
        assert api(token).get("/api/v1/tasks/active/").status_code == 401
    assert api(owner[2]).get("/api/v1/tasks/active/").status_code == 200, "others keep theirs"


def test_thirty_wrong_passwords_end_in_429_while_others_still_log_in(api, make_member, settings):
    tenant, victim, _ = make_member(password="victim-secret-pass-1")
    _, other, _ = make_member(tenant=tenant, password="other-secret-pass-2")

    answers = [login(api, tenant, victim.username, f"guess-{n}") for n in range(30)]

    codes = [r.status_code for r in answers]
    limit = settings.LOGIN_THROTTLE_SUBJECT_LIMIT
    assert codes[:limit] == [401] * limit and codes[limit:] == [429] * (30 - limit)
    assert 0 < int(answers[-1]["Retry-After"]) <= settings.LOGIN_THROTTLE_WINDOW
    # Locked: even the right password is not checked now (and so costs no hashing).
    assert login(api, tenant, victim.username, "victim-secret-pass-1").status_code == 429
    # Other users, from the same address, still log in.
    assert login(api, tenant, other.username, "other-secret-pass-2").status_code == 200
    # Unknown users are throttled exactly alike: no enumeration.
    ghost = [login(api, tenant, "no-such-user", f"guess-{n}").status_code for n in range(limit + 1)]
    assert ghost == [401] * limit + [429]


def test_the_address_limit_and_the_proxy_count(api, make_member, settings):
    settings.LOGIN_THROTTLE_ADDRESS_LIMIT = 5
    settings.TRUSTED_PROXY_COUNT = 1
    tenant, user, _ = make_member(password="right-secret-pass-1")
    attacker = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9", "REMOTE_ADDR": "10.0.0.1"}

    # Different usernames from one address: the address counter stops them.
    codes = [login(api, tenant, f"someone-{n}", "x", **attacker).status_code for n in range(7)]
    assert codes == [401] * 5 + [429] * 2
    # The spoofed left-hand entry changes nothing: the proxy's own entry counts.
    spoofed = {"HTTP_X_FORWARDED_FOR": "9.9.9.9, 203.0.113.9", "REMOTE_ADDR": "10.0.0.1"}
    assert login(api, tenant, user.username, "right-secret-pass-1", **spoofed).status_code == 429
    # Another client behind the same proxy is unaffected.
    neighbour = {"HTTP_X_FORWARDED_FOR": "203.0.113.10", "REMOTE_ADDR": "10.0.0.1"}
    assert login(api, tenant, user.username, "right-secret-pass-1", **neighbour).status_code == 200


def test_successful_logins_do_not_use_up_the_address(api, make_member, settings):
    settings.LOGIN_THROTTLE_ADDRESS_LIMIT = 3
    tenant, user, _ = make_member(password="right-secret-pass-1")
    assert [login(api, tenant, user.username, "right-secret-pass-1").status_code for _ in range(6)] == [200] * 6
