"""Prometheus metrics, safe across gunicorn and Celery processes.

When PROMETHEUS_MULTIPROC_DIR is set (the demo and production do), every process writes
its samples there and /metrics aggregates them; otherwise the process's own registry is served.
"""
from __future__ import annotations

import os
import time

from django.db import connection
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY

HTTP_REQUESTS = Histogram(
    "academy_http_request_seconds", "Request latency per endpoint.", ["endpoint", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
HTTP_SQL = Histogram(
    "academy_http_sql_statements", "SQL statements executed per request, per endpoint.", ["endpoint"],
    buckets=(0, 1, 2, 5, 10, 20, 50, 100),
)
PROGRESS_READS = Counter(
    "academy_progress_reads_total", "Progress reads by outcome (hit, miss, fallback, missing).", ["kind", "outcome"],
)
PROGRESS_UPDATES = Counter(
    "academy_progress_updates_total", "Progress updates written to Redis or coalesced away.", ["outcome"],
)
REDIS_ERRORS = Counter("academy_redis_errors_total", "Redis calls that failed, by operation.", ["op"])
JOB_DURATION = Histogram(
    "academy_job_duration_seconds", "Task run time by kind and outcome.", ["job_type", "status"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
# Set by whichever web process serves the scrape: in multiprocess mode report the latest value
# of a live process as one sample (not one sample per process, stale ones included).
REDIS_MEMORY = Gauge("academy_redis_used_memory_bytes", "Redis used_memory at scrape time.",
                     multiprocess_mode="livemostrecent")


def _endpoint(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match and match.view_name else "unmatched"


class MetricsMiddleware:
    """Time each request and count the SQL statements it ran, labelled by endpoint."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        start = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        endpoint = _endpoint(request)
        HTTP_REQUESTS.labels(endpoint, request.method, str(response.status_code)).observe(
            time.perf_counter() - start)
        HTTP_SQL.labels(endpoint).observe(count[0])
        return response


def metrics_view(request):
    """Serve Prometheus text for all processes."""
    from academy.progress.client import get_redis

    try:
        REDIS_MEMORY.set(get_redis().info("memory")["used_memory"])
    except Exception:  # noqa: BLE001 - a scrape must not fail because Redis is down
        REDIS_ERRORS.labels("metrics").inc()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
