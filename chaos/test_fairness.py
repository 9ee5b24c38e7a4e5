"""Two academies on the production layout: a worker per queue, a per-tenant encode cap.

Academy A uploads long encodes; academy B sends a message job and uploads one video. B's job
must not wait for A's encodes (separate queues), and B's encode must start while A is at its
cap of one running encode, with a free slot on the two-slot video worker.
"""
from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

from academy.jobs.models import Job
from academy.tests import stack
from chaos.conftest import CHILD_SETTINGS
from chaos.test_chaos import _request, encoding_midway, long_clip, row, upload  # noqa: F401 (fixture)


@pytest.fixture
def fair_stack(transactional_db, tmp_path, settings, redis_server):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "tmp").mkdir()
    env = stack.child_env(TMPDIR=str(tmp_path / "tmp"), **{**CHILD_SETTINGS, "VIDEO_TENANT_MAX_CONCURRENT": "1",
                                                            "VIDEO_TENANT_DEFER_SECONDS": "2"})

    class Running:
        tmp = tmp_path
        port = stack.free_port()

    running = Running()
    procs = [stack.gunicorn(port=running.port, log_dir=tmp_path, env=env),
             stack.celery_worker("video", queues=settings.VIDEO_QUEUE, log_dir=tmp_path, env=env, concurrency=2),
             stack.celery_worker("jobs", queues=settings.JOBS_QUEUE, log_dir=tmp_path, env=env, concurrency=1)]
    try:
        yield running
    finally:
        for proc in reversed(procs):
            proc.stop()


def test_one_academys_encodes_delay_neither_anothers_job_nor_its_encode(fair_stack, redis_server, make_member,
                                                                       long_clip):
    tenant_a, _, token_a = make_member()
    tenant_b, _, token_b = make_member()
    a1, a2 = upload(fair_stack, token_a, long_clip), upload(fair_stack, token_a, long_clip)
    stack.wait_for(lambda: encoding_midway(redis_server, tenant_a.pk, a1) or encoding_midway(
        redis_server, tenant_a.pk, a2), timeout=120, what="academy A's first encode")

    started = time.monotonic()
    status, created = _request(fair_stack.port, "POST", "/api/v1/messages/", token_b,
                               json.dumps({"recipients": ["010-1234-5678"], "body": "hi"}).encode(),
                               "application/json")
    assert status == 202, created
    b_video = upload(fair_stack, token_b, long_clip)
    stack.wait_for(lambda: Job.objects.get(pk=created["job_id"]).status == "DONE", timeout=120,
                   what="academy B's message job", step=0.1)
    job_wait = time.monotonic() - started
    stack.wait_for(lambda: row(b_video).status == "PROCESSING", timeout=120, what="academy B's encode to start",
                   step=0.1)
    encode_wait = time.monotonic() - started
    # B's job and encode got through before either of A's encodes finished: B did not queue
    # behind them. Without the cap A would hold both video slots and B would wait for one.
    states_a = sorted(row(v).status for v in (a1, a2))
    assert "READY" not in states_a, states_a
    assert states_a.count("PROCESSING") <= 1, states_a  # A held at its cap of one
    print(f"\nfairness: academy B's message job DONE {job_wait:.1f} s and its encode started "
          f"{encode_wait:.1f} s after A's two encodes were running/queued (A: {states_a})")
    stack.wait_for(lambda: all(row(v).status == "READY" for v in (a1, a2, b_video)), timeout=300,
                   what="every encode to finish")
