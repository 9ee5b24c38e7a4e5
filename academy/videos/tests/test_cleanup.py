"""Leftovers: ffmpeg dies with its killed parent, dead workers' folders go, old uploads expire."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from academy.jobs.models import Job, JobStatus
from academy.students.cleanup import student_import_files_sweep
from academy.students.services import IMPORT_JOB_TYPE
from academy.videos import cleanup
from academy.videos.models import Video, VideoStatus


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")  # a zombie no longer runs
    except FileNotFoundError:
        return True


def test_ffmpeg_dies_when_the_process_that_started_it_is_killed():
    # A stand-in worker: starts a 10-minute ffmpeg the way the pipeline does, prints its pid, waits.
    script = textwrap.dedent("""
        import subprocess, sys, time
        from academy.videos.hls import die_with_parent
        ff = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i",
                               "testsrc2=size=320x240:rate=25:duration=600", "-f", "null", "-"],
                              stdout=subprocess.PIPE, preexec_fn=die_with_parent())
        print(ff.pid, flush=True)
        time.sleep(600)
    """)
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    ffmpeg_pid = int(worker.stdout.readline())
    assert not _gone(ffmpeg_pid)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    deadline = time.monotonic() + 30
    while not _gone(ffmpeg_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(ffmpeg_pid), "ffmpeg outlived the killed process that started it"


def test_worker_start_removes_only_dead_processes_folders(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"academy-video-{dead.pid}-abc"
    (stale / "hls").mkdir(parents=True)
    (stale / "hls" / "seg0.ts").write_bytes(b"x" * 1000)
    live = tmp_path / f"{cleanup.workdir_prefix()}def"
    live.mkdir()
    other = tmp_path / "someone-else"
    other.mkdir()

    assert cleanup.video_workdirs_sweep(root=str(tmp_path)) == 1
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.django_db
def test_sources_of_videos_failed_long_ago_are_deleted(owner, media):
    tenant = owner[0]
    names = {}
    for label in ("old_failed", "new_failed", "old_ready"):
        names[label] = default_storage.save(f"videos/{tenant.pk}/sources/{label}", ContentFile(b"data"))
    old = timezone.now() - timedelta(days=8)
    old_failed = Video.objects.create(tenant=tenant, title="a", source=names["old_failed"], status=VideoStatus.FAILED)
    new_failed = Video.objects.create(tenant=tenant, title="b", source=names["new_failed"], status=VideoStatus.FAILED)
    old_ready = Video.objects.create(tenant=tenant, title="c", source=names["old_ready"], status=VideoStatus.READY)
    Video.objects.filter(pk__in=[old_failed.pk, old_ready.pk]).update(updated_at=old)

    assert cleanup.video_sources_sweep(days=7) == 1
    assert not default_storage.exists(names["old_failed"])
    assert default_storage.exists(names["new_failed"]) and default_storage.exists(names["old_ready"])
    old_failed.refresh_from_db()
    assert old_failed.source == "" and old_failed.status == VideoStatus.FAILED
    assert cleanup.video_sources_sweep(days=7) == 0  # nothing left to do: idempotent


@pytest.mark.django_db
def test_old_roster_files_are_deleted_unless_an_unfinished_import_needs_them(owner, media):
    tenant = owner[0]
    paths = [default_storage.save(f"imports/{tenant.pk}/{n}.xlsx", ContentFile(b"xlsx")) for n in ("old", "queued", "new")]
    old_time = time.time() - 9 * 86400
    for path in paths[:2]:
        os.utime(default_storage.path(path), (old_time, old_time))
    Job.objects.create(tenant=tenant, job_type=IMPORT_JOB_TYPE, payload={"path": paths[1]}, status=JobStatus.PENDING)

    assert student_import_files_sweep(days=7) == 1
    assert [default_storage.exists(p) for p in paths] == [False, True, True]


@pytest.mark.django_db
def test_a_tenant_at_its_encode_cap_waits_and_other_tenants_do_not(make_member, settings):
    from academy.progress import api as progress
    from academy.videos import services

    tenant_a, tenant_b = make_member()[0], make_member()[0]
    a1, a2 = (Video.objects.create(tenant=tenant_a, title=t) for t in ("a1", "a2"))
    b1 = Video.objects.create(tenant=tenant_b, title="b1")

    assert services.video_mark_processing(video_id=a1.pk, attempt=1, tenant_cap=1) is not None
    with pytest.raises(progress.TenantAtCapacity):
        services.video_mark_processing(video_id=a2.pk, attempt=1, tenant_cap=1)
    assert services.video_mark_processing(video_id=b1.pk, attempt=1, tenant_cap=1) is not None
    # A redelivered message of the running encode is not held back by itself.
    assert services.video_mark_processing(video_id=a1.pk, attempt=1, tenant_cap=1) is not None
    a2.refresh_from_db()
    assert a2.status == VideoStatus.PENDING
