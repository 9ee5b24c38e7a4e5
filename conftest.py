"""Shared fixtures: a real PostgreSQL and a real Redis (started by scripts/services.py)."""
from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from academy.progress.testing import breaker_reset, redis_client as get_redis


def pytest_configure(config):
    # Password hashing is a cost we measure in benchmarks, not one to pay in every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Refuse to run on anything but PostgreSQL: SQLite is for the demo only."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(f"Tests need PostgreSQL (DATABASE_URL); got {engine}. Run `make test`.", returncode=3)
    yield


@pytest.fixture
def redis_client():
    """The real Redis, emptied before and after the test."""
    client = get_redis()
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(autouse=True)
def _clean_redis(request):
    """Give every database test an empty Redis too; pure tests need no servers at all."""
    breaker_reset()
    if "django_db" in request.keywords or {"db", "transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("redis_client")
    yield


@pytest.fixture
def make_member(db):
    """Create a tenant member and return (tenant, user, token)."""
    from academy.tenants.models import Role
    from academy.tenants.services import tenant_create, token_obtain, user_create

    counter = iter(range(1, 10_000))

    def make(*, tenant=None, role=Role.OWNER, password="pw-123456"):
        tenant = tenant or tenant_create(name=f"Academy {next(counter)}")
        username = f"user{tenant.pk}-{next(counter)}"
        user = user_create(username=username, password=password, tenant_id=tenant.pk, role=role)
        token = token_obtain(username=username, password=password, tenant_id=tenant.pk)["access"]
        return tenant, user, token

    return make


@pytest.fixture
def owner(make_member):
    """(tenant, user, token) of an academy owner."""
    return make_member()


@pytest.fixture
def media(settings, tmp_path):
    """Point the default storage at an empty MEDIA_ROOT of this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def api():
    """An API client: api(token) returns one sending that bearer token."""

    def make(token: str | None = None) -> APIClient:
        client = APIClient()
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def pages():
    """pages(client, url) follows a list endpoint's `next` links and returns every row."""

    def follow(client, url: str) -> list[dict]:
        rows = []
        while url:
            body = client.get(url).json()
            rows += body["results"]
            url = body["next"]
        return rows

    return follow
