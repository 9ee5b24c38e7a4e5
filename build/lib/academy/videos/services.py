"""Writes of videos' status: the DB first, then the progress store."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from academy.progress.keys import TaskRef
from academy.progress.publish import publish, publish_on_commit
from academy.videos import storage
from academy.videos.models import Video, VideoStatus
from academy.videos.selectors import video_ref, video_state

_ENDED = (VideoStatus.READY, VideoStatus.FAILED)


def video_create(*, tenant_id: int, title: str, source: str = "", created_by_id: int | None = None,
                 enqueue: bool = True) -> Video:
    """Save a PENDING video and, once committed, publish it and queue its encoding."""
    with transaction.atomic():
        video = Video.objects.create(tenant_id=tenant_id, title=title, source=source,
                                     created_by_id=created_by_id)
        publish_on_commit(video_ref(video), video_state(video))
        if enqueue:
            _enqueue(video)
    return video


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


def _enqueue(video: Video) -> None:
    from academy.videos.tasks import video_encode

    video_id, attempt = video.pk, video.attempt
    transaction.on_commit(lambda: video_encode.delay(video_id, attempt))


def video_mark_processing(*, video_id: int, attempt: int) -> Video | None:
    """Move the video to PROCESSING for this attempt; None if stale or already ended."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.attempt != attempt or video.status in _ENDED:
            return None
        video.status = VideoStatus.PROCESSING
        video.started_at = video.started_at or timezone.now()
        video.save(update_fields=["status", "started_at", "updated_at"])
    publish(video_ref(video), video_state(video))
    return video


def _finish(*, video_id: int, attempt: int, **changes) -> Video | None:
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.attempt != attempt or video.status in _ENDED:
            return None
        for name, value in changes.items():
            setattr(video, name, value)
        video.finished_at = timezone.now()
        video.save(update_fields=[*changes, "finished_at", "updated_at"])
    # After commit: a rolled-back row must never be shown as READY.
    publish(video_ref(video), video_state(video))
    return video


def video_complete(*, video_id: int, attempt: int, hls_path: str, duration: float,
                   poster_path: str = "") -> Video | None:
    """Mark the video READY in the DB, then publish the terminal status."""
    return _finish(video_id=video_id, attempt=attempt, status=VideoStatus.READY, hls_path=hls_path,
                   duration=duration, poster_path=poster_path, error_reason="")


def video_fail(*, video_id: int, attempt: int, error_reason: str, duration: float | None = None) -> Video | None:
    """Mark the video FAILED with a human reason, then publish it."""
    return _finish(video_id=video_id, attempt=attempt, status=VideoStatus.FAILED,
                   error_reason=error_reason, duration=duration)


def video_fail_stuck(ref: TaskRef, attempt: int, reason: str) -> None:
    video_fail(video_id=int(ref.task_id), attempt=attempt, error_reason=reason)


def video_retry(*, tenant_id: int, video_id: int) -> Video | None:
    """Start a new attempt of a FAILED video; None when the tenant has no such failed video."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(tenant_id=tenant_id, pk=video_id).first()
        if video is None or video.status != VideoStatus.FAILED:
            return None
        video.attempt += 1
        video.status = VideoStatus.PENDING
        video.error_reason = video.hls_path = ""
        video.started_at = video.finished_at = None
        video.save()
        publish_on_commit(video_ref(video), video_state(video))
        _enqueue(video)
    return video
