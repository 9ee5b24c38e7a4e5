"""Reads of videos: DB side (detail, fallback, reconcile) and the progress rendering."""
from __future__ import annotations

from typing import Iterable

from academy.progress.keys import TaskRef
from academy.progress.store import TaskState
from academy.videos.models import Video, VideoStatus


def video_ref(video: Video) -> TaskRef:
    return TaskRef(video.tenant_id, "video", str(video.pk))


def video_get(*, tenant_id: int, video_id) -> Video | None:
    """Return the tenant's video, or None: another tenant's video is as missing as no video."""
    try:
        pk = int(video_id)
    except (TypeError, ValueError):
        return None
    return Video.objects.filter(tenant_id=tenant_id, pk=pk).first()


def video_state(video: Video) -> TaskState:
    """Return the progress-store state that mirrors a video row."""
    fields: dict[str, str] = {}
    if video.status in (VideoStatus.READY, VideoStatus.FAILED):
        fields = {
            "hls_path": video.hls_path,
            "duration": "" if video.duration is None else f"{video.duration:.3f}",
        }
        if video.status == VideoStatus.FAILED:
            fields["error_reason"] = video.error_reason
    return TaskState(status=video.status, attempt=video.attempt, fields=fields)


def video_state_load(tenant_id: int, video_id: str) -> TaskState | None:
    video = video_get(tenant_id=tenant_id, video_id=video_id)
    return None if video is None else video_state(video)


def video_unfinished_states() -> Iterable[tuple[TaskRef, TaskState]]:
    for video in Video.objects.filter(status__in=[VideoStatus.PENDING, VideoStatus.PROCESSING]).iterator():
        yield video_ref(video), video_state(video)


def _int_or_none(value: str | None) -> int | None:
    return int(float(value)) if value not in (None, "") else None


def video_progress_render(video_id: str, state: TaskState) -> dict:
    """Return the public progress body of a video (the web app's contract) from its stored state."""
    step = state.step
    ready = state.status == VideoStatus.READY
    body = {
        "id": int(video_id),
        "status": state.status,
        "encoding_progress": 100 if ready else int(state.progress.get("percent") or 0),
        "encoding_remaining_seconds": 0 if ready else _int_or_none(state.progress.get("remaining")),
        "encoding_step_index": int(step.get("index") or 0),
        "encoding_step_total": int(step.get("total") or 0),
        "encoding_step_name": step.get("name", ""),
        "encoding_step_percent": int(step.get("percent") or 0),
    }
    if state.terminal:
        duration = state.fields.get("duration")
        body["hls_path"] = state.fields.get("hls_path") or None
        body["duration"] = float(duration) if duration else None
        if state.status == VideoStatus.FAILED:
            body["error_reason"] = state.fields.get("error_reason", "")
    return body
