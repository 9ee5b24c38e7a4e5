"""Schemathesis against /api/schema/: every operation, as every role and anonymously, no 5xx.

In-process through the WSGI app on the real PostgreSQL and Redis; a bounded, derandomized
number of examples per operation keeps it to about a minute.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from django.core import signals
from django.db import close_old_connections

from academy.tenants.models import Role
from academy.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

ROLES = [None, Role.OWNER, Role.TEACHER, Role.STUDENT, Role.PARENT]
EXAMPLES = 5


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Keep the test's DB connection across requests, as Django's own test client does.

    The WSGI handler's request_started/finished would close it, and the test's transaction.
    """
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def tokens(make_member):
    """A token per role, all members of one tenant."""
    tenant, _, owner_token = make_member()
    out = {Role.OWNER: owner_token}
    for role in (Role.TEACHER, Role.STUDENT, Role.PARENT):
        out[role] = make_member(tenant=tenant, role=role)[2]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case, role, tokens, media, settings):
    # Random logins must not lock the suite's own accounts out; throttling has its own tests.
    settings.LOGIN_THROTTLE_SUBJECT_LIMIT = settings.LOGIN_THROTTLE_ADDRESS_LIMIT = 10**9
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
