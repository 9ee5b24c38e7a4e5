"""One id, one entry: only the canonical spelling of an id reaches a view."""
import pytest

from academy.jobs import services as job_services
from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress.testing import publish
from academy.videos import services as video_services
from academy.videos.models import Video
from academy.videos.selectors import video_ref, video_state

pytestmark = pytest.mark.django_db

NOT_FOUND = b'{"detail":"Not found.","code":"not_found","params":{}}'


def job_spellings(job_id: str) -> list[str]:
    return [job_id.upper(), "{" + job_id + "}", job_id.replace("-", ""), "urn:uuid:" + job_id,
            job_id + " ", "%20" + job_id, job_id[:-1] + "G", job_id + "0"]


def video_spellings(video_id: int) -> list[str]:
    arabic = "".join(chr(0x660 + int(d)) for d in str(video_id))  # Arabic-Indic digits
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in str(video_id))
    return ["0" + str(video_id), "00" + str(video_id), "+" + str(video_id), arabic, fullwidth,
            f"{video_id}.0", f"{video_id}%20", "0", "9" * 19, "-1"]


@pytest.fixture
def tasks(owner):
    tenant = owner[0]
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    publish(job_ref(job), job_state(job))
    job_services.job_mark_processing(job_id=str(job.job_id), attempt=1)
    video = Video.objects.create(tenant=tenant, title="Lecture 1")
    publish(video_ref(video), video_state(video))
    video_services.video_mark_processing(video_id=video.pk, attempt=1)
    return job, video


def test_other_spellings_are_404_without_sql_or_a_new_redis_key(tasks, owner, api, redis_client,
                                                                django_assert_num_queries):
    job, video = tasks
    client = api(owner[2])
    urls = []
    for spelling in job_spellings(str(job.job_id)):
        urls += [f"/api/v1/jobs/{spelling}/progress/", f"/api/v1/jobs/{spelling}/", f"/api/v1/jobs/{spelling}/retry/"]
    for spelling in video_spellings(video.pk):
        urls += [f"/media/videos/{spelling}/progress/", f"/media/videos/{spelling}/", f"/media/videos/{spelling}/retry/"]
    keys_before = set(redis_client.keys("*"))

    for url in urls:
        with django_assert_num_queries(0):
            response = client.post(url) if url.endswith("/retry/") else client.get(url)
        assert response.status_code == 404, url
        assert response.content == NOT_FOUND, url

    assert set(redis_client.keys("*")) == keys_before


def test_the_canonical_spelling_answers(tasks, owner, api):
    job, video = tasks
    client = api(owner[2])
    assert client.get(f"/api/v1/jobs/{job.job_id}/progress/").json()["status"] == "PROCESSING"
    assert client.get(f"/media/videos/{video.pk}/progress/").json()["status"] == "PROCESSING"
    assert client.get(f"/media/videos/{video.pk}/").json()["id"] == video.pk
