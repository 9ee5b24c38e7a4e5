"""The academy backend: tenants, long tasks and their Redis-served progress."""
from academy.celery import app as celery_app

__all__ = ["celery_app"]
