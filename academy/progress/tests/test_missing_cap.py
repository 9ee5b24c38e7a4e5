""""No such task" markers stay bounded: a short TTL, and a cap per tenant."""
from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_invented_ids_leave_at_most_the_cap_of_short_lived_markers(owner, api, redis_client, settings):
    settings.PROGRESS_MISSING_CAP = 5
    client = api(owner[2])

    answers = [client.get(f"/api/v1/jobs/{uuid.uuid4()}/progress/").status_code for _ in range(12)]

    assert answers == [404] * 12
    markers = [key for key in redis_client.scan_iter(match=f"tenant:{owner[0].pk}:job:*:status")
               if redis_client.hget(key, "status") == "NONE"]
    assert len(markers) == 5
    assert all(0 < redis_client.ttl(key) <= settings.PROGRESS_MISSING_TTL for key in markers)
    counter = f"tenant:{owner[0].pk}:missing_markers"
    assert 0 < redis_client.ttl(counter) <= settings.PROGRESS_MISSING_TTL


def test_the_cap_is_per_tenant(make_member, api, redis_client, settings):
    settings.PROGRESS_MISSING_CAP = 2
    tenant_a, _, token_a = make_member()
    tenant_b, _, token_b = make_member()
    for token in (token_a, token_a, token_a, token_b):
        assert api(token).get(f"/api/v1/jobs/{uuid.uuid4()}/progress/").status_code == 404

    def markers(tenant) -> int:
        return len(list(redis_client.scan_iter(match=f"tenant:{tenant.pk}:job:*:status")))

    assert (markers(tenant_a), markers(tenant_b)) == (2, 1)
