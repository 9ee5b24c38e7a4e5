"""The poll path: a task's progress, answered with as little machinery as it needs.

Every open page polls the two progress endpoints every second or two. Measured per poll
(issue 17, bench/poll/README.md), DRF's request wrapper, content negotiation and response
finalising, and then Django's own handler (request signals, URL resolution, four middleware
layers, the request and response objects) cost more than the one Redis call that is the
poll's real work. So:

- `progress_poll` is the one place a poll is answered: token revocation, the role rule, the
  body, read in one Redis round trip.
- `PollApp` (academy/wsgi.py) answers GET and HEAD of the two progress paths before Django's
  handler, with what Django's middleware would add (the security headers, computed from the
  configured middleware itself), the request metrics, and the same error bodies. Anything it
  cannot answer exactly as Django would (another method, a path the URLconf routes elsewhere,
  a host outside ALLOWED_HOSTS, an HTTPS redirect, middleware it does not know) goes to Django.
- `lean` serves the same endpoints (and the active list) inside Django, for the ASGI entry
  point and every caller that reaches Django: the token and the endpoint's permission classes
  checked as DRF does, the endpoint's own `get`, orjson. Every other method, and the OpenAPI
  schema, still go through the DRF view.
"""
from __future__ import annotations

import io
import logging
import time
from typing import Callable

import orjson
from django.conf import settings
from django.core.signals import request_finished
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.urls import URLPattern, get_resolver
from rest_framework import exceptions
from rest_framework.views import APIView

from academy import counters
from academy.access.roles import state_readable
from academy.errors import ApplicationError, api_error_response, server_error_response
from academy.progress import api as progress
from academy.tenants.authentication import (
    KEYWORD,
    identity_from_header,
    revocation_check,
    revocation_check_unless_in_view,
    revocation_key,
)
from academy.tenants.tokens import Identity

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("django.request")


def progress_poll(*, identity, kind: str, task_id: str) -> dict:
    """Return the progress body of a task the caller may read: one Redis round trip, no SQL.

    Raise AuthenticationFailed for a revoked token (its stamp comes in the same round trip)
    and NotFound for a task the caller's role may not read, exactly as for a missing one.
    """
    state, stamp = progress.progress_get_also(progress.TaskRef(identity.tenant_id, kind, task_id),
                                              revocation_key(identity))
    revocation_check(identity, stamp)
    # Not the caller's to read: the same 404 as no such task (the owner is in the state).
    if state is None or not state_readable(identity, state.fields):
        raise exceptions.NotFound
    return progress.kind_get(kind).render(task_id, state)


# --- inside Django ------------------------------------------------------------------------------

def lean(drf_view: type[APIView]) -> Callable[..., HttpResponse]:
    """Return a view answering GET and HEAD through `drf_view.get` alone, anything else through DRF.

    The token is checked as BearerTokenAuthentication does and the endpoint's permission
    classes as DRF does (no throttles: these endpoints have none); its `get` reads only
    `request.user` and its URL arguments. The result keeps the DRF view's `cls` and
    `initkwargs`, so drf-spectacular documents it from the class as before.
    """
    drf = drf_view.as_view()

    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return drf(request, *args, **kwargs)
        endpoint = drf_view()
        identity, denied = _authorize(request.META, endpoint)
        if denied is not None:
            return denied
        request.user = identity
        try:
            response = endpoint.get(request, *args, **kwargs)
        except exceptions.APIException as exc:
            return _error(exc)
        except ApplicationError as exc:
            return _json(exc.body(), status=exc.status)
        return _json(response.data, status=response.status_code)

    view.cls, view.initkwargs, view.csrf_exempt = drf.cls, drf.initkwargs, True
    view.lean_of = drf_view  # PollApp answers the GETs of a lean view whose endpoint has a poll_kind
    view.__name__ = view.__qualname__ = drf.__name__
    view.__doc__ = drf_view.__doc__
    return view


class _Caller:
    """What a permission class reads of a request on the poll path: the token's identity."""

    __slots__ = ("user", "method", "META")

    def __init__(self, user, method: str, meta: dict):
        self.user, self.method, self.META = user, method, meta


def _authorize(meta: dict, endpoint: APIView) -> tuple[Identity | None, HttpResponse | None]:
    """Check the token and the endpoint's permission classes as DRF would.

    Return the caller's identity and None when it may go on, else None and the error
    response DRF would have given.
    """
    try:
        identity = identity_from_header(meta.get("HTTP_AUTHORIZATION", ""))
        if identity is not None:
            revocation_check_unless_in_view(identity, endpoint)
    except exceptions.AuthenticationFailed as exc:
        return None, _error(exc)
    if identity is None:
        return None, _error(exceptions.NotAuthenticated())
    caller = _Caller(identity, meta.get("REQUEST_METHOD", ""), meta)
    for permission in endpoint.get_permissions():
        if not permission.has_permission(caller, endpoint):
            return None, _error(exceptions.PermissionDenied(getattr(permission, "message", None),
                                                            getattr(permission, "code", None)))
    return identity, None


def _json(data, *, status: int) -> HttpResponse:
    # orjson writes what DRF's JSONRenderer would (compact, UTF-8), in one C call.
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


def _error(exc: exceptions.APIException) -> HttpResponse:
    # The request only matters for 405/415/429 params, which the poll path never raises.
    return api_error_response(exc, None, authenticate_header=KEYWORD)


# --- before Django: the WSGI poll app ----------------------------------------------------------

# The middleware PollApp knows how to stand in for; with any other in settings.MIDDLEWARE
# every request goes to Django.
METRICS_MIDDLEWARE = "academy.metrics.MetricsMiddleware"
KNOWN_MIDDLEWARE = {
    METRICS_MIDDLEWARE,
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
}
CONTENT_LENGTH = "Content-Length"
JSON_HEADERS = (("Content-Type", "application/json"),)  # what _json's HttpResponse starts with
_REASONS = {200: "200 OK", 401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 Not Found",
            500: "500 Internal Server Error"}


class _Route:
    """One poll URL of the URLconf: its pattern, its metrics label, its endpoint class."""

    __slots__ = ("pattern", "prefix", "name", "cls", "endpoint", "kind", "arg")

    def __init__(self, url: URLPattern, prefix: str):
        self.pattern = url.pattern
        self.prefix = prefix
        self.name = url.name
        self.cls = url.callback.cls
        self.endpoint = self.cls()  # permission classes take it as `view`; it keeps no request state
        self.kind = self.cls.poll_kind
        (self.arg,) = self.pattern.converters  # the task id's URL argument

    def match(self, path: str) -> str | None:
        """Return the task id when the path is this route's, else None (as the URL resolver)."""
        if not path.startswith(self.prefix):
            return None
        found = self.pattern.match(path[1:])
        if found is None or found[0]:
            return None
        return str(found[2][self.arg])


def _poll_routes() -> list[_Route]:
    """Return the URLconf's progress polls: top-level routes whose view is `lean` of a `poll_kind` endpoint."""
    routes = []
    for url in get_resolver().url_patterns:
        cls = getattr(getattr(url, "callback", None), "lean_of", None)
        if isinstance(url, URLPattern) and getattr(cls, "poll_kind", None) and len(url.pattern.converters) == 1:
            route = str(url.pattern)
            routes.append(_Route(url, "/" + route[:route.index("<")]))
    return routes


def _middleware_headers(*, secure: bool) -> list[tuple[str, str | None]]:
    """Return the headers Django's middleware adds to a poll's response, in Django's order.

    Computed by running the configured middleware's own process_response on a JSON response
    (innermost first, as Django does), so settings such as X_FRAME_OPTIONS, SECURE_HSTS_* or
    SECURE_REFERRER_POLICY apply here exactly as there. Content-Length's value is None: it is
    the body's.
    """
    from django.core.handlers.wsgi import WSGIRequest
    from django.utils.module_loading import import_string

    request = WSGIRequest({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": io.BytesIO(),
                           "wsgi.url_scheme": "https" if secure else "http", "SERVER_NAME": "localhost",
                           "SERVER_PORT": "443" if secure else "80"})
    response = HttpResponse(b"", content_type="application/json")
    before = set(response.headers)
    for path in reversed(settings.MIDDLEWARE):
        if path == METRICS_MIDDLEWARE:
            continue
        middleware = import_string(path)(lambda request: response)
        response = middleware.process_response(request, response)
    return [(name, None if name == CONTENT_LENGTH else value)
            for name, value in response.items() if name not in before]


class PollApp:
    """WSGI: GET and HEAD of the progress polls before Django's handler, all else to `django`.

    What Django's handler does for such a request, and what this does instead:
    - URL resolution: the same URLPattern objects match the path (routes taken from the URLconf).
    - CommonMiddleware's host check: ALLOWED_HOSTS with Django's own validate_host; a host it
      would refuse, and a request without a Host header, go to Django (its 400).
    - SecurityMiddleware's HTTPS redirect: a plain-HTTP request goes to Django when it is on.
    - The headers the middleware adds: `_middleware_headers`, from the middleware itself.
    - MetricsMiddleware: the same histograms, the same labels, the SQL statements counted.
    - request_started/request_finished: their work on the poll path is the database
      connection's upkeep (close_old_connections); request_finished is sent after a poll that
      used the database (a Redis miss or outage); a poll that did not has nothing to tidy.
    - Logging: a 4xx answer is logged as Django logs it, a crash with its traceback, and
      answered with handler500's body.
    """

    def __init__(self, django_app):
        self.django = django_app
        unknown = [m for m in settings.MIDDLEWARE if m not in KNOWN_MIDDLEWARE]
        usable = not (unknown or settings.DISALLOWED_USER_AGENTS or settings.PREPEND_WWW
                      or settings.FORCE_SCRIPT_NAME)
        self.routes = _poll_routes() if usable else []
        self.headers = {secure: _middleware_headers(secure=secure) for secure in (False, True)} if usable else {}
        self.metered = METRICS_MIDDLEWARE in settings.MIDDLEWARE
        self.ssl_redirect = settings.SECURE_SSL_REDIRECT
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        self.forwarded_host = settings.USE_X_FORWARDED_HOST
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]  # as HttpRequest.get_host
        self.allowed_hosts = allowed
        self._host_ok: dict[str, bool] = {}
        self._observers: dict[tuple, tuple] = {}

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if (method == "GET" or method == "HEAD") and not environ.get("SCRIPT_NAME"):
            path = environ.get("PATH_INFO", "")
            for route in self.routes:
                task_id = route.match(path)
                if task_id is not None:
                    secure = self._secure(environ)
                    if self._host_allowed(environ) and (secure or not self.ssl_redirect):
                        return self._poll(environ, start_response, route, task_id, secure)
                    break
        return self.django(environ, start_response)

    def _secure(self, environ) -> bool:
        # HttpRequest.scheme: the trusted proxy's header when set and present, else the server's.
        if self.proxy_ssl_header:
            header, secure_value = self.proxy_ssl_header
            value = environ.get(header)
            if value is not None:
                return value.split(",", 1)[0].strip() == secure_value
        return environ.get("wsgi.url_scheme") == "https"

    def _host_allowed(self, environ) -> bool:
        # HttpRequest.get_host's header choice; without a Host header Django builds one: its turn.
        if self.forwarded_host and "HTTP_X_FORWARDED_HOST" in environ:
            host = environ["HTTP_X_FORWARDED_HOST"]
        else:
            host = environ.get("HTTP_HOST")
            if host is None:
                return False
        ok = self._host_ok.get(host)
        if ok is None:
            domain, _ = split_domain_port(host)
            ok = bool(domain and validate_host(domain, self.allowed_hosts))
            if len(self._host_ok) < 1000:  # invented Host headers must not grow it without bound
                self._host_ok[host] = ok
        return ok

    def _poll(self, environ, start_response, route: _Route, task_id: str, secure: bool):
        started = time.perf_counter()
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            try:
                status, body, extra = self._answer(environ, route, task_id)
            except Exception:  # noqa: BLE001 - what Django's handler does with a crash
                request_logger.error("Internal Server Error: %s", environ.get("PATH_INFO"), exc_info=True,
                                     extra={"status_code": 500})
                status, body, extra = _parts(server_error_response())
        if statements[0]:
            # The database connection's upkeep (close_old_connections) that Django's handler
            # does on every request: needed only after a poll that used the connection.
            request_finished.send(sender=self.__class__)
        if status >= 400 and status != 500:
            # Django's handler logs every 4xx answer so; a crash was logged above.
            request_logger.warning("%s: %s", _reason(status)[4:], environ.get("PATH_INFO"),
                                   extra={"status_code": status})
        headers = list(extra)
        for name, value in self.headers[secure]:
            headers.append((name, str(len(body)) if value is None else value))
        if self.metered:
            self._observe(route.name, environ.get("REQUEST_METHOD"), status, time.perf_counter() - started,
                          statements[0])
        start_response(_reason(status), headers)
        return [body]

    def _answer(self, environ, route: _Route, task_id: str) -> tuple[int, bytes, list]:
        identity, denied = _authorize(environ, route.endpoint)
        if denied is not None:
            return _parts(denied)
        try:
            data = progress_poll(identity=identity, kind=route.kind, task_id=task_id)
        except exceptions.APIException as exc:
            return _parts(_error(exc))
        except ApplicationError as exc:
            return _parts(_json(exc.body(), status=exc.status))
        return 200, orjson.dumps(data), JSON_HEADERS

    def _observe(self, endpoint: str, method: str, status: int, seconds: float, statements: int) -> None:
        # The metrics middleware's two observations, with the labelled children looked up once.
        key = (endpoint, method, status)
        children = self._observers.get(key)
        if children is None:
            from academy.metrics import method_label

            children = self._observers[key] = (
                counters.HTTP_REQUESTS.labels(endpoint, method_label(method), str(status)),
                counters.HTTP_SQL.labels(endpoint))
        children[0].observe(seconds)
        children[1].observe(statements)


def _reason(status: int) -> str:
    """Return the WSGI status line of a status code, as Django's handler writes it."""
    return _REASONS.get(status) or f"{status} {HttpResponse(status=status).reason_phrase}"


def _parts(response: HttpResponse) -> tuple[int, bytes, list]:
    """Return the status, body and headers of a response built for the poll path."""
    return response.status_code, response.content, list(response.items())
