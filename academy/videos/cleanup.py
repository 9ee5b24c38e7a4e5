"""Leftovers of encodes: work folders of dead workers, sources of rejected uploads."""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from academy.videos import storage
from academy.videos.models import Video, VideoStatus

logger = logging.getLogger(__name__)

_WORKDIR = re.compile(r"^academy-video-(\d+)-")


def workdir_prefix() -> str:
    """Return the prefix of this process's encode folders; the pid tells a sweep whose they are."""
    return f"academy-video-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    # A killed worker's pool process can linger as a zombie when nothing reaps it (its parent
    # died too): it answers signal 0 but will never use its folder again.
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def video_workdirs_sweep(*, root: str | None = None) -> int:
    """Delete encode folders whose process is gone (a killed worker's); return how many.

    Run at worker start. Folders of live processes (other workers on the host) stay.
    """
    root = root or tempfile.gettempdir()
    removed = 0
    try:
        names = os.listdir(root)
    except OSError:
        return 0
    for name in names:
        match = _WORKDIR.match(name)
        if match is None or _alive(int(match.group(1))):
            continue
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        removed += 1
    if removed:
        logger.info("removed %d encode folder(s) left by dead workers under %s", removed, root)
    return removed


def video_sources_sweep(*, days: int, now=None) -> int:
    """Delete the uploads of videos FAILED more than `days` ago; return how many.

    A rejected upload (not a video, too long, corrupt) is kept for a while so a retry can
    use it; after that only its row and error reason remain (a retry then asks for a new upload).
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    stale = (Video.objects.filter(status=VideoStatus.FAILED, updated_at__lt=cutoff).exclude(source="")
             .values_list("pk", "source"))
    removed = 0
    for video_id, source in stale.iterator(chunk_size=500):
        with transaction.atomic():
            # Only if it is still FAILED with that source: a retry may have started meanwhile.
            cleared = Video.objects.filter(pk=video_id, status=VideoStatus.FAILED, source=source).update(source="")
        if cleared:
            try:
                storage.source_delete(source)
            except Exception:  # a storage hiccup must not stop the sweep; the row no longer points at it
                logger.exception("could not delete the source %s of video %s", source, video_id)
            removed += 1
    return removed
