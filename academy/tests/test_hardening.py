"""Headers and inputs an attacker would try: framing, scripts, header injection, the schema."""
from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_warnings_and_declares_bearer_auth(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn: any warning (unresolved authenticator, duplicate component name) fails.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "bearerAuth:" in text and "scheme: bearer" in text


def test_auth_endpoints_document_their_own_fields(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]

    def request_fields(path: str) -> set:
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        ref = next(iter(content.values()))["schema"]["$ref"].rsplit("/", 1)[1]
        return set(components[ref]["properties"])

    assert request_fields("/api/v1/auth/token/") == {"username", "password", "tenant_id"}
    assert request_fields("/api/v1/auth/password/") == {"old_password", "new_password"}
    assert request_fields("/api/v1/auth/activate/") == {"username", "tenant_id", "activation_code", "new_password"}
    assert request_fields("/api/v1/students/import/") == {"file", "dry_run"}
    token_answer = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]["content"]
    assert token_answer["application/json"]["schema"]["$ref"].endswith("/TokenOutput")
    assert {"access", "role", "expires_in"} <= set(components["TokenOutput"]["properties"])
    assert schema["paths"]["/api/v1/tasks/active/"]["get"]["security"] == [{"bearerAuth": []}]
    assert schema["paths"]["/api/v1/auth/token/"]["post"].get("security", []) in ([], [{}])


def test_pages_cannot_be_framed_and_the_web_app_has_a_csp(client, owner, api):
    page = client.get("/")
    api_answer = api(owner[2]).get("/api/v1/tasks/active/")

    assert page["X-Frame-Options"] == api_answer["X-Frame-Options"] == "DENY"
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "media-src 'self' blob:" in csp, "hls.js plays through MediaSource blob URLs"


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: everyone@example.com", "Line\nbreak", "Tab\x0bvertical"])
def test_a_subject_with_a_line_break_is_refused_with_400(api, owner, subject):
    response = api(owner[2]).post("/api/v1/messages/", {"recipients": ["01012345678"], "body": "Hi",
                                                        "subject": subject}, format="json")
    assert response.status_code == 400
    assert "single line" in str(response.json())


def test_a_username_with_a_line_break_is_refused_with_400(api, owner):
    response = api().post("/api/v1/auth/token/", {"username": "a\r\nb", "password": "x", "tenant_id": owner[0].pk},
                          format="json")
    assert response.status_code == 400 and "username" in response.json()
