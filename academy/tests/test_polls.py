"""The poll path's plain views answer as their DRF views did, with one Redis call and no SQL."""
import uuid

import pytest

from academy.jobs import services as job_services
from academy.jobs.models import Job
from academy.jobs.selectors import job_ref, job_state
from academy.progress.testing import publish
from academy.tenants.models import Role
from academy.tenants.tokens import token_issue

pytestmark = pytest.mark.django_db


def finished_job(tenant) -> Job:
    job = Job.objects.create(tenant=tenant, job_type="excel_student_import", payload={})
    publish(job_ref(job), job_state(job))
    job_services.job_mark_processing(job_id=str(job.job_id), attempt=1)
    job_services.job_complete(job_id=str(job.job_id), attempt=1, result={"created": 3, "total": 3})
    return job


def commands(redis_client) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in redis_client.info("commandstats").items()}


def test_a_finished_task_costs_one_script_call_of_one_hgetall_and_no_sql(make_member, api, redis_client,
                                                                          django_assert_num_queries):
    tenant, _, token = make_member()
    job = finished_job(tenant)
    client = api(token)
    client.get(f"/api/v1/jobs/{job.job_id}/progress/")  # loads the read script once
    redis_client.config_resetstat()

    with django_assert_num_queries(0):
        response = client.get(f"/api/v1/jobs/{job.job_id}/progress/")

    assert response.status_code == 200 and response.json()["status"] == "DONE"
    assert response["Content-Type"] == "application/json"
    seen = commands(redis_client)
    seen.pop("config|resetstat", None)
    # Inside the one script call: the finished task's status hash, and the token's revocation
    # stamp (academy/access/revocation.py) read along.
    assert seen == {"evalsha": 1, "hgetall": 1, "get": 1}, "one round trip; the status hash and the stamp only"


def drf_and_lean(client, job_id) -> tuple:
    """The same failure through a DRF view (job detail) and the plain view (its progress)."""
    return client.get(f"/api/v1/jobs/{job_id}/"), client.get(f"/api/v1/jobs/{job_id}/progress/")


@pytest.mark.parametrize("case", ["no header", "malformed header", "bad token", "missing task",
                                  "password change first"])
def test_errors_are_byte_for_byte_those_of_the_drf_views(case, make_member, api):
    tenant, user, token = make_member()
    job_id = uuid.uuid4()
    if case == "no header":
        client = api()
    elif case == "malformed header":
        client = api()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    elif case == "bad token":
        client = api(token[:-4] + "AAAA")
    elif case == "password change first":
        pending, _ = token_issue(user_id=user.pk, tenant_id=tenant.pk, role=Role.OWNER, password_change_required=True)
        client = api(pending)
    else:
        client = api(token)

    drf, lean = drf_and_lean(client, job_id)

    assert lean.status_code == drf.status_code != 200
    assert lean.content == drf.content
    assert set(lean.json()) == {"detail", "code", "params"}
    assert lean.get("WWW-Authenticate") == drf.get("WWW-Authenticate")


def test_other_methods_still_go_through_drf(make_member, api):
    _, _, token = make_member()
    response = api(token).post(f"/api/v1/jobs/{uuid.uuid4()}/progress/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_schema_still_documents_the_poll_endpoints(api):
    schema = api().get("/api/schema/").content
    for path in (b"/api/v1/jobs/{job_id}/progress/", b"/media/videos/{video_id}/progress/", b"/api/v1/tasks/active/"):
        assert path in schema


def test_a_verified_token_is_not_verified_again_until_it_expires(make_member, monkeypatch):
    from academy.tenants import tokens

    _, _, token = make_member()
    calls = []
    verify = tokens._verify
    monkeypatch.setattr(tokens, "_verify", lambda t: calls.append(t) or verify(t))
    tokens._verified.clear()

    first, again = tokens.token_verify_cached(token), tokens.token_verify_cached(token)

    assert first == again and calls == [token]
    tokens._verified[token] = (first, 0.0)  # as if its exp had passed
    tokens.token_verify_cached(token)
    assert calls == [token, token], "an expired entry is verified again (and would fail there)"


# --- the WSGI entry point: PollApp answers the polls before Django's handler -------------------

class Django:
    """Django's own WSGI handler, counting the requests that reach it."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler, self.calls = WSGIHandler(), 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


def wsgi_call(app, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    """Return the status line, the header list and the body a WSGI app answers."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, list(headers)

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return seen["status"], seen["headers"], body


@pytest.fixture
def entry(db, rf):
    """entry(path, method=..., environ=..., **headers) -> (PollApp's answer, Django's, requests Django saw from PollApp).

    PollApp and a Django handler are built now, from the settings of the test.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from academy.polls import PollApp

    # As Django's test client does: the request signals must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def call(path: str, *, method: str = "GET", environ: dict | None = None, **headers):
        def make() -> dict:
            # RequestFactory sends no Host header (PollApp leaves such a request to Django): a browser does.
            made = {**rf.generic(method, path, headers=headers).environ, "HTTP_HOST": "testserver", **(environ or {})}
            return {k: v for k, v in made.items() if v is not None}

        django = Django()
        polls = PollApp(django)
        ours = wsgi_call(polls, make())
        return ours, wsgi_call(Django(), make()), django.calls

    yield call
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def running_video(tenant, user):
    from academy.videos import services as video_services
    from academy.videos.models import Video
    from academy.videos.selectors import video_ref, video_state

    video = Video.objects.create(tenant=tenant, title="Lecture 1", created_by_id=user.pk)
    publish(video_ref(video), video_state(video))
    video_services.video_mark_processing(video_id=video.pk, attempt=1)
    return video


POLL_CASES = ["finished job", "running video", "HEAD", "no header", "malformed header", "bad token", "revoked token",
              "missing task", "password change first", "a student polls the owner's task", "another tenant's task"]


@pytest.mark.parametrize("case", POLL_CASES)
def test_poll_app_answers_byte_for_byte_as_django_with_no_sql(case, make_member, entry, redis_client,
                                                               django_assert_num_queries):
    from academy.access.revocation import now_ms, stamp_key

    tenant, user, token = make_member()
    job = finished_job(tenant)
    path, method, auth = f"/api/v1/jobs/{job.job_id}/progress/", "GET", f"Bearer {token}"
    if case == "running video":
        path = f"/media/videos/{running_video(tenant, user).pk}/progress/"
    elif case == "HEAD":
        method = "HEAD"
    elif case == "no header":
        auth = None
    elif case == "malformed header":
        auth = f"Token {token}"
    elif case == "bad token":
        auth = f"Bearer {token[:-4]}AAAA"
    elif case == "revoked token":
        redis_client.set(stamp_key(user.pk), now_ms() + 1000)
    elif case == "missing task":
        path = f"/api/v1/jobs/{uuid.uuid4()}/progress/"
    elif case == "password change first":
        pending, _ = token_issue(user_id=user.pk, tenant_id=tenant.pk, role=Role.OWNER, password_change_required=True)
        auth = f"Bearer {pending}"
    elif case == "a student polls the owner's task":
        _, _, student = make_member(tenant=tenant, role=Role.STUDENT)
        auth = f"Bearer {student}"
    elif case == "another tenant's task":
        _, _, stranger = make_member()
        auth = f"Bearer {stranger}"
    headers = {"Authorization": auth} if auth else {}
    entry(path, method=method, **headers)  # loads the read script once

    with django_assert_num_queries(0):
        (status, header_list, body), django, reached_django = entry(path, method=method, **headers)

    assert reached_django == 0, "answered before Django's handler"
    assert (status, header_list, body) == django
    expected = {"finished job": "200", "running video": "200", "HEAD": "200", "missing task": "404",
                "a student polls the owner's task": "404", "another tenant's task": "404",
                "password change first": "403"}.get(case, "401")
    assert status.split()[0] == expected
    # What Django's middleware sets on these paths, pinned on its own too.
    assert dict(header_list) | {"Content-Length": str(len(body))} == dict(header_list)
    assert {k: v for k, v in header_list if k != "Content-Length" and k != "WWW-Authenticate"} == {
        "Content-Type": "application/json", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"}
    if case in ("missing task", "a student polls the owner's task", "another tenant's task"):
        assert body == b'{"detail":"Not found.","code":"not_found","params":{}}'


def test_poll_app_adds_hsts_over_https_as_django_does(make_member, entry, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    tenant, _, token = make_member()
    path = f"/api/v1/jobs/{finished_job(tenant).job_id}/progress/"

    for proto, hsts in (("https", "max-age=3600; includeSubDomains"), ("http", None)):
        ours, django, reached_django = entry(path, Authorization=f"Bearer {token}", X_Forwarded_Proto=proto)
        assert reached_django == 0 and ours == django
        assert dict(ours[1]).get("Strict-Transport-Security") == hsts


@pytest.mark.parametrize("case", ["POST", "host not allowed", "no host header", "script name", "https redirect",
                                  "upper-case id", "longer path", "unknown middleware"])
def test_what_poll_app_cannot_answer_as_django_would_goes_to_django(case, make_member, entry, settings):
    tenant, _, token = make_member()
    job = finished_job(tenant)
    path, method, environ = f"/api/v1/jobs/{job.job_id}/progress/", "GET", {}
    if case == "POST":
        method = "POST"
    elif case == "host not allowed":
        environ = {"HTTP_HOST": "evil.example"}
    elif case == "no host header":
        environ = {"HTTP_HOST": None}
    elif case == "script name":
        environ = {"SCRIPT_NAME": "/app"}
    elif case == "https redirect":
        settings.SECURE_SSL_REDIRECT = True
    elif case == "upper-case id":
        path = path.upper().replace("/API/V1/JOBS/", "/api/v1/jobs/").replace("/PROGRESS/", "/progress/")
    elif case == "longer path":
        path += "x/"
    elif case == "unknown middleware":
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    ours, django, reached_django = entry(path, method=method, environ=environ, Authorization=f"Bearer {token}")

    assert reached_django == 1
    assert ours == django


def test_poll_app_counts_the_request_and_its_sql_as_the_metrics_middleware(make_member, entry, redis_client):
    from academy.tests.test_metrics import PollRecord

    tenant, _, token = make_member()
    path = f"/api/v1/jobs/{finished_job(tenant).job_id}/progress/"
    record = PollRecord("job", "job-progress")
    entry(path, Authorization=f"Bearer {token}")  # PollApp's poll, then Django's: two of each
    assert record.delta() == {"hit": 2, "miss": 0, "requests": 2, "sql_count": 2, "sql_sum": 0, "sql_zero": 2}

    redis_client.flushdb()  # lost: PollApp's poll reads the DB (and re-warms), Django's is a hit
    record = PollRecord("job", "job-progress")
    (status, _, _), _, reached_django = entry(path, Authorization=f"Bearer {token}")
    delta = record.delta()
    assert status == "200 OK" and reached_django == 0
    assert delta["miss"] == 1 and delta["requests"] == 2 and delta["sql_count"] == 2 and delta["sql_sum"] >= 1


def test_poll_app_answers_a_crash_as_django_does(make_member, entry, monkeypatch, caplog):
    from academy import polls

    tenant, _, token = make_member()
    path = f"/api/v1/jobs/{finished_job(tenant).job_id}/progress/"

    def crash(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(polls, "progress_poll", crash)
    ours, django, reached_django = entry(path, Authorization=f"Bearer {token}")

    assert reached_django == 0 and ours == django
    assert ours[0] == "500 Internal Server Error"
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        f"Internal Server Error: {path}"] * 2


def test_poll_app_logs_a_4xx_answer_as_django_does(make_member, entry, caplog):
    _, _, token = make_member()
    path = f"/api/v1/jobs/{uuid.uuid4()}/progress/"

    entry(path, Authorization=f"Bearer {token}")
    entry(path)

    assert [(r.levelname, r.getMessage(), r.status_code) for r in caplog.records if r.name == "django.request"] == [
        ("WARNING", f"Not Found: {path}", 404)] * 2 + [("WARNING", f"Unauthorized: {path}", 401)] * 2


def test_the_asgi_entry_point_answers_the_polls_as_the_wsgi_one(make_member, entry):
    from asgiref.sync import async_to_sync
    from asgiref.testing import ApplicationCommunicator

    from academy.asgi import application

    tenant, _, token = make_member()
    path = f"/api/v1/jobs/{finished_job(tenant).job_id}/progress/"
    (status, headers, body), _, _ = entry(path, Authorization=f"Bearer {token}")

    async def asgi_get():
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())],
                 "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(5)
        chunks = []
        while True:
            message = await communicator.receive_output(5)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        return start, b"".join(chunks)

    start, asgi_body = async_to_sync(asgi_get)()
    assert start["status"] == int(status.split()[0]) == 200
    assert asgi_body == body
    assert sorted((k.decode().lower(), v.decode()) for k, v in start["headers"]) == sorted(
        (k.lower(), v) for k, v in headers)


def test_the_wsgi_entry_point_answers_the_two_progress_polls_itself():
    """With the project's settings PollApp is on (no unknown middleware turned it off)."""
    from academy.wsgi import application

    assert sorted(route.name for route in application.routes) == ["job-progress", "video-progress"]
    assert application.metered
