"""The job runner: a cancelled attempt stops its handler where it reports."""
import pytest

from academy.jobs import handlers, services
from academy.jobs.handlers import JobCategory, JobHandler
from academy.jobs.models import Job, JobStatus
from academy.jobs.tasks import job_run
from academy.progress import api as progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelling_handler(django_capture_on_commit_callbacks):
    """A job type whose run is cancelled by the user after its first unit of work."""
    reached = []

    def run(job, reporter):
        reporter.step(0)
        reached.append(1)
        with django_capture_on_commit_callbacks(execute=True):
            services.job_cancel(tenant_id=job.tenant_id, job_id=job.job_id)
        for done in range(1, 11):
            reporter.advance(done, 10)  # refused from now on: the handler stops here
            reached.append(done + 1)
        return {"finished": True}

    handler = handlers.handler_register(JobHandler(job_type="test_cancelled", steps=[("work", 1)],
                                                   category=JobCategory.AI, run=run))
    yield reached
    handlers._handlers.pop(handler.job_type)


def test_a_job_cancelled_while_running_stops_and_stays_cancelled(cancelling_handler, make_member, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.PROGRESS_MIN_INTERVAL = 0  # every report is written: the first one after the cancel is refused
    tenant = make_member()[0]
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(tenant_id=tenant.pk, job_type="test_cancelled", payload={})

    assert job_run(str(job.job_id), 1) == "CANCELLED"

    assert cancelling_handler == [1], "no unit of work after the cancel"
    job.refresh_from_db()
    assert (job.status, job.result, job.error_message) == (JobStatus.CANCELLED, None, "")
    state = progress.progress_get(progress.TaskRef(tenant.pk, progress.KIND_JOB, str(job.job_id)))
    assert state.status == "CANCELLED"
    assert job_run(str(job.job_id), 1) == "skipped", "a redelivered message does nothing"
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED
