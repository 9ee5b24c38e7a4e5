"""Prometheus metrics: what a poll records, what /metrics serves, and adding up across processes."""
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from academy.jobs import services as job_services
from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress.testing import publish
from academy.videos import services as video_services
from academy.videos.models import Video
from academy.videos.selectors import video_ref, video_state

ROOT = Path(__file__).resolve().parents[2]


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def running_job(tenant) -> str:
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    publish(job_ref(job), job_state(job))
    job_services.job_mark_processing(job_id=str(job.job_id), attempt=1)
    return f"/api/v1/jobs/{job.job_id}/progress/"


def running_video(tenant) -> str:
    video = Video.objects.create(tenant=tenant, title="Lecture 1")
    publish(video_ref(video), video_state(video))
    video_services.video_mark_processing(video_id=video.pk, attempt=1)
    return f"/media/videos/{video.pk}/progress/"


POLLS = [("job", "job-progress", running_job), ("video", "video-progress", running_video)]


class PollRecord:
    """The samples one poll should move, read before and after."""

    def __init__(self, kind: str, endpoint: str):
        self.kind, self.endpoint = kind, endpoint
        self.before = self.read()

    def read(self) -> dict[str, float]:
        return {
            "hit": sample("academy_progress_reads_total", kind=self.kind, outcome="hit"),
            "miss": sample("academy_progress_reads_total", kind=self.kind, outcome="miss"),
            "requests": sample("academy_http_request_seconds_count", endpoint=self.endpoint, method="GET",
                               status="200"),
            "sql_count": sample("academy_http_sql_statements_count", endpoint=self.endpoint),
            "sql_sum": sample("academy_http_sql_statements_sum", endpoint=self.endpoint),
            "sql_zero": sample("academy_http_sql_statements_bucket", endpoint=self.endpoint, le="0.0"),
        }

    def delta(self) -> dict[str, float]:
        after = self.read()
        return {key: after[key] - self.before[key] for key in after}


@pytest.mark.django_db
@pytest.mark.parametrize("kind,endpoint,make", POLLS, ids=[p[0] for p in POLLS])
def test_a_poll_counts_a_hit_and_records_zero_sql(make_member, api, kind, endpoint, make):
    tenant, _, token = make_member()
    url = make(tenant)
    record = PollRecord(kind, endpoint)

    assert api(token).get(url).status_code == 200

    assert record.delta() == {"hit": 1, "miss": 0, "requests": 1, "sql_count": 1, "sql_sum": 0, "sql_zero": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("kind,endpoint,make", POLLS, ids=[p[0] for p in POLLS])
def test_a_miss_counts_a_miss_and_the_sql_of_the_refill(make_member, api, redis_client, kind, endpoint, make):
    tenant, _, token = make_member()
    url = make(tenant)
    redis_client.flushdb()  # the cache is lost
    record = PollRecord(kind, endpoint)

    assert api(token).get(url).status_code == 200

    delta = record.delta()
    assert delta["miss"] == 1 and delta["hit"] == 0
    assert delta["sql_count"] == 1 and delta["sql_sum"] >= 1 and delta["sql_zero"] == 0
    # Re-warmed: the next poll is a hit again.
    api(token).get(url)
    assert record.delta()["hit"] == 1


@pytest.mark.django_db
def test_the_poll_path_is_one_redis_round_trip_and_no_sql(make_member, api, monkeypatch, django_assert_num_queries,
                                                         settings):
    """The middleware (timing, SQL counting) adds neither a query nor a Redis round trip.

    The token's revocation stamp rides in the same round trip; on a Redis Cluster it lives in
    another slot than the task, so there it is a second command.
    """
    expected = 2 if settings.REDIS_URL.startswith(("redis+cluster", "rediss+cluster")) else 1
    tenant, _, token = make_member()
    urls = [running_job(tenant), running_video(tenant)]
    client = api(token)
    round_trips = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counting_send(self, command, *args, **kwargs):
        round_trips.append(command)
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting_send)
    for url in urls:
        round_trips.clear()
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200
        assert len(round_trips) == expected, url


@pytest.mark.django_db
def test_metrics_answers_prometheus_text_with_our_names(make_member, api, django_assert_num_queries, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-secret"
    tenant, _, token = make_member()
    api(token).get(running_job(tenant))

    with django_assert_num_queries(0):
        response = api("scrape-secret").get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")  # the text exposition format
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    assert {
        "academy_http_request_seconds", "academy_http_sql_statements", "academy_progress_reads",
        "academy_progress_updates", "academy_redis_errors", "academy_job_duration_seconds",
        "academy_redis_used_memory_bytes",
    } <= set(families)
    assert families["academy_redis_used_memory_bytes"].samples[0].value > 0
    endpoints = {s.labels.get("endpoint") for s in families["academy_http_sql_statements"].samples}
    assert "job-progress" in endpoints


# --- multiprocess mode (gunicorn workers and Celery processes share PROMETHEUS_MULTIPROC_DIR) ---

def run_process(metrics_dir: Path, code: str) -> int:
    """Run `code` in a new process writing metrics to `metrics_dir`; return its pid."""
    program = "import os\nfrom academy import counters as metrics\n" + textwrap.dedent(code) + "\nprint(os.getpid())\n"
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    return int(done.stdout.split()[-1])


def collect(metrics_dir: Path) -> dict[tuple[str, tuple], float]:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(metrics_dir))
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in registry.collect() for s in f.samples}


def test_counters_and_histograms_add_up_across_processes(tmp_path):
    for _ in range(2):
        run_process(tmp_path, """
            metrics.PROGRESS_READS.labels("job", "hit").inc()
            metrics.HTTP_SQL.labels("job-progress").observe(0)
        """)

    values = collect(tmp_path)
    assert values[("academy_progress_reads_total", (("kind", "job"), ("outcome", "hit")))] == 2
    assert values[("academy_http_sql_statements_count", (("endpoint", "job-progress"),))] == 2
    assert values[("academy_http_sql_statements_bucket", (("endpoint", "job-progress"), ("le", "0.0")))] == 2


def test_the_gauge_reports_one_value_and_exited_workers_are_marked_dead(tmp_path, monkeypatch):
    from academy import gunicorn_conf

    first = run_process(tmp_path, "metrics.REDIS_MEMORY.set(1000)\nmetrics.PROGRESS_READS.labels('job', 'hit').inc()")
    second = run_process(tmp_path, "metrics.REDIS_MEMORY.set(2000)")
    gauge = [v for (name, _), v in collect(tmp_path).items() if name == "academy_redis_used_memory_bytes"]
    assert gauge == [2000]  # the latest value, once, not one sample per process

    # gunicorn calls child_exit in the master when a worker exits.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid in (first, second):
        gunicorn_conf.child_exit(server=None, worker=SimpleNamespace(pid=pid))

    values = collect(tmp_path)
    assert not [name for name, _ in values if name == "academy_redis_used_memory_bytes"]
    # What an exited worker counted still counts.
    assert values[("academy_progress_reads_total", (("kind", "job"), ("outcome", "hit")))] == 1


def test_metrics_view_adds_up_every_process_in_multiprocess_mode(tmp_path, monkeypatch, rf, settings):
    from academy.metrics import metrics_view

    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the request factory's REMOTE_ADDR
    run_process(tmp_path, "metrics.PROGRESS_UPDATES.labels('coalesced').inc(41)")
    run_process(tmp_path, "metrics.PROGRESS_UPDATES.labels('coalesced').inc()")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr("academy.progress.api.redis_used_memory", lambda: 1)

    body = metrics_view(rf.get("/metrics")).content.decode()

    values = {(s.name, s.labels.get("outcome")): s.value
              for f in text_string_to_metric_families(body) for s in f.samples}
    assert values[("academy_progress_updates_total", "coalesced")] == 42


# --- who may scrape, and labels from bounded sets -------------------------------------------

@pytest.mark.django_db
def test_metrics_without_credentials_is_refused(api, owner, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-secret"
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]

    refused = [api().get("/metrics"), api("wrong-secret").get("/metrics"), api(owner[2]).get("/metrics"),
               api().get("/metrics", REMOTE_ADDR="10.2.0.1")]

    assert [r.status_code for r in refused] == [401] * 4, "a user's token is no scrape token"
    assert b"academy_" not in b"".join(r.content for r in refused)
    assert api("scrape-secret").get("/metrics").status_code == 200
    assert api().get("/metrics", REMOTE_ADDR="10.1.200.7").status_code == 200
    settings.METRICS_BEARER_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert api().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401, "closed unless configured"


@pytest.mark.django_db
def test_invented_http_methods_add_no_series(client, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-secret"

    def series() -> set:
        body = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").content.decode()
        return {(s.name, tuple(sorted(s.labels.items()))) for f in text_string_to_metric_families(body)
                for s in f.samples if s.name.startswith("academy_http_request_seconds")}

    client.generic("FOO0", "/healthz")  # the first unknown method makes the one "other" series
    before = series()
    for n in range(1, 50):
        assert client.generic(f"FOO{n}", "/healthz").status_code in (405, 200)
    after = series()

    assert after == before
    methods = {dict(labels).get("method") for _, labels in after}
    assert not {m for m in methods if m and m.startswith("FOO")} and "other" in methods
