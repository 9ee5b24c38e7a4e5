"""Property: duplicate, reordered and late events never move a task backwards, and in the
end Redis agrees with the database."""
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from academy.jobs import services
from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress import store
from academy.progress.publish import publish
from academy.progress.statuses import RANK
from academy.progress.store import TaskState

pytestmark = pytest.mark.django_db

attempts = st.integers(min_value=1, max_value=3)
events = st.lists(
    st.one_of(
        st.tuples(st.just("mark"), attempts),
        st.tuples(st.just("progress"), attempts, st.integers(0, 100)),
        st.tuples(st.just("done"), attempts),
        st.tuples(st.just("fail"), attempts),
        st.tuples(st.just("retry")),
        st.tuples(st.just("replay"), st.integers(0, 50)),
    ),
    max_size=25,
)


def position(state):
    return (state.attempt, RANK[state.status])


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events)
def test_random_event_orders_never_move_backwards(events, make_member, redis_client,
                                                  django_capture_on_commit_callbacks):
    redis_client.flushdb()
    tenant, _, _ = make_member()
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    ref = job_ref(job)
    job_id = str(job.job_id)
    publish(ref, job_state(job))
    seen = [store.state_read(ref)]
    for event in events:
        kind = event[0]
        with django_capture_on_commit_callbacks(execute=True):
            if kind == "mark":
                services.job_mark_processing(job_id=job_id, attempt=event[1])
            elif kind == "progress":
                # A worker reports only while its attempt runs; late reports come as replays.
                job.refresh_from_db()
                if (job.status, job.attempt) != ("PROCESSING", event[1]):
                    continue
                publish(ref, TaskState("PROCESSING", event[1], fields={"job_type": job.job_type},
                                       progress={"percent": event[2]}), only_if_exists=True, index=False)
            elif kind == "done":
                services.job_complete(job_id=job_id, attempt=event[1], result={"n": event[1]})
            elif kind == "fail":
                services.job_fail(job_id=job_id, attempt=event[1], error_message="boom")
            elif kind == "retry":
                services.job_retry(tenant_id=tenant.pk, job_id=job_id)
            else:  # a late or duplicated delivery of an earlier state
                store.state_write(ref, seen[event[1] % len(seen)])
        now = store.state_read(ref)
        assert position(now) >= position(seen[-1]), (event, seen[-1], now)
        if seen[-1].terminal and now.attempt == seen[-1].attempt:
            assert (now.status, now.fields) == (seen[-1].status, seen[-1].fields), "a terminal state never changes"
        seen.append(now)
    job.refresh_from_db()
    final = store.state_read(ref)
    assert (final.status, final.attempt) == (job.status, job.attempt)
    if not final.terminal:
        final.fields.pop("hb", None)  # the running heartbeat exists only in Redis
    assert final.fields == job_state(job).fields
