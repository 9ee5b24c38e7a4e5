"""A grading job end to end: the API, the real broker, a real Celery worker, progress from Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from academy.ai import grading
from academy.ai.tests.test_grading import _synthetic_exam
from academy.jobs.models import Job
from academy.tests.stack import database_url

ROOT = Path(__file__).resolve().parents[3]


def _die_with_parent() -> None:
    # Linux: the worker gets SIGTERM if pytest itself is killed, so it never outlives the run.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """Start `celery -A academy worker` on the test database and this Redis; stop it afterwards."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "PROGRESS_MIN_INTERVAL": "0.02",  # progress written often enough to watch it move
        "DB_CONN_MAX_AGE": "0",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "academy", "worker", "--pool=solo", "--concurrency=1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
             f"--hostname=test-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )
    try:
        yield log_path
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.django_db(transaction=True)
def test_a_grading_job_runs_on_a_real_worker(celery_worker, make_member, api, django_assert_num_queries, capsys):
    client = api(make_member()[2])
    key, submissions, copied = _synthetic_exam(1600)
    started = time.monotonic()

    response = client.post("/api/v1/ai/jobs/", {"job_type": "short_answer_grading",
                                                "payload": {"answer_key": key, "submissions": submissions}},
                           format="json")

    assert response.status_code == 202
    job_id = response.json()["job_id"]
    # The committed job went to the real broker (on_commit); the worker picks it up from there.
    seen, polls, body = [], 0, {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/jobs/{job_id}/progress/").json()
        polls += 1
        # An answer without steps came from the DB (Redis timed out under load and the read
        # fell back): the DB keeps no step, so only the worker's own reports are compared.
        if body["status"] == "PROCESSING" and body["progress"]["step_total"]:
            progress = body["progress"]
            seen.append((progress["step_index"], progress["step_name_display"], progress["percent"]))
        if body["status"] in ("DONE", "FAILED"):
            break
        time.sleep(0.01)
    else:
        pytest.fail(f"the job did not finish; worker log:\n{celery_worker.read_text()[-3000:]}")
    elapsed = time.monotonic() - started

    assert body["status"] == "DONE", celery_worker.read_text()[-3000:]
    # The first PROCESSING answer may come before the first step: the job started, no step yet.
    steps = list(dict.fromkeys(name for _, name, _ in seen if name))
    with capsys.disabled():
        print(f"\ngrading 1600 submissions on a Celery worker: {elapsed:.1f}s, {polls} polls, "
              f"{len(seen)} PROCESSING answers, steps seen: {steps}")
    # Progress moved forward through the steps, as the worker reported them.
    assert steps == [name for name, _ in grading.STEPS]
    assert [index for index, _, _ in seen] == sorted(index for index, _, _ in seen)
    assert [percent for _, _, percent in seen] == sorted(percent for _, _, percent in seen)

    # At DONE the result comes from Redis alone: zero SQL, authentication included.
    with django_assert_num_queries(0):
        done = client.get(f"/api/v1/jobs/{job_id}/progress/").json()
    assert done["status"] == "DONE" and done["progress"]["percent"] == 100
    result = done["result"]  # about 2 MB in the DB: Redis keeps the summary and a reference
    assert result["truncated"] is True and result["detail_url"] == f"/api/v1/jobs/{job_id}/"
    assert result["summary"]["summary"]["submissions"] == 1600
    assert result["summary"]["duplicates"][0]["students"] == list(copied)
    full = Job.objects.get(pk=job_id).result
    assert len(full["students"]) == 1600 and result["summary"] == grading.summarize_result(full)
