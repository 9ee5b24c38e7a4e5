"""The metrics middleware and GET /metrics, safe across gunicorn and Celery processes.

The metrics themselves are in academy.counters. When PROMETHEUS_MULTIPROC_DIR is set (the demo and production do), every process writes
its samples there and /metrics aggregates them; otherwise the process's own registry is served.
"""
from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from academy.counters import HTTP_REQUESTS, HTTP_SQL, REDIS_ERRORS, REDIS_MEMORY
from academy.progress import api as progress


# Label values come from fixed sets only: an invented HTTP method must not become a new series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"


def method_label(method: str | None) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


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
        HTTP_REQUESTS.labels(endpoint, method_label(request.method), str(response.status_code)).observe(
            time.perf_counter() - start)
        HTTP_SQL.labels(endpoint).observe(count[0])
        return response


def metrics_allowed(request) -> bool:
    """Tell whether the caller may scrape: METRICS_BEARER_TOKEN, or an address in METRICS_ALLOWED_NETWORKS."""
    from academy.access.addresses import address_allowed, client_address

    token = settings.METRICS_BEARER_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    return address_allowed(client_address(request), settings.METRICS_ALLOWED_NETWORKS)


def metrics_view(request):
    """Serve Prometheus text for all processes, to an allowed scraper only."""
    if not metrics_allowed(request):
        response = JsonResponse({"detail": "Metrics need the scrape token or an allowed address."}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
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
