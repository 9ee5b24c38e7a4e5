"""The lifecycle contract every task kind keeps, written once and run once per kind.

As Django's SessionTestsMixin is subclassed per session backend, a kind's tests subclass
TaskLifecycleContract and say only what differs: how a row is made, what a success
saves, where its progress is served. Real PostgreSQL, real Redis, the real Celery broker.
"""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.conf import settings
from django.db.models import F

from academy.progress import api as progress
from academy.progress import testing


def queued() -> list[tuple[str, str]]:
    """Return (task name, args) of the runs waiting in the real Celery broker (both queues)."""
    client = testing.redis_client()
    return [(m["headers"]["task"], m["headers"]["argsrepr"])
            for queue in (settings.JOBS_QUEUE, settings.VIDEO_QUEUE)
            for m in map(json.loads, client.lrange(queue, 0, -1))]


class TaskLifecycleContract:
    """Transitions, the attempt guard, cancel, retry, requeue; publish after commit; zero-SQL reads."""

    kind: str  # KIND_JOB, KIND_VIDEO
    task_name: str  # the Celery task that runs an attempt
    success: str  # DONE, READY
    error_field: str  # where a failure's reason is saved

    def fields(self) -> dict:
        """Return the kind's own fields of a new row."""
        raise NotImplementedError

    def success_changes(self) -> dict:
        """Return what a successful run saves besides its status."""
        raise NotImplementedError

    def progress_url(self, row) -> str:
        raise NotImplementedError

    def run_args(self, row, attempt: int) -> str:
        """Return the Celery argsrepr of a run of this attempt."""
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------

    @pytest.fixture
    def member(self, make_member):
        return make_member()

    @pytest.fixture
    def create(self, member, django_capture_on_commit_callbacks):
        tenant = member[0]

        def make():
            with django_capture_on_commit_callbacks(execute=True):
                return progress.task_create(kind=self.kind, tenant_id=tenant.pk, **self.fields())

        return make

    @pytest.fixture
    def running(self, create):
        """A row whose first attempt is PROCESSING, with the broker emptied."""

        def make():
            row = create()
            progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=1)
            testing.redis_client().delete(settings.JOBS_QUEUE, settings.VIDEO_QUEUE)
            row.refresh_from_db()
            return row

        return make

    def ref(self, row):
        return progress.kind_get(self.kind).ref(row)

    def cached(self, row):
        return testing.state_read(self.ref(row))

    # -- create ----------------------------------------------------------------------------

    def test_create_publishes_and_queues_only_on_commit(self, member, django_capture_on_commit_callbacks):
        tenant = member[0]
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            row = progress.task_create(kind=self.kind, tenant_id=tenant.pk, **self.fields())
            assert self.cached(row) is None and queued() == [], "nothing before the commit"
        for callback in callbacks:
            callback()
        assert (row.status, row.attempt) == (progress.Status.PENDING, 1)
        assert (self.cached(row).status, self.cached(row).attempt) == ("PENDING", 1)
        assert queued() == [(self.task_name, self.run_args(row, 1))]
        assert testing.active_list(tenant.pk)[0][0] == self.ref(row).member

    def test_a_rolled_back_create_is_never_shown_nor_run(self, member, django_capture_on_commit_callbacks):
        tenant = member[0]
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            with transaction.atomic():
                row = progress.task_create(kind=self.kind, tenant_id=tenant.pk, **self.fields())
                raise RuntimeError("rolled back")
        assert self.cached(row) is None and queued() == []

    # -- the worker's transitions and the attempt guard ------------------------------------

    def test_mark_processing_then_finish(self, create):
        row = create()
        assert progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=2) is None, "no such attempt"
        marked = progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=1)
        assert marked.status == "PROCESSING" and marked.started_at is not None
        state = self.cached(row)
        assert state.status == "PROCESSING" and state.fields.get("hb"), "a heartbeat from the first write"

        done = progress.task_finish(kind=self.kind, task_id=row.pk, attempt=1, **self.success_changes())
        row.refresh_from_db()
        assert done is not None and row.status == self.success and row.finished_at is not None
        assert self.cached(row).status == self.success
        assert not testing.active_list(row.tenant_id), "a finished task leaves the active index"

    def test_a_stale_or_repeated_end_changes_nothing(self, running):
        row = running()
        assert progress.task_finish(kind=self.kind, task_id=row.pk, attempt=0, **self.success_changes()) is None
        assert progress.task_fail(kind=self.kind, task_id=row.pk, attempt=1, reason="The file is empty.")
        assert progress.task_finish(kind=self.kind, task_id=row.pk, attempt=1, **self.success_changes()) is None
        assert progress.task_fail(kind=self.kind, task_id=row.pk, attempt=1, reason="again") is None
        assert progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=1) is None
        row.refresh_from_db()
        assert (row.status, getattr(row, self.error_field)) == ("FAILED", "The file is empty.")
        state = self.cached(row)
        assert (state.status, state.fields[self.error_field]) == ("FAILED", "The file is empty.")

    def test_a_failure_keeps_its_code_and_params_for_clients(self, running):
        row = running()
        assert progress.task_fail(kind=self.kind, task_id=row.pk, attempt=1, reason="Too long.", code="too_long",
                                  params={"limit_seconds": 60})
        row.refresh_from_db()
        assert (row.error_code, row.error_params) == ("too_long", {"limit_seconds": 60})
        body = progress.kind_get(self.kind).render(str(row.pk), self.cached(row))
        assert (body["error_code"], body["error_params"]) == ("too_long", {"limit_seconds": 60})
        # A new attempt starts clean.
        assert progress.task_retry(kind=self.kind, tenant_id=row.tenant_id, task_id=row.pk)
        row.refresh_from_db()
        assert (row.error_code, row.error_params) == ("", {})

    def test_an_unknown_id_is_none_without_raising(self):
        for task_id in ("0", "12x", "not-an-id", "99999999"):
            assert progress.task_mark_processing(kind=self.kind, task_id=task_id, attempt=1) is None

    # -- cancel ----------------------------------------------------------------------------

    def test_cancel_ends_the_task_and_refuses_its_workers_writes(self, running, member,
                                                                 django_capture_on_commit_callbacks):
        row = running()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            cancelled = progress.task_cancel(kind=self.kind, tenant_id=member[0].pk, task_id=row.pk)
        assert cancelled.status == "CANCELLED" and self.cached(row).status == "PROCESSING", "not before commit"
        for callback in callbacks:
            callback()
        assert self.cached(row).status == "CANCELLED"

        reporter = progress.ProgressReporter(self.ref(row), attempt=1, steps=[("work", 1)], min_interval=0,
                                             raise_on_cancel=True)
        with pytest.raises(progress.TaskCancelled):
            reporter.update(0.5)  # the worker's next report stops it
        assert self.cached(row).status == "CANCELLED" and not self.cached(row).progress
        assert progress.task_finish(kind=self.kind, task_id=row.pk, attempt=1, **self.success_changes()) is None
        row.refresh_from_db()
        assert row.status == "CANCELLED"

    def test_only_a_running_task_of_the_tenant_can_be_cancelled(self, running, member, make_member,
                                                               django_capture_on_commit_callbacks):
        row = running()
        stranger = make_member()[0]
        assert progress.task_cancel(kind=self.kind, tenant_id=stranger.pk, task_id=row.pk) is None
        progress.task_finish(kind=self.kind, task_id=row.pk, attempt=1, **self.success_changes())
        assert progress.task_cancel(kind=self.kind, tenant_id=member[0].pk, task_id=row.pk) is None
        row.refresh_from_db()
        assert row.status == self.success

    # -- retry -----------------------------------------------------------------------------

    def _retry(self, row, django_capture_on_commit_callbacks, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return progress.task_retry(kind=self.kind, tenant_id=row.tenant_id, task_id=row.pk, **kwargs)

    @pytest.mark.parametrize("end", ["fail", "cancel"])
    def test_retry_of_a_failed_or_cancelled_task_starts_a_new_attempt(self, end, running,
                                                                       django_capture_on_commit_callbacks):
        row = running()
        with django_capture_on_commit_callbacks(execute=True):
            if end == "fail":
                progress.task_fail(kind=self.kind, task_id=row.pk, attempt=1, reason="boom")
            else:
                progress.task_cancel(kind=self.kind, tenant_id=row.tenant_id, task_id=row.pk)

        retried = self._retry(row, django_capture_on_commit_callbacks)

        assert (retried.status, retried.attempt, getattr(retried, self.error_field)) == ("PENDING", 2, "")
        assert retried.started_at is None and retried.finished_at is None
        assert (self.cached(row).status, self.cached(row).attempt) == ("PENDING", 2)
        assert queued() == [(self.task_name, self.run_args(row, 2))]
        # The old attempt's worker is ignored from now on, the new one runs.
        assert progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=1) is None
        assert progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=2) is not None

    def test_a_running_or_finished_task_is_not_retried(self, running, make_member,
                                                        django_capture_on_commit_callbacks):
        row = running()
        assert self._retry(row, django_capture_on_commit_callbacks) is None, "alive: its heartbeat is fresh"
        with django_capture_on_commit_callbacks(execute=True):
            assert progress.task_retry(kind=self.kind, tenant_id=make_member()[0].pk, task_id=row.pk) is None
        progress.task_finish(kind=self.kind, task_id=row.pk, attempt=1, **self.success_changes())
        assert self._retry(row, django_capture_on_commit_callbacks) is None
        row.refresh_from_db()
        assert (row.status, row.attempt) == (self.success, 1) and queued() == []

    def test_retry_accepts_a_task_stuck_past_its_heartbeat_timeout(self, running, settings,
                                                                    django_capture_on_commit_callbacks):
        settings.PROGRESS_HEARTBEAT_TIMEOUT = 900
        row = running()
        later = time.time() + 901  # nothing was heard from the worker for longer than the timeout
        assert progress.task_stuck(kind=self.kind, row=row, now=time.time()) is False
        assert progress.task_stuck(kind=self.kind, row=row, now=later) is True

        # A progress write is a heartbeat: it keeps the task alive though the row is old.
        type(row).objects.filter(pk=row.pk).update(updated_at=F("updated_at") - timedelta(hours=1))
        row.refresh_from_db()
        assert progress.task_stuck(kind=self.kind, row=row, now=time.time()) is False, "the heartbeat is fresh"

        retried = self._retry(row, django_capture_on_commit_callbacks, now=later)
        assert (retried.status, retried.attempt) == ("PENDING", 2)
        assert queued() == [(self.task_name, self.run_args(row, 2))]

    def test_a_pending_task_never_picked_up_is_stuck_by_its_row(self, create, settings,
                                                                 django_capture_on_commit_callbacks):
        settings.PROGRESS_HEARTBEAT_TIMEOUT = 900
        row = create()
        type(row).objects.filter(pk=row.pk).update(updated_at=F("updated_at") - timedelta(seconds=901))
        row.refresh_from_db()
        assert self._retry(row, django_capture_on_commit_callbacks).attempt == 2

    # -- requeue (reconcile) ---------------------------------------------------------------

    def test_requeue_is_guarded_by_the_attempt_and_idempotent(self, running, django_capture_on_commit_callbacks):
        row = running()
        with django_capture_on_commit_callbacks(execute=True):
            first = progress.task_requeue(kind=self.kind, task_id=row.pk, attempt=1)
            again = progress.task_requeue(kind=self.kind, task_id=row.pk, attempt=1)
        assert (first.status, first.attempt) == ("PENDING", 2) and again is None
        assert queued() == [(self.task_name, self.run_args(row, 2))], "queued once"
        assert (self.cached(row).status, self.cached(row).attempt) == ("PENDING", 2)

        progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=2)
        progress.task_finish(kind=self.kind, task_id=row.pk, attempt=2, **self.success_changes())
        with django_capture_on_commit_callbacks(execute=True):
            assert progress.task_requeue(kind=self.kind, task_id=row.pk, attempt=2) is None, "finished: left alone"

    # -- reads -----------------------------------------------------------------------------

    def test_every_state_reads_back_with_zero_sql(self, running, member, api, django_assert_num_queries,
                                                  django_capture_on_commit_callbacks):
        client = api(member[2])
        row = running()
        ref = self.ref(row)

        def read() -> str:
            with django_assert_num_queries(0):
                state = progress.progress_get(ref)
                body = client.get(self.progress_url(row))
            assert body.status_code == 200 and body.json()["status"] == state.status
            return state.status

        assert read() == "PROCESSING"
        with django_capture_on_commit_callbacks(execute=True):
            progress.task_cancel(kind=self.kind, tenant_id=row.tenant_id, task_id=row.pk)
        assert read() == "CANCELLED"
        self._retry(row, django_capture_on_commit_callbacks)
        assert read() == "PENDING"
        progress.task_mark_processing(kind=self.kind, task_id=row.pk, attempt=2)
        progress.task_finish(kind=self.kind, task_id=row.pk, attempt=2, **self.success_changes())
        assert read() == self.success
