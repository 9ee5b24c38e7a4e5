"""Retention of uploaded rosters."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from academy.jobs.models import Job, JobStatus
from academy.students.services import IMPORT_JOB_TYPE

logger = logging.getLogger(__name__)

IMPORTS_DIR = "imports"


def student_import_files_sweep(*, days: int, now=None) -> int:
    """Delete stored roster files older than `days` that no unfinished import needs; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    in_use = set(Job.objects.filter(job_type=IMPORT_JOB_TYPE, status__in=(JobStatus.PENDING, JobStatus.PROCESSING))
                 .values_list("payload__path", flat=True))
    removed = 0
    try:
        tenants, _ = default_storage.listdir(IMPORTS_DIR)
    except FileNotFoundError:
        return 0
    for tenant in tenants:
        _, files = default_storage.listdir(f"{IMPORTS_DIR}/{tenant}")
        for name in files:
            path = f"{IMPORTS_DIR}/{tenant}/{name}"
            if path in in_use or default_storage.get_modified_time(path) >= cutoff:
                continue
            default_storage.delete(path)
            removed += 1
    if removed:
        logger.info("deleted %d roster file(s) older than %d days", removed, days)
    return removed
