"""The poll path as plain Django views: token -> one Redis call -> JSON encoded once.

Every open page polls the two progress endpoints and the active list every second or two.
Under DRF a poll spent 115-170 us of about 540 in the request wrapper, content negotiation,
permission classes and response finalising (issue 17's profile); a GET here does the same
checks with none of that, and answers errors with the bodies DRF's handler gives. Every
other method, and the OpenAPI schema, still go through the endpoint's DRF view (`lean`).
"""
from __future__ import annotations

from typing import Callable

import orjson
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.views import APIView

from academy.errors import api_error_response
from academy.progress import api as progress
from academy.tenants.authentication import KEYWORD, identity_from_header
from academy.tenants.permissions import IsTenantMember
from academy.tenants.tokens import Identity


def lean(drf_view: type[APIView], get: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Return a view answering GET and HEAD with `get`, anything else with the DRF view.

    The result keeps the DRF view's `cls` and `initkwargs`, so drf-spectacular documents it
    from the class as before.
    """
    drf = drf_view.as_view()

    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return get(request, *args, **kwargs)
        return drf(request, *args, **kwargs)

    view.cls, view.initkwargs, view.csrf_exempt = drf.cls, drf.initkwargs, True
    view.__name__ = view.__qualname__ = get.__name__
    view.__doc__ = get.__doc__
    return view


def job_progress(request: HttpRequest, job_id) -> HttpResponse:
    """GET /api/v1/jobs/{job_id}/progress/."""
    return _task_progress(request, progress.KIND_JOB, str(job_id))


def video_progress(request: HttpRequest, video_id) -> HttpResponse:
    """GET /media/videos/{video_id}/progress/."""
    return _task_progress(request, progress.KIND_VIDEO, str(video_id))


def tasks_active(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/tasks/active/: the tenant's running tasks (two Redis round trips)."""
    caller = _caller(request)
    if isinstance(caller, HttpResponse):
        return caller
    return _json({"results": [
        {"kind": ref.kind, "id": ref.task_id, "started_at": started_at,
         "progress": progress.kind_get(ref.kind).render(ref.task_id, state)}
        for ref, started_at, state in progress.active_tasks(caller.tenant_id)
    ]})


def _task_progress(request: HttpRequest, kind: str, task_id: str) -> HttpResponse:
    caller = _caller(request)
    if isinstance(caller, HttpResponse):
        return caller
    # task_id is canonical (the path converter): one spelling, one Redis key.
    state = progress.progress_get(progress.TaskRef(caller.tenant_id, kind, task_id))
    if state is None:
        return _error(exceptions.NotFound(), request)
    return _json(progress.kind_get(kind).render(task_id, state))


class _Request:
    """What a DRF permission class reads of a request: the user."""

    def __init__(self, user: Identity):
        self.user = user


def _caller(request: HttpRequest) -> Identity | HttpResponse:
    """Return the caller's identity, or the error response DRF would have given."""
    try:
        identity = identity_from_header(request.META.get("HTTP_AUTHORIZATION", ""))
    except exceptions.AuthenticationFailed as exc:
        return _error(exc, request)
    if identity is None:
        return _error(exceptions.NotAuthenticated(), request)
    permission = IsTenantMember()
    if not permission.has_permission(_Request(identity), None):
        return _error(exceptions.PermissionDenied(permission.message), request)
    return identity


def _error(exc: exceptions.APIException, request: HttpRequest) -> HttpResponse:
    return api_error_response(exc, request, authenticate_header=KEYWORD)


def _json(body: dict) -> HttpResponse:
    # orjson writes what DRF's JSONRenderer would (compact, UTF-8), in one C call.
    return HttpResponse(orjson.dumps(body), content_type="application/json")
