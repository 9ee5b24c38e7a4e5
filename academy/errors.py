"""One error type for what users are told, and the one place errors become JSON.

Every error on an `/api/` or `/media/` path answers `{"detail", "code", "params"}`:
`code` is a stable snake_case name that clients localise (never the English `detail`),
`params` fills the localised text. DRF's exceptions go through `exception_handler`;
what Django answers outside DRF (unknown paths, a body over its limit, a crash) goes
through the `handler*` views set in the URLconf.
"""
from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

logger = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/media/")


class ApplicationError(Exception):
    """An error the caller can act on: a stable `code`, the English `message`, `params`.

    Subclasses name the family (`PayloadInvalid`, `MessageInvalid`...) and may change the
    default `status`; the code says which error of the family it is. An error about one
    input names it in `field`: the answer then also carries `{field: [message]}`, the shape
    DRF gives field errors (and that clients read before codes existed).
    """

    status: int = 400

    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None, status: int | None = None,
                 *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params or {}
        self.field = field
        if status is not None:
            self.status = status

    def body(self) -> dict[str, Any]:
        """Return the JSON body of the answer."""
        body = error_body(code=self.code, message=self.message, params=self.params)
        if self.field:
            body["params"] = {"field": self.field, **body["params"]}
            body[self.field] = [self.message]
        return body


def error_body(*, code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the one error shape: detail (English), code (localised by clients), params."""
    return {"detail": message, "code": code, "params": params or {}}


def _json_response(body: dict[str, Any], *, status: int) -> JsonResponse:
    # Byte for byte what DRF's JSONRenderer writes: a 404 from the URLconf and one from a
    # view must not tell a missing task from a badly spelled one.
    return JsonResponse(body, status=status, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False})


def error_response(*, code: str, message: str, params: dict[str, Any] | None = None, status: int) -> JsonResponse:
    """Return an error as a plain Django response, for views outside DRF."""
    return _json_response(error_body(code=code, message=message, params=params), status=status)


def size_display(size: int) -> str:
    """Return a byte count for people: 2 GiB, 500 MiB, 1.5 KiB."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def too_large_error(*, limit: int, what: str = "The request body") -> ApplicationError:
    """Return the 413 for a body over `limit` bytes, stating the limit."""
    return ApplicationError("request_too_large", f"{what} is larger than the limit of {size_display(limit)}.",
                            {"limit_bytes": limit, "limit_display": size_display(limit)}, status=413)


def request_body_limit(request) -> int | None:
    """Return the body limit that applies to `request` (a route may raise Django's)."""
    return getattr(request, "body_limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


# --- DRF ----------------------------------------------------------------------------------------

def _flat_errors(detail, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """Return DRF's nested error detail as {"field.0.sub": [{"code", "message"}]}."""
    flat: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        items = detail.items()
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        items = ((str(index), item) for index, item in enumerate(detail))
    else:
        items = None
    if items is None:
        messages = detail if isinstance(detail, list) else [detail]
        flat[prefix or "non_field_errors"] = [
            {"code": getattr(m, "code", None) or "invalid", "message": str(m)} for m in messages
        ]
        return flat
    for key, value in items:
        if value in ({}, []):
            continue  # a list serializer's valid items
        flat.update(_flat_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def validation_body(exc: exceptions.ValidationError) -> dict[str, Any]:
    """Return DRF's ValidationError as code "invalid", each field's errors (code + text) in params.

    DRF's own shape ({field: [messages]}) stays beside them: clients read it before codes existed.
    """
    fields = _flat_errors(exc.detail)
    legacy = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    return {**legacy, **error_body(code="invalid", message="Invalid input.", params={"fields": fields})}


def _api_exception_params(exc: exceptions.APIException, request) -> dict[str, Any]:
    if isinstance(exc, exceptions.Throttled):
        return {"wait_seconds": exc.wait and int(-(-exc.wait // 1))}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return {"method": request.method if request is not None else ""}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return {"media_type": request.content_type if request is not None else ""}
    return {}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every known error becomes `{"detail", "code", "params"}`."""
    # Here, not at the top: rest_framework.views reads the parser setting, which imports us.
    from rest_framework.views import exception_handler as drf_exception_handler, set_rollback

    request = context.get("request")
    if request is not None:
        # Errors are JSON even from a view that renders something else (the OpenAPI schema).
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(exc.body(), status=exc.status)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        error = _django_request_error(exc, request)
        return Response(error.body(), status=error.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # DRF's own handler sets WWW-Authenticate and Retry-After and rolls back the transaction.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a crash: Django logs it and handler500 answers
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(exc)
        return response
    code = exc.get_codes()
    response.data = error_body(code=code if isinstance(code, str) else exc.default_code,
                               message=str(exc.detail), params=_api_exception_params(exc, request))
    return response


def api_error_response(exc: exceptions.APIException, request=None, *, authenticate_header: str = "") -> JsonResponse:
    """Return what exception_handler answers for a DRF exception, from a view outside DRF.

    The poll path's plain views (progress/polls.py) answer 401, 403 and 404 with exactly the
    body, status and WWW-Authenticate header a DRF view gives.
    """
    code = exc.get_codes()
    response = error_response(code=code if isinstance(code, str) else exc.default_code, message=str(exc.detail),
                              params=_api_exception_params(exc, request), status=exc.status_code)
    if authenticate_header and isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        # DRF answers 401 with the scheme to use (the authentication class's header).
        response["WWW-Authenticate"] = authenticate_header
    return response


def _django_request_error(exc: Exception, request) -> ApplicationError:
    if isinstance(exc, RequestDataTooBig):
        return too_large_error(limit=request_body_limit(request))
    return ApplicationError("too_many_fields", "The request has too many form fields or files.",
                            {"max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                             "max_files": settings.DATA_UPLOAD_MAX_NUMBER_FILES})


# --- Django (URLconf handler404 & co.) ------------------------------------------------------------

def _json_path(request) -> bool:
    return request.path.startswith(JSON_PREFIXES)


def bad_request(request, exception=None):
    """handler400: a body over the limit is 413 with the limit; other bad requests 400."""
    if not _json_path(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        error = _django_request_error(exception, request)
        return _json_response(error.body(), status=error.status)
    return error_response(code="bad_request", message="Bad request.", status=400)


def permission_denied(request, exception=None):
    if not _json_path(request):
        return defaults.permission_denied(request, exception)
    return error_response(code="permission_denied", message="You do not have permission to perform this action.",
                          status=403)


def page_not_found(request, exception=None):
    if not _json_path(request):
        return defaults.page_not_found(request, exception)
    return error_response(code="not_found", message="Not found.", status=404)


def server_error(request):
    if not _json_path(request):
        return defaults.server_error(request)
    return server_error_response()


def server_error_response() -> JsonResponse:
    """Return the JSON 500 of the API paths (handler500's, also the poll path's: academy/polls.py)."""
    return error_response(code="server_error", message="A server error occurred.", status=500)


def method_not_allowed(request, allowed: list[str]) -> JsonResponse:
    """Return the JSON 405 of a plain Django view, with its Allow header."""
    response = error_response(code="method_not_allowed", message=f'Method "{request.method}" not allowed.',
                              params={"method": request.method}, status=405)
    response["Allow"] = ", ".join(allowed)
    return response
