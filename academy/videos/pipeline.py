"""The encoding of one video attempt: probe -> transcode to HLS -> poster -> finalize.

The database sees two writes per attempt: PROCESSING at the start and READY or FAILED at
the end. Everything in between goes to Redis through the progress reporter.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
import time

from django.conf import settings
from django.core.files.storage import default_storage

from academy.counters import JOB_DURATION
from academy.progress.api import ProgressReporter, attempt_lease
from academy.videos import cleanup, hls, services, storage
from academy.videos.models import Video
from academy.videos.selectors import video_ref

logger = logging.getLogger(__name__)

INTERNAL_ERROR = ("The video could not be processed because of an internal error; it has been logged. "
                  "Retry it, or contact support if it happens again.")
MISSING_SOURCE = "The uploaded file could not be found; upload the video again."
PROBE_TIMEOUT = 60
BUSY = "busy"  # another worker holds this attempt's lease

# Weights are each step's rough share of the wall time: locally the transcode is ~99 % of
# it (bench/video); finalize gets more than its local share because copying the output to
# a remote bucket takes longer. The logged step timings show whether they still fit.
STEPS = (("probe", 1), ("transcode", 94), ("poster", 1), ("finalize", 4))
PROBE, TRANSCODE, POSTER, FINALIZE = range(len(STEPS))


def video_encode_run(*, video_id: int, attempt: int, cancel: threading.Event | None = None,
                     tenant_cap: int = 0) -> str:
    """Encode one attempt of a video; return "READY", "FAILED", "skipped", "superseded" or BUSY.

    Bad input ends FAILED with the reason from hls.MediaError; any other error ends FAILED
    with a generic reason and is logged, so no attempt is left PROCESSING. Setting `cancel`,
    or the attempt ending elsewhere (reconcile failing it as stuck), kills ffmpeg. Raise
    TenantAtCapacity, before any work, when the tenant already runs `tenant_cap` encodes.
    BUSY: a second delivery of an attempt another worker is encoding now; nothing was done.
    """
    video = services.video_mark_processing(video_id=video_id, attempt=attempt, tenant_cap=tenant_cap)
    if video is None:
        return "skipped"  # a stale or redelivered message of an attempt that has ended
    with attempt_lease(video_ref(video), attempt) as held:
        if not held:
            logger.info("video %s attempt %s is being encoded by another worker", video_id, attempt)
            return BUSY
        return _run(video, attempt=attempt, cancel=cancel or threading.Event())


def _run(video: Video, *, attempt: int, cancel: threading.Event) -> str:
    video_id = video.pk
    reporter = ProgressReporter(video_ref(video), attempt=attempt, steps=STEPS,
                                min_interval=settings.VIDEO_PROGRESS_INTERVAL,
                                cancel=cancel)
    prefix = storage.output_prefix(tenant_id=video.tenant_id, video_id=video.pk, attempt=attempt)
    started = time.monotonic()
    try:
        output = _encode(video, reporter=reporter, prefix=prefix, cancel=cancel)
    except hls.MediaError as exc:
        logger.info("video %s attempt %s failed: %s %s", video_id, attempt, exc.reason, exc.detail[-500:])
        status = _fail(video_id=video_id, attempt=attempt, prefix=prefix, reason=exc.reason, code=exc.code,
                       params=exc.params)
    except Exception:
        logger.exception("video %s attempt %s failed on an internal error", video_id, attempt)
        status = _fail(video_id=video_id, attempt=attempt, prefix=prefix, reason=INTERNAL_ERROR,
                       code="internal_error")
    else:
        if services.video_complete(video_id=video_id, attempt=attempt, **output) is not None:
            status = "READY"
        else:
            # The attempt ended meanwhile (failed as stuck, say). Its files are left alone:
            # a duplicate run of the same attempt may have finished READY with them.
            logger.warning("video %s attempt %s ended elsewhere; its output stays under %s", video_id, attempt, prefix)
            status = "superseded"
    JOB_DURATION.labels("video_encode", status).observe(time.monotonic() - started)
    return status


def _encode(video: Video, *, reporter: ProgressReporter, prefix: str, cancel: threading.Event) -> dict:
    timer = _StepTimer()
    reporter.step(PROBE)
    if not video.source or not default_storage.exists(video.source):
        raise hls.MediaError("video_source_missing", MISSING_SOURCE)
    # The folder is named after this process, so a worker starting after a crash can tell it
    # is a dead one's and delete it (cleanup.video_workdirs_sweep).
    with tempfile.TemporaryDirectory(prefix=cleanup.workdir_prefix()) as work, \
            storage.source_local(video.source, work) as source:
        info = hls.probe(source, max_duration=settings.VIDEO_MAX_DURATION, timeout=PROBE_TIMEOUT)
        ladder = hls.plan_ladder(info)
        # The step's name tells the viewer what is being made: "transcode 360p+720p".
        reporter.steps[TRANSCODE] = ("transcode " + "+".join(r.name for r in ladder), STEPS[TRANSCODE][1])
        _check(cancel)
        timer.lap("probe")
        reporter.step(TRANSCODE)
        out_dir = os.path.join(work, "hls")
        poster = os.path.join(out_dir, storage.POSTER)
        # The poster comes out of the transcode's own decoding (no second ffmpeg run).
        hls.encode_hls(source, out_dir, ladder=ladder, probe=info, timeout=settings.VIDEO_ENCODE_TIMEOUT,
                       cancel=cancel, on_progress=lambda fraction, speed: reporter.update(fraction),
                       poster=poster)
        timer.lap("transcode")

        reporter.step(POSTER)
        if not (os.path.isfile(poster) and os.path.getsize(poster) > 0):
            # The video ended before its poster time (a wrong duration in the file): take
            # one on its own, which falls back to the first frame.
            hls.make_poster(source, poster, at_seconds=hls.poster_seconds(info.duration))
        _check(cancel)
        timer.lap("poster")

        reporter.step(FINALIZE)
        # A redelivered message re-runs an attempt: drop what an earlier run left half-written.
        storage.tree_delete(prefix)
        storage.tree_upload(out_dir, prefix, on_file=reporter.advance)
        timer.lap("finalize")
    # The step weights (STEPS) come from these figures: keep them in the log to check them.
    logger.info("video %s attempt %s encoded %.1f s of video (%s): %s", video.pk, reporter.attempt,
                info.duration, "+".join(r.name for r in ladder), timer)
    return {"hls_path": prefix + storage.MASTER, "poster_path": prefix + storage.POSTER,
            "duration": info.duration}


class _StepTimer:
    """Wall seconds of each step, for the log line."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = now - self._last
        self._last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.laps.items())


def _check(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise hls.EncodingCancelled("video_cancelled", "The encoding was cancelled.")


def _fail(*, video_id: int, attempt: int, prefix: str, reason: str, code: str, params: dict | None = None) -> str:
    if services.video_fail(video_id=video_id, attempt=attempt, error_reason=reason, error_code=code,
                           error_params=params) is not None:
        # Ours to delete only when this run is the one that ended the attempt.
        _discard(prefix)
    return "FAILED"


def _discard(prefix: str) -> None:
    try:
        storage.tree_delete(prefix)
    except Exception:
        logger.exception("could not delete the partial output under %s", prefix)
