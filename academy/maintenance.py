"""Worker upkeep: process hygiene at start, and the daily retention sweep (Celery beat)."""
from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from django.conf import settings

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _pool_child_dies_with_worker(**_) -> None:
    """A pool process (and through hls.die_with_parent its ffmpeg) dies with a killed worker.

    Otherwise a SIGKILLed worker leaves its pool processes running their encodes as orphans.
    """
    import os

    from billiard.process import current_process

    from academy.videos.hls import die_with

    if current_process().name != "MainProcess":  # a prefork child, not the solo pool's worker itself
        die_with(os.getppid())


@worker_ready.connect
def _sweep_dead_workers_folders(**_) -> None:
    from academy.videos.cleanup import video_workdirs_sweep

    video_workdirs_sweep()


@shared_task(name="academy.maintenance.retention_sweep")
def retention_sweep() -> dict:
    """Delete rejected uploads and old roster files past their retention (settings)."""
    from academy.students.cleanup import student_import_files_sweep
    from academy.videos.cleanup import video_sources_sweep

    return {
        "video_sources": video_sources_sweep(days=settings.VIDEO_FAILED_SOURCE_RETENTION_DAYS),
        "roster_files": student_import_files_sweep(days=settings.STUDENT_IMPORT_FILE_RETENTION_DAYS),
    }
