"""The metrics middleware and GET /metrics, safe across gunicorn and Celery processes.

The metrics themselves are in academy.counters. When PROMETHEUS_MULTIPROC_DIR is set (the demo and production do), every process writes
its samples there and /metrics aggregates them; otherwise the process's own registry is served.
"""
from __future__ import annotations

import os
import time

from django.db import connection
from django.http import HttpResponse
from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from academy.counters import HTTP_REQUESTS, HTTP_SQL, REDIS_ERRORS, REDIS_MEMORY
from academy.progress import api as progress


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
    try:
        REDIS_MEMORY.set(progress.redis_used_memory())
    except Exception:  # noqa: BLE001 - a scrape must not fail because Redis is down
        REDIS_ERRORS.labels("metrics").inc()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
