"""The Prometheus metrics every part of the project records.

It imports nothing of the project, so any module may count (the progress core included)
without importing the metrics view, which reads the progress store in turn.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
