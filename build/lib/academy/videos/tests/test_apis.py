"""Video endpoints: the upload limit, who may upload, and signed playback URLs."""
import types
from urllib.parse import urlsplit

import pytest
from django.core import signing

from academy.tenants.models import Role
from academy.uploads import MULTIPART_SLACK, size_display
from academy.videos import playback
from academy.videos.models import Video
from academy.videos.tasks import video_encode

pytestmark = pytest.mark.django_db


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# Upload


@pytest.mark.parametrize("over_by", [1, MULTIPART_SLACK * 4])
def test_an_upload_over_the_limit_is_refused_with_the_reason(over_by, upload, settings, media):
    # 1 byte over passes the Content-Length check and is caught while the file streams in;
    # far over is refused from the Content-Length, before the body is read.
    settings.VIDEO_MAX_UPLOAD_BYTES = 100_000

    response = upload(b"\0" * (100_000 + over_by))

    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than the upload limit of 97.7 KiB."]}
    assert not Video.objects.exists()
    assert stored_files(media) == []


def test_an_upload_at_the_limit_is_accepted(upload, settings, media):
    settings.VIDEO_MAX_UPLOAD_BYTES = 100_000

    response = upload(b"\0" * 100_000, title="")

    assert response.status_code == 201
    video = Video.objects.get(pk=response.json()["id"])
    assert video.title == "lecture"  # no title given: the file's name
    assert video.source.startswith(f"videos/{video.tenant_id}/sources/") and not video.source.endswith(".mp4")
    assert (media / video.source).stat().st_size == 100_000


def test_the_default_limit_is_2_gib(settings):
    assert settings.VIDEO_MAX_UPLOAD_BYTES == 2 * 1024**3
    assert size_display(settings.VIDEO_MAX_UPLOAD_BYTES) == "2 GiB"
    # Anything bigger than this spools to a temp file while it arrives, not to memory.
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024**2


def test_students_may_not_upload_and_a_file_is_required(upload, make_member, api, owner):
    _, _, student = make_member(tenant=owner[0], role=Role.STUDENT)

    assert upload(b"video", token=student).status_code == 403
    response = api(owner[2]).post("/media/videos/", {"title": "No file"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


# Playback


@pytest.fixture
def ready_video(upload, clip, owner, api):
    """A READY video of the owner and its detail body."""
    video_id = upload(clip).json()["id"]
    assert video_encode(video_id, 1) == "READY"
    return api(owner[2]).get(f"/media/videos/{video_id}/").json()


def url_path(url: str) -> str:
    return urlsplit(url).path


def test_the_owner_plays_every_file_with_its_content_type_and_no_sql(ready_video, client,
                                                                     django_assert_num_queries):
    master_url = url_path(ready_video["playback_url"])
    base = master_url.removesuffix("master.m3u8")

    with django_assert_num_queries(0):
        master = client.get(master_url)
        variant = client.get(base + "240p/index.m3u8")
        variant_text = b"".join(variant.streaming_content).decode()
        segment_name = next(line for line in variant_text.splitlines() if line.endswith(".ts"))
        segment = client.get(base + "240p/" + segment_name)
        poster = client.get(url_path(ready_video["poster_url"]))

    assert master.status_code == 200 and master["Content-Type"] == "application/vnd.apple.mpegurl"
    # Relative names: the player resolves them under the same token.
    assert "240p/index.m3u8" in b"".join(master.streaming_content).decode()
    assert variant["Content-Type"] == "application/vnd.apple.mpegurl" and "/" not in segment_name
    assert segment.status_code == 200 and segment["Content-Type"] == "video/mp2t"
    assert b"".join(segment.streaming_content)[:1] == b"G"  # MPEG-TS sync byte
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"


def test_bad_tokens_and_paths_all_answer_the_same_404_with_no_sql(ready_video, owner, make_member, api, client,
                                                                  monkeypatch, settings,
                                                                  django_assert_num_queries):
    tenant, _, _ = owner
    video_id = ready_video["id"]
    token = url_path(ready_video["playback_url"]).split("/")[3]
    other_tenant, _, stranger = make_member()

    payload, timestamp, signature = token.split(":")
    tampered = f"{payload}:{timestamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    # A real token of video 1 replayed with video 2's payload: the signature no longer matches.
    forged = f"{signing.b64_encode(b'[%d,%d,1]' % (tenant.pk, video_id + 1)).decode()}:{timestamp}:{signature}"
    # A genuine token of another tenant names that tenant's folder, which holds no such video.
    foreign = playback.playback_token(tenant_id=other_tenant.pk, video_id=video_id, attempt=1)
    # A genuine token issued longer ago than the TTL.
    issued_at = signing.time.time() - settings.VIDEO_PLAYBACK_TTL - 60
    monkeypatch.setattr(signing, "time", types.SimpleNamespace(time=lambda: issued_at))
    expired = playback.playback_token(tenant_id=tenant.pk, video_id=video_id, attempt=1)
    monkeypatch.undo()
    other_attempt = playback.playback_token(tenant_id=tenant.pk, video_id=video_id, attempt=2)

    requests = [f"/media/hls/{bad}/master.m3u8" for bad in (tampered, forged, foreign, expired, other_attempt,
                                                           "not-a-token")]
    requests += [f"/media/hls/{token}/{path}" for path in (
        "../a1/master.m3u8", "240p/../../a1/master.m3u8", "%2e%2e/a1/master.m3u8", "240p/../master.m3u8",
        "..%2fa1%2fmaster.m3u8", ".hidden.m3u8", "master.m3u8.bak", "240p", "240p/", "a/b/c.ts",
        "missing.m3u8", "%2fetc%2fpasswd", "master.M3U8",
    )]
    with django_assert_num_queries(0):
        answers = [client.get(path) for path in requests]

    assert [answer.status_code for answer in answers] == [404] * len(requests)
    assert {answer.content for answer in answers} == {b'{"detail": "Not found."}'}
    # The genuine token still works, and the other tenant cannot even see the video.
    assert client.get(f"/media/hls/{token}/master.m3u8").status_code == 200
    assert api(stranger).get(f"/media/videos/{video_id}/").status_code == 404


def test_no_playback_url_before_ready(upload, owner, api):
    video_id = upload(b"not yet encoded").json()["id"]

    detail = api(owner[2]).get(f"/media/videos/{video_id}/").json()

    assert detail["status"] == "PENDING" and detail["playback_url"] is None and detail["poster_url"] is None
    assert set(detail) >= {"id", "title", "status", "hls_path", "duration", "error_reason", "created_at",
                           "updated_at"}


def test_a_storage_without_local_paths_works_the_same(settings, upload, clip, owner, api, client, media):
    # What an S3-compatible bucket looks like to the pipeline: no path(), only open/save/listdir.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    video_id = upload(clip).json()["id"]

    assert video_encode(video_id, 1) == "READY"

    detail = api(owner[2]).get(f"/media/videos/{video_id}/").json()
    master = client.get(url_path(detail["playback_url"]))
    assert master.status_code == 200 and "240p/index.m3u8" in b"".join(master.streaming_content).decode()
    assert client.get(url_path(detail["poster_url"]))["Content-Type"] == "image/jpeg"
    assert stored_files(media) == []  # nothing went through the local disk's MEDIA_ROOT
