"""One error shape on every /api/ and /media/ path: {"detail", "code", "params"}, JSON, never HTML."""
import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory
from django.urls import URLPattern, get_resolver
from django.urls.converters import get_converters
from rest_framework import exceptions

from academy import errors
from academy.ai.payload import MAX_QUESTIONS
from academy.jobs.models import Job
from academy.tenants.models import Role

pytestmark = pytest.mark.django_db

AI_JOBS = "/api/v1/ai/jobs/"
LOGIN = "/api/v1/auth/token/"


def error(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    body = response.json()
    assert isinstance(body["detail"], str) and isinstance(body["params"], dict)
    return body


@pytest.fixture
def client(owner, api):
    return api(owner[2])


# --- Django's own answers on our prefixes --------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v2/jobs/", "/media/nothing", "/media/videos/1/x/"])
def test_an_unknown_path_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert error(response) == {"detail": "Not found.", "code": "not_found", "params": {}}


def test_paths_outside_the_prefixes_stay_the_web_app(client):
    response = client.get("/students")
    assert response.status_code in (200, 404) and not response["Content-Type"].startswith("application/json")


def every_api_route() -> list[str]:
    """Return a URL for every /api/ and /media/ pattern, ids filled in canonically."""
    samples = {"uuid_id": "6f0c2b7e-1d2a-4c3b-9e8f-0123456789ab", "int_id": "7", "str": "x", "path": "a/b.ts"}
    urls = []
    for pattern in get_resolver().url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if not route.startswith(("api/", "media/")):
            continue
        for name, converter in pattern.pattern.converters.items():
            kind = next(k for k, v in get_converters().items() if type(v) is type(converter))
            route = route.replace(f"<{kind}:{name}>", samples[kind])
        urls.append("/" + route)
    return urls


def test_every_route_answers_an_unknown_method_with_a_json_405(client):
    urls = every_api_route()
    assert "/media/hls/x/a/b.ts" in urls and "/api/v1/jobs/6f0c2b7e-1d2a-4c3b-9e8f-0123456789ab/" in urls
    for url in urls:
        response = client.generic("PATCH", url)
        assert response.status_code == 405, url
        assert error(response) == {"detail": 'Method "PATCH" not allowed.', "code": "method_not_allowed",
                                   "params": {"method": "PATCH"}}
        assert response["Allow"]


def test_a_crash_is_a_json_500_on_the_prefixes_only():
    factory = RequestFactory()
    response = errors.server_error(factory.get("/api/v1/jobs/"))
    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": "A server error occurred.", "code": "server_error",
                                            "params": {}}
    assert errors.server_error(factory.get("/students")).status_code == 500
    assert not errors.server_error(factory.get("/students"))["Content-Type"].startswith("application/json")


def test_a_body_over_djangos_limit_outside_drf_is_a_413_stating_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = errors.bad_request(RequestFactory().post("/api/x"), RequestDataTooBig("too big"))
    assert response.status_code == 413
    assert json.loads(response.content) == {
        "detail": "The request body is larger than the limit of 1000 bytes.", "code": "request_too_large",
        "params": {"limit_bytes": 1000, "limit_display": "1000 bytes"}}


# --- DRF's exceptions -------------------------------------------------------------------------

def test_no_token_and_a_bad_token_are_401_with_codes(api):
    response = api().get("/api/v1/tasks/active/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert error(response)["code"] == "not_authenticated"
    response = api("not-a-token").get("/api/v1/tasks/active/")
    assert response.status_code == 401 and error(response)["code"] == "authentication_failed"


def test_a_role_that_may_not_is_403_with_a_code(make_member, api):
    _, _, token = make_member(role=Role.STUDENT)
    response = api(token).post(AI_JOBS, {"job_type": "x", "payload": {}}, format="json")
    assert response.status_code == 403
    assert error(response) == {"detail": "Only owners and teachers may do this.", "code": "permission_denied",
                               "params": {}}


def test_a_wrong_login_is_401_with_a_code(owner, api):
    response = api().post(LOGIN, {"username": "nobody", "password": "x", "tenant_id": owner[0].pk}, format="json")
    assert response.status_code == 401
    assert error(response)["code"] == "login_failed"


def test_throttled_carries_retry_after_and_the_wait():
    response = errors.exception_handler(exceptions.Throttled(wait=2.2), {"request": None})
    assert response.status_code == 429 and response["Retry-After"] == "3"
    assert response.data == {"detail": "Request was throttled. Expected available in 3 seconds.",
                             "code": "throttled", "params": {"wait_seconds": 3}}


def test_a_serializer_error_keeps_drfs_shape_and_adds_each_fields_code(client):
    response = client.post(AI_JOBS, {"payload": {}}, format="json")
    assert response.status_code == 400
    assert error(response) == {
        "job_type": ["This field is required."], "detail": "Invalid input.", "code": "invalid",
        "params": {"fields": {"job_type": [{"code": "required", "message": "This field is required."}]}}}


def test_a_body_that_is_not_json_or_not_a_json_type(client):
    response = client.post(AI_JOBS, b'{"job_type": ', content_type="application/json")
    assert response.status_code == 400 and error(response)["code"] == "json_invalid"
    response = client.post(AI_JOBS, b"job_type=x", content_type="text/plain")
    assert response.status_code == 415
    assert error(response) == {"detail": 'Unsupported media type "text/plain" in request.',
                               "code": "unsupported_media_type", "params": {"media_type": "text/plain"}}


# --- the JSON parser: depth, NUL, size ------------------------------------------------------------

def nested(depth: int) -> bytes:
    return b'{"username": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b', "password": "x", "tenant_id": 1}'


@pytest.mark.parametrize("depth", [65, 5000, 200_000])
def test_deep_nesting_is_a_400_not_a_500(api, depth):
    response = api().post(LOGIN, nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert error(response) == {"detail": "The JSON body nests deeper than 64 levels.", "code": "json_too_deep",
                               "params": {"limit": 64}}


def test_nesting_up_to_the_limit_reaches_the_serializer(api):
    response = api().post(LOGIN, nested(64), content_type="application/json")
    assert response.status_code == 400 and error(response)["code"] == "invalid"


@pytest.mark.parametrize("text", [r'"a\u0000b"', r'"\\\u0000"', r'"\u0000"'])
def test_a_nul_character_in_any_json_string_is_a_400(client, text):
    body = ('{"job_type": "short_answer_grading", "payload": {"answer_key": [{"question": "q", "answer": %s}],'
            ' "submissions": []}}' % text)
    response = client.post(AI_JOBS, body.encode(), content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] == "json_nul_character"
    assert not Job.objects.exists()
    key = '{"job_type": "short_answer_grading", "payload": {%s: 1}}' % text
    assert client.post(AI_JOBS, key.encode(), content_type="application/json").json()["code"] == "json_nul_character"


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(client):
    body = r'{"job_type": "x\\u0000", "payload": {}}'
    response = client.post(AI_JOBS, body.encode(), content_type="application/json")
    assert response.status_code == 400 and error(response)["code"] == "job_type_unknown"
    assert error(response)["params"]["job_type"] == "x\\u0000"


def test_a_json_body_over_djangos_limit_is_a_413_stating_it(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"username": "u" * 10_000, "password": "x", "tenant_id": 1}).encode()
    response = api().post(LOGIN, body, content_type="application/json")
    assert response.status_code == 413
    assert error(response) == {"detail": "The request body is larger than the limit of 9.8 KiB.",
                               "code": "request_too_large",
                               "params": {"limit_bytes": 10_000, "limit_display": "9.8 KiB"}}


def grading_body(students: int) -> bytes:
    answer_key = [{"question": f"Q{i}", "answer": "photosynthesis"} for i in range(MAX_QUESTIONS)]
    submissions = [{"student": f"s{n}", "answers": ["photosynthesis"] * MAX_QUESTIONS} for n in range(students)]
    return json.dumps({"job_type": "short_answer_grading",
                       "payload": {"answer_key": answer_key, "submissions": submissions}}).encode()


def test_the_ai_job_takes_bodies_past_djangos_limit_up_to_its_own(client, settings):
    body = grading_body(students=400)  # 500 answers each: about 3.7 MB
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post(AI_JOBS, body, content_type="application/json")
    assert response.status_code == 202, response.content[:300]

    settings.AI_JOB_MAX_BODY_BYTES = len(body) - 1
    response = client.post(AI_JOBS, body, content_type="application/json")
    assert response.status_code == 413
    assert error(response)["params"]["limit_bytes"] == len(body) - 1
    assert Job.objects.count() == 1
