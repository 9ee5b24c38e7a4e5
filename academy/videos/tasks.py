"""Celery tasks of the video pipeline: take ids, run one attempt of academy.videos.pipeline."""
from celery import shared_task
from django.conf import settings


@shared_task(bind=True, name="academy.videos.tasks.video_encode", acks_late=True, reject_on_worker_lost=True,
             max_retries=None)
def video_encode(self, video_id: int, attempt: int) -> str:
    """Encode one attempt of a video to HLS, or come back later while its tenant is at its cap.

    A second delivery of an attempt another worker encodes now also comes back later.
    """
    from academy.videos.pipeline import BUSY, video_encode_run
    from academy.progress.api import TenantAtCapacity

    try:
        status = video_encode_run(video_id=video_id, attempt=attempt,
                                  tenant_cap=settings.VIDEO_TENANT_MAX_CONCURRENT)
    except TenantAtCapacity:
        # Back of the line for a while: other tenants' encodes take the free slots meanwhile.
        raise self.retry(countdown=settings.VIDEO_TENANT_DEFER_SECONDS) from None
    if status == BUSY:
        # Asked again after one lease period: by then the holder has renewed (and this
        # waits again), ended the attempt ("skipped"), or died, and then this one runs it.
        raise self.retry(countdown=settings.TASK_LEASE_TTL)
    return status
