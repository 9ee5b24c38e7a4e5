"""Signed, expiring playback URLs for a video's HLS files, checked without SQL.

A player fetches the master playlist, then variant playlists and segments by relative
names, without our bearer header. So the URL itself carries the permission: a token,
signed with SECRET_KEY, naming the tenant, the video and the attempt. The storage folder
is derived from the token alone, so a token can reach nothing outside its own video's
output, and validating it per request needs no database.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage

from academy.videos import storage

SALT = "academy.videos.playback"

# The only shapes our HLS output has: master.m3u8, poster.jpg, 360p/index.m3u8,
# 360p/seg_00001.ts. No dots outside the extension, so no ".." and no hidden files.
_PATH = re.compile(r"(?:[A-Za-z0-9_-]{1,32}/)?[A-Za-z0-9_-]{1,64}\.(m3u8|ts|jpg)")
CONTENT_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "jpg": "image/jpeg",
}


def playback_token(*, tenant_id: int, video_id: int, attempt: int) -> str:
    """Return a token that opens this attempt's HLS files for VIDEO_PLAYBACK_TTL seconds."""
    return signing.dumps([int(tenant_id), int(video_id), int(attempt)], salt=SALT, compress=False)


def playback_prefix(token: str) -> str | None:
    """Return the storage folder a valid, unexpired token opens, else None."""
    try:
        tenant_id, video_id, attempt = signing.loads(token, salt=SALT, max_age=settings.VIDEO_PLAYBACK_TTL)
        return storage.output_prefix(tenant_id=tenant_id, video_id=video_id, attempt=attempt)
    except (signing.BadSignature, ValueError, TypeError):
        return None  # tampered, expired, or not ours: all answer alike


def playback_file_open(*, token: str, path: str):
    """Return (open file, content type) of one HLS file the token opens, or None."""
    shape = _PATH.fullmatch(path)
    if shape is None:
        return None
    prefix = playback_prefix(token)
    if prefix is None:
        return None
    try:
        return default_storage.open(prefix + path, "rb"), CONTENT_TYPES[shape.group(1)]
    except OSError:  # missing (or, never ours, a folder)
        return None


def playback_urls(*, tenant_id: int, video_id: int, attempt: int) -> tuple[str, str]:
    """Return the site-relative URLs of the master playlist and the poster."""
    base = f"/media/hls/{playback_token(tenant_id=tenant_id, video_id=video_id, attempt=attempt)}/"
    return base + storage.MASTER, base + storage.POSTER
