"""Gunicorn settings for `academy.wsgi:application`: `gunicorn -c academy/gunicorn_conf.py academy.wsgi`.

Command-line options override these. With PROMETHEUS_MULTIPROC_DIR set (an empty directory
at start, shared by every gunicorn and Celery process of the host), each worker writes its
samples there and /metrics adds them up; a worker that exits is marked dead so its gauge
samples stop being reported.
"""
import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threaded workers, picked by measurement (`bench/poll/run.py --compare-servers`, 2026-11-26):
# under gunicorn gthread our polls answered 988 and 1,781 req/s at N = 50 and 500, against
# 733 and 749 with sync workers and 1,538 and 1,319 with granian's WSGI (whose p99 was 3-4x
# worse); gthread keeps connections alive, and a slow client holds one thread, not a whole
# worker. An ASGI server was about 5x slower for this app (each sync middleware hops threads).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Connections wait in the kernel's queue rather than being refused under a poll storm
# (the kernel caps it at net.core.somaxconn).
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))


def child_exit(server, worker):
    """Drop the exited worker's live gauge samples (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
