"""Failure paths against real servers: Redis down mid-task, a cache flush under a poll storm,
and the reconcile command."""
import shutil
from datetime import timedelta
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.utils import timezone

from academy.jobs import services
from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress import store
from academy.progress.client import reset_redis
from academy.progress.publish import publish
from academy.progress.reconcile import progress_reconcile
from academy.progress.reporter import ProgressReporter


def free_port() -> int:
    """Return a free port below the ephemeral range, where no leftover client can hold it."""
    for port in range(27000, 32000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class RedisServer:
    """A private redis-server this test may stop and start."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", self.dir],
                                     stdout=subprocess.DEVNULL)
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("redis did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def private_redis(settings):
    server = RedisServer()
    server.start()
    settings.REDIS_URL = f"redis://127.0.0.1:{server.port}/0"
    reset_redis()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)
    reset_redis()


class _StormServer(ThreadingMixIn, WSGIServer):
    """A threaded WSGI server whose listen backlog takes 200 simultaneous connects.

    Django's live server keeps socketserver's backlog of 5: a storm then waits on SYN
    retransmits (1, 3, 7 s) and measures the kernel instead of the poll path.
    """

    daemon_threads = True
    request_queue_size = 1024


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def wsgi_server():
    """Serve the project on a free port in threads (the test's data must be committed)."""
    server = make_server("127.0.0.1", free_port(), get_wsgi_application(), server_class=_StormServer,
                         handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    # Request threads keep their DB connections (CONN_MAX_AGE): end them so the test
    # database can be dropped.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.mark.django_db
def test_redis_stopped_mid_task(private_redis, make_member, api, django_assert_num_queries):
    tenant, _, token = make_member()
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    job_id = str(job.job_id)
    publish(job_ref(job), job_state(job))
    services.job_mark_processing(job_id=job_id, attempt=1)
    reporter = ProgressReporter(job_ref(job), attempt=1, steps=[("work", 1)], min_interval=0)
    reporter.step(0)

    private_redis.stop()
    reporter.update(0.5)  # a progress write with Redis gone: logged, not raised
    done = services.job_complete(job_id=job_id, attempt=1, result={"created": 2})
    assert done is not None and Job.objects.get(pk=job_id).status == "DONE", "the DB write is what counts"

    client = api(token)
    body = client.get(f"/api/v1/jobs/{job_id}/progress/").json()
    assert body["status"] == "DONE" and body["result"] == {"created": 2}, "answered from the DB"

    private_redis.start()  # back, and empty
    with django_assert_num_queries(1):
        assert client.get(f"/api/v1/jobs/{job_id}/progress/").json() == body
    with django_assert_num_queries(0):
        assert client.get(f"/api/v1/jobs/{job_id}/progress/").json() == body, "the cache re-warmed"


def pg_statements(pattern: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND query ILIKE %s AND query NOT ILIKE '%%pg_stat_statements%%'",
            [pattern],
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_poll_storm_after_a_flush_makes_at_most_two_statements(wsgi_server, make_member, redis_client):
    tenant, _, token = make_member()
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    job_id = str(job.job_id)
    publish(job_ref(job), job_state(job))
    services.job_mark_processing(job_id=job_id, attempt=1)
    services.job_complete(job_id=job_id, attempt=1, result={"created": 10})
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    redis_client.flushdb()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_statements_reset()")

    url = f"{wsgi_server}/api/v1/jobs/{job_id}/progress/"
    start = threading.Barrier(200)

    def poll(_):
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        start.wait()
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()

    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(poll, range(200)))
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1
    total = pg_statements("%")
    on_jobs = pg_statements("%jobs_job%")
    with connection.cursor() as cursor:
        cursor.execute("SELECT calls, left(query, 60) FROM pg_stat_statements WHERE query NOT ILIKE "
                       "'%%pg_stat_statements%%' AND dbid = (SELECT oid FROM pg_database "
                       "WHERE datname = current_database())")
        seen = cursor.fetchall()
    print(f"statements during 200 concurrent polls after a flush: total={total} on jobs_job={on_jobs}: {seen}")
    assert on_jobs <= 2
    assert total <= 2


@pytest.mark.django_db
def test_reconcile_rewarms_and_requeues_stuck_tasks(make_member, redis_client, django_capture_on_commit_callbacks):
    tenant, _, _ = make_member()
    running, stuck, pending = (Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
                               for _ in range(3))
    for job in (running, stuck, pending):
        publish(job_ref(job), job_state(job))
    for job in (running, stuck):
        services.job_mark_processing(job_id=str(job.job_id), attempt=1)
    # The stuck one's worker died an hour ago: its heartbeat and its row are that old.
    redis_client.hset(store.task_keys(job_ref(stuck))[0], "hb", int(time.time()) - 3600)
    Job.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        report = progress_reconcile(heartbeat_timeout=900)
    assert report.requeued_stuck == 1 and report.failed_stuck == 0
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempt) == ("PENDING", 2), "queued again as a new attempt"
    assert store.state_read(job_ref(stuck)).status == "PENDING"

    redis_client.flushdb()  # Redis lost everything
    report = progress_reconcile(heartbeat_timeout=900)
    assert report.rewarmed == 3 and report.requeued_stuck == 0
    assert store.state_read(job_ref(running)).status == "PROCESSING"
    assert store.state_read(job_ref(pending)).status == "PENDING"
    members = {m for m, _ in store.active_list(tenant.pk)}
    assert members == {job_ref(running).member, job_ref(pending).member, job_ref(stuck).member}
