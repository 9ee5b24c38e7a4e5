"""Periodic upkeep of the progress store (scheduled by Celery beat)."""
from celery import shared_task

from academy.progress.reconcile import progress_reconcile_safe


@shared_task(name="academy.progress.tasks.progress_reconcile")
def progress_reconcile() -> dict | None:
    report = progress_reconcile_safe()
    return None if report is None else vars(report)
