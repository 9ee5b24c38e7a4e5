"""Celery tasks of the video pipeline: take ids, run one attempt of academy.videos.pipeline."""
from celery import shared_task


@shared_task(name="academy.videos.tasks.video_encode", acks_late=True, reject_on_worker_lost=True)
def video_encode(video_id: int, attempt: int) -> str:
    """Encode one attempt of a video to HLS."""
    from academy.videos.pipeline import video_encode_run

    return video_encode_run(video_id=video_id, attempt=attempt)
