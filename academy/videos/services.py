"""Writes of videos: upload and the kind-specific fields; the lifecycle itself is progress's."""
from __future__ import annotations

from django.db import transaction

from academy.errors import ApplicationError
from academy.progress import api as progress
from academy.videos import storage
from academy.videos.models import Video
from academy.videos.selectors import video_ref


def video_enqueue(video: Video) -> None:
    """Queue the encoding of the video's current attempt (the lifecycle calls it on commit)."""
    from academy.videos.tasks import video_encode

    video_encode.delay(video.pk, video.attempt)


def video_create(*, tenant_id: int, title: str, source: str = "", created_by_id: int | None = None,
                 enqueue: bool = True) -> Video:
    """Save a PENDING video and, once committed, publish it and queue its encoding."""
    return progress.task_create(kind=progress.KIND_VIDEO, tenant_id=tenant_id, enqueue=enqueue, title=title,
                                source=source, created_by_id=created_by_id)


def video_upload(*, tenant_id: int, title: str, file, created_by_id: int | None = None) -> Video:
    """Store an uploaded file, then save its video PENDING and queue the encoding.

    The file is judged by ffprobe in the worker, never by its name here.
    """
    source = storage.source_save(tenant_id=tenant_id, file=file)
    try:
        return video_create(tenant_id=tenant_id, title=title, source=source, created_by_id=created_by_id)
    except BaseException:
        # No row points at the file: don't leave it behind.
        storage.source_delete(source)
        raise


def video_mark_processing(*, video_id: int, attempt: int, tenant_cap: int = 0) -> Video | None:
    """Move the video to PROCESSING for this attempt; None if stale or already ended.

    With a tenant_cap, raise progress.TenantAtCapacity while the tenant runs that many encodes.
    """
    return progress.task_mark_processing(kind=progress.KIND_VIDEO, task_id=video_id, attempt=attempt,
                                         tenant_cap=tenant_cap)


def video_complete(*, video_id: int, attempt: int, hls_path: str, duration: float,
                   poster_path: str = "") -> Video | None:
    """Mark the video READY in the DB, then publish the terminal status."""
    return progress.task_finish(kind=progress.KIND_VIDEO, task_id=video_id, attempt=attempt, hls_path=hls_path,
                                duration=duration, poster_path=poster_path, error_reason="")


def video_fail(*, video_id: int, attempt: int, error_reason: str, error_code: str = "",
               error_params: dict | None = None, duration: float | None = None) -> Video | None:
    """Mark the video FAILED with a human reason, then publish it."""
    return progress.task_fail(kind=progress.KIND_VIDEO, task_id=video_id, attempt=attempt, reason=error_reason,
                              code=error_code, params=error_params,
                              duration=duration)


def video_cancel(*, tenant_id: int, video_id: int) -> Video | None:
    """End the tenant's encoding video CANCELLED (its ffmpeg is killed); None when there is none."""
    return progress.task_cancel(kind=progress.KIND_VIDEO, tenant_id=tenant_id, task_id=video_id)


def video_retry(*, tenant_id: int, video_id: int) -> Video | None:
    """Start a new attempt of a FAILED, CANCELLED or stuck video; None when it may not be retried."""
    return progress.task_retry(kind=progress.KIND_VIDEO, tenant_id=tenant_id, task_id=video_id)


def video_delete(*, tenant_id: int, video_id: int) -> bool:
    """Delete a video that is not encoding, its files and its progress; return whether there was one.

    Raise ApplicationError("task_running", 409) while it is PENDING or PROCESSING: a worker
    would write files after the delete. Cancel it first.
    """
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(tenant_id=tenant_id, pk=video_id).first()
        if video is None:
            return False
        if video.status in progress.RUNNING:
            raise ApplicationError("task_running", "The video is still encoding: cancel it before deleting it.",
                                   {"status": video.status}, status=409)
        ref, source = video_ref(video), video.source
        video.delete()

        def forget() -> None:
            # After commit: a rolled-back delete keeps its files.
            storage.tree_delete(storage.video_prefix(tenant_id=tenant_id, video_id=video_id))
            if source:
                storage.source_delete(source)
            progress.unpublish(ref)

        transaction.on_commit(forget)
    return True
