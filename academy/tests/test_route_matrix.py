"""The role matrix on every route: each URL pattern x each role x own and other tenant.

ROUTES has one row per (route name, method). A route added to the URLconf without a row
fails test_every_route_has_a_row, so whoever adds one decides who may call it. The matrix
itself is documented in the README ("Security model").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from django.utils import timezone

from academy.jobs.models import Job, JobStatus
from academy.students.models import Student
from academy.tenants.models import Role
from academy.videos.models import Video, VideoStatus

pytestmark = pytest.mark.django_db

ANON = "anonymous"
ROLES = [ANON, Role.OWNER, Role.TEACHER, Role.STUDENT, Role.PARENT]
STAFF = (Role.OWNER, Role.TEACHER)
MISSING_JOB = "00000000-0000-4000-8000-000000000000"
MISSING_VIDEO = 999_999_999


@dataclass(frozen=True)
class Row:
    """How to call one route, and what each role gets in its own tenant and in another's.

    url(objects) -> path, given the objects of the tenant being tried. `own` and `other` map
    role -> status; `other` defaults to `own` (routes about no object of a tenant).
    """

    method: str
    url: Callable[[dict], str]
    own: dict
    other: dict | None = None
    body: dict = field(default_factory=dict)
    missing: Callable[[], str] | None = None  # the same route for an id that does not exist


def everyone(status: int) -> dict:
    return {role: status for role in ROLES}


def members(status: int, *, anon: int = 401) -> dict:
    return {ANON: anon, **{role: status for role in ROLES[1:]}}


def staff_only(status: int, *, others: int = 403) -> dict:
    """Staff get `status`; students and parents `others` (403: not an object, nothing leaks)."""
    return {ANON: 401, Role.OWNER: status, Role.TEACHER: status, Role.STUDENT: others, Role.PARENT: others}


def job_url(suffix: str = "") -> Callable[[dict], str]:
    return lambda objects: f"/api/v1/jobs/{objects['job'].job_id}/{suffix}"


def video_url(suffix: str = "") -> Callable[[dict], str]:
    return lambda objects: f"/media/videos/{objects['video'].pk}/{suffix}"


ROUTES: dict[tuple[str, str], Row] = {
    ("healthz", "GET"): Row("GET", lambda o: "/healthz", everyone(200)),
    # A user's token is no scrape token: /metrics takes METRICS_BEARER_TOKEN or an allowed address.
    ("metrics", "GET"): Row("GET", lambda o: "/metrics", everyone(401)),
    ("schema", "GET"): Row("GET", lambda o: "/api/schema/", everyone(200)),
    ("auth-token", "POST"): Row("POST", lambda o: "/api/v1/auth/token/", everyone(401),
                                body={"username": "nobody", "password": "wrong", "tenant_id": 1}),
    ("auth-activate", "POST"): Row("POST", lambda o: "/api/v1/auth/activate/", everyone(401),
                                   body={"username": "nobody", "tenant_id": 1, "activation_code": "X",
                                         "new_password": "plum-kite-harbor-7"}),
    ("auth-password", "POST"): Row("POST", lambda o: "/api/v1/auth/password/", members(400),
                                   body={"old_password": "wrong", "new_password": "plum-kite-harbor-7"}),
    # Everyone's list, holding only what each may read (tests/test_roles.py checks the content).
    ("tasks-active", "GET"): Row("GET", lambda o: "/api/v1/tasks/active/", members(200)),
    # Every member may watch; the stream itself filters events by the same role rule.
    ("progress-stream-ticket", "POST"): Row("POST", lambda o: "/api/v1/progress/stream-ticket/", members(201)),
    ("job-list", "GET"): Row("GET", lambda o: "/api/v1/jobs/", staff_only(200)),
    # A teacher's AI job: staff read it; a student or parent gets what a missing job gets.
    ("job-progress", "GET"): Row("GET", job_url("progress/"), staff_only(200, others=404), members(404),
                                 missing=lambda: f"/api/v1/jobs/{MISSING_JOB}/progress/"),
    ("job-detail", "GET"): Row("GET", job_url(), staff_only(200, others=404), members(404),
                               missing=lambda: f"/api/v1/jobs/{MISSING_JOB}/"),
    # DONE: nothing to retry (400) or cancel (409); another tenant's job is missing (404).
    ("job-retry", "POST"): Row("POST", job_url("retry/"), staff_only(400), staff_only(404)),
    ("job-cancel", "POST"): Row("POST", job_url("cancel/"), staff_only(409), staff_only(404)),
    ("ai-job-create", "POST"): Row("POST", lambda o: "/api/v1/ai/jobs/", staff_only(400)),
    ("message-create", "POST"): Row("POST", lambda o: "/api/v1/messages/", staff_only(400)),
    ("student-import", "POST"): Row("POST", lambda o: "/api/v1/students/import/", staff_only(400)),
    ("student-import-template", "GET"): Row("GET", lambda o: "/api/v1/students/import/template/", staff_only(200)),
    # The roster and families' contact data: staff only.
    ("student-list", "GET"): Row("GET", lambda o: "/api/v1/students/", staff_only(200)),
    ("student-detail", "GET"): Row("GET", lambda o: f"/api/v1/students/{o['student'].pk}/", staff_only(200),
                                   staff_only(404)),
    ("student-detail", "DELETE"): Row("DELETE", lambda o: f"/api/v1/students/{o['new_student']().pk}/",
                                      staff_only(204), staff_only(404)),
    ("student-restore", "POST"): Row("POST", lambda o: f"/api/v1/students/{o['new_student'](deleted=True).pk}/restore/",
                                     staff_only(200), staff_only(404)),
    ("parent-list", "GET"): Row("GET", lambda o: "/api/v1/parents/", staff_only(200)),
    ("video-upload", "GET"): Row("GET", lambda o: "/media/videos/", staff_only(200)),
    ("video-upload", "POST"): Row("POST", lambda o: "/media/videos/", staff_only(400)),
    # A teacher's video: like a teacher's job (the library is staff work for now).
    ("video-progress", "GET"): Row("GET", video_url("progress/"), staff_only(200, others=404), members(404),
                                   missing=lambda: f"/media/videos/{MISSING_VIDEO}/progress/"),
    ("video-detail", "GET"): Row("GET", video_url(), staff_only(200, others=404), members(404),
                                 missing=lambda: f"/media/videos/{MISSING_VIDEO}/"),
    ("video-detail", "DELETE"): Row("DELETE", lambda o: f"/media/videos/{o['new_video']().pk}/",
                                    staff_only(204), staff_only(404)),
    ("video-retry", "POST"): Row("POST", video_url("retry/"), staff_only(400), staff_only(404)),
    ("video-cancel", "POST"): Row("POST", video_url("cancel/"), staff_only(409), staff_only(404)),
    # The signed token is the permission; a bad one is 404 for everyone.
    ("video-hls", "GET"): Row("GET", lambda o: "/media/hls/not-a-token/master.m3u8", everyone(404)),
    ("web", "GET"): Row("GET", lambda o: "/", everyone(200)),
}


def routes(resolver=None) -> set[tuple[str, str]]:
    """Return (name, method) of every URL pattern and every method its view answers.

    A class-based view answers the methods it defines (get, post, put, patch, delete); a
    function view is read-only here (GET). Included URLconfs are walked too.
    """
    found = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found |= routes(entry)
            continue
        cls = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
        methods = ({m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}
                   if cls else {"GET"})
        found |= {(entry.name or str(entry.pattern), method) for method in methods}
    return found


def test_every_route_has_a_row():
    """A new route, or a new method of one, fails here until its row says who may call it."""
    assert routes() == set(ROUTES)


@pytest.fixture
def world(make_member):
    """Two tenants: A with a member of each role, B with its owner; a teacher's job and video in each."""
    tenant_a, owner_a, owner_token = make_member()
    tokens = {ANON: None, Role.OWNER: owner_token}
    users = {Role.OWNER: owner_a}
    for role in (Role.TEACHER, Role.STUDENT, Role.PARENT):
        _, users[role], tokens[role] = make_member(tenant=tenant_a, role=role)
    tenant_b, owner_b, _ = make_member()

    def objects(tenant, teacher):
        job = Job.objects.create(tenant=tenant, job_type="short_answer_grading", payload={}, created_by_id=teacher.pk,
                                 status=JobStatus.DONE, result={"students": {"김민준": {"total": 7}}})
        video = Video.objects.create(tenant=tenant, title="Lecture 1", created_by_id=teacher.pk,
                                     status=VideoStatus.READY, hls_path="hls/1/master.m3u8", duration=10)
        numbers = iter(range(1, 1000))

        def new_student(*, deleted: bool = False) -> Student:
            n = next(numbers)
            return Student.objects.create(tenant=tenant, ps_number=f"S{n:06d}", name=f"학생{n}",
                                          parent_phone=f"0101111{n:04d}",
                                          deleted_at=timezone.now() if deleted else None)

        def new_video() -> Video:
            return Video.objects.create(tenant=tenant, title="Old lecture", created_by_id=teacher.pk,
                                        status=VideoStatus.FAILED)

        return {"job": job, "video": video, "student": new_student(), "new_student": new_student,
                "new_video": new_video}

    return {"tokens": tokens, "users": users, "own": objects(tenant_a, users[Role.TEACHER]),
            "other": objects(tenant_b, owner_b)}


@pytest.mark.parametrize("name, method", list(ROUTES), ids=[f"{m} {n}" for n, m in ROUTES])
def test_the_route_answers_each_role_as_the_matrix_says(name, method, world, api, media):
    row = ROUTES[(name, method)]
    seen = {}
    for scope in ("own", "other"):
        for role in ROLES:
            url = row.url(world[scope])
            response = api(world["tokens"][role]).generic(method, url, data=_body(row), content_type="application/json")
            seen[(scope, role)] = response.status_code
            if response.status_code == 404 and row.missing and role != ANON:
                # Not allowed to see it looks exactly like not there.
                missing = api(world["tokens"][role]).generic(method, row.missing())
                assert (missing.status_code, missing.content) == (404, response.content), (scope, role)
    wanted = {(scope, role): (row.own if scope == "own" else (row.other or row.own))[role]
              for scope in ("own", "other") for role in ROLES}
    assert seen == wanted


def _body(row: Row) -> str:
    import json

    return json.dumps(row.body) if row.body else ""
