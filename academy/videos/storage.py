"""Where a video's files live in storage: every name is built here.

Everything goes through Django's default storage, so the local MEDIA_ROOT of the demo and
an S3-compatible bucket in production (STORAGE_BACKEND / STORAGE_OPTIONS) behave alike.
Names are relative to the storage, never filesystem paths.
"""
from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator

from django.core.files import File
from django.core.files.storage import default_storage

MASTER = "master.m3u8"
POSTER = "poster.jpg"


def source_name(*, tenant_id: int) -> str:
    """Return a fresh storage name for an upload (its own name is never trusted or kept)."""
    return f"videos/{int(tenant_id)}/sources/{uuid.uuid4().hex}"


def video_prefix(*, tenant_id: int, video_id: int) -> str:
    """Return the folder of all of a video's output, every attempt's, ending in a slash."""
    return f"videos/{int(tenant_id)}/{int(video_id)}/"


def output_prefix(*, tenant_id: int, video_id: int, attempt: int) -> str:
    """Return the folder of one attempt's HLS output, ending in a slash.

    Attempts get folders of their own, so a retry never overwrites what a player of the
    previous attempt may still be reading.
    """
    return f"{video_prefix(tenant_id=tenant_id, video_id=video_id)}a{int(attempt)}/"


def source_save(*, tenant_id: int, file) -> str:
    """Store an uploaded file and return its storage name."""
    # A temp-file upload is moved, not copied, by the local storage.
    return default_storage.save(source_name(tenant_id=tenant_id), file)


def source_delete(name: str) -> None:
    """Delete a stored upload."""
    default_storage.delete(name)


def stored_url(name: str, *, expire: int) -> str | None:
    """Return a URL the browser may fetch the file from itself (presigned), or None for local files.

    A remote storage (S3) serves the bytes; a local one has no such URL, so our view streams it.
    """
    try:
        default_storage.path(name)
    except NotImplementedError:
        return default_storage.url(name, expire=expire)
    return None


@contextmanager
def source_local(name: str, work_dir: str) -> Iterator[str]:
    """Yield a local path of a stored source: the file itself if local, else a copy in work_dir."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        path = None  # remote storage: fetch it
    # Some storages compute a path without keeping the file there (the in-memory one).
    if path is not None and os.path.isfile(path):
        yield path
        return
    local = os.path.join(work_dir, "source")
    with default_storage.open(name, "rb") as remote, open(local, "wb") as out:
        shutil.copyfileobj(remote, out, 1024 * 1024)
    yield local


def _names(prefix: str) -> list[str]:
    try:
        folders, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = [prefix + name for name in files]
    for folder in folders:
        names += _names(f"{prefix}{folder}/")
    return names


def tree_delete(prefix: str) -> None:
    """Delete every file under a prefix (a no-op when there is none)."""
    for name in _names(prefix):
        default_storage.delete(name)


def tree_upload(local_dir: str, prefix: str, *, on_file: Callable[[int, int], None] | None = None) -> list[str]:
    """Store every file under local_dir below prefix, keeping relative names; return the names."""
    paths = sorted(
        os.path.join(root, name) for root, _, names in os.walk(local_dir) for name in names
    )
    stored = []
    for done, path in enumerate(paths, 1):
        wanted = prefix + os.path.relpath(path, local_dir).replace(os.sep, "/")
        with open(path, "rb") as data:
            name = default_storage.save(wanted, File(data))
        if name != wanted:
            # Playlists refer to their segments by name: a renamed file breaks playback.
            raise RuntimeError(f"storage stored {wanted!r} as {name!r}")
        stored.append(name)
        if on_file is not None:
            on_file(done, len(paths))
    return stored
