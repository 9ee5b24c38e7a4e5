"""Reads of videos: DB side (detail, progress-store mirror) and the progress rendering."""
from __future__ import annotations

from django.db.models import QuerySet

from academy.access.roles import task_owner_fields
from academy.progress.api import KIND_VIDEO, TaskRef, TaskState, error_fields, error_render, step_code
from academy.videos.models import Video, VideoStatus


def video_ref(video: Video) -> TaskRef:
    return TaskRef(video.tenant_id, KIND_VIDEO, str(video.pk))


def video_id_parse(video_id: str) -> int | None:
    """Return the primary key a video id names, or None when it is not one (no query is made then)."""
    return int(video_id) if video_id.isascii() and video_id.isdigit() else None


def video_get(*, tenant_id: int, video_id: int | str) -> Video | None:
    """Return the tenant's video, or None: another tenant's video is as missing as no video.

    `video_id` is canonical: the URL's path converter lets no other spelling through.
    """
    return Video.objects.filter(tenant_id=tenant_id, pk=video_id).first()


def video_list(*, tenant_id: int, status: str = "", q: str = "") -> QuerySet[Video]:
    """Return the tenant's library: `q` matches the title, `status` filters. One statement a page."""
    videos = Video.objects.filter(tenant_id=tenant_id)
    if status:
        videos = videos.filter(status=status)
    for word in q.split():
        videos = videos.filter(title__icontains=word)
    return videos


def video_state(video: Video) -> TaskState:
    """Return the progress-store state that mirrors a video row."""
    # Who may read it travels with it, so the progress path checks roles without SQL.
    fields = task_owner_fields(owner_id=video.created_by_id)
    if video.status in (VideoStatus.READY, VideoStatus.FAILED):
        fields |= {
            "hls_path": video.hls_path,
            "duration": "" if video.duration is None else f"{video.duration:.3f}",
        }
        if video.status == VideoStatus.FAILED:
            fields["error_reason"] = video.error_reason
            fields.update(error_fields(code=video.error_code, params=video.error_params))
    return TaskState(status=video.status, attempt=video.attempt, fields=fields)


def video_progress_render(video_id: str, state: TaskState) -> dict:
    """Return the public progress body of a video (the web app's contract) from its stored state."""
    step = state.step
    ready = state.status == VideoStatus.READY
    code, params = step_code(step.get("name", ""))
    body = {
        "id": int(video_id),
        "status": state.status,
        "encoding_progress": 100 if ready else int(state.progress.get("percent") or 0),
        "encoding_remaining_seconds": 0 if ready else state.remaining_seconds,
        "encoding_step_index": int(step.get("index") or 0),
        "encoding_step_total": int(step.get("total") or 0),
        "encoding_step_name": step.get("name", ""),
        "encoding_step_code": code,
        "encoding_step_params": params,
        "encoding_step_percent": int(step.get("percent") or 0),
    }
    if state.terminal:
        duration = state.fields.get("duration")
        body["hls_path"] = state.fields.get("hls_path") or None
        body["duration"] = float(duration) if duration else None
        if state.status == VideoStatus.FAILED:
            body["error_reason"] = state.fields.get("error_reason", "")
            body.update(error_render(state.fields))
    return body
