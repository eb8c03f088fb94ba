"""Braze's transport rules, over real HTTP: auth, permissions, content type, parsing, size, paths."""

from __future__ import annotations

import pytest

from tests.integration.sandbox.conftest import EXPORT_ONLY_KEY, Sandbox

ONE = {"attributes": [{"external_id": "u1", "color": "red"}]}


@pytest.mark.parametrize(
    ("case", "key", "headers", "content", "status", "message"),
    [
        ("no key", None, {}, None, 401, "Invalid API Key"),
        ("unknown key", "nope", {}, None, 401, "Invalid API Key"),
        ("lower-case scheme", None, {"Authorization": "bearer sbx-test-key"}, None, 201, "success"),
        ("key without users.track", EXPORT_ONLY_KEY, {}, None, 403, "Access Denied"),
        ("not JSON content type", "sbx-test-key", {"Content-Type": "text/plain"}, b"{}", 415, "Content-Type must be application/json"),
        ("unparsable JSON", "sbx-test-key", {"Content-Type": "application/json"}, b'{"attributes": [', 400,
         "Error while parsing request body. Please check your syntax."),
        ("JSON that is not an object", "sbx-test-key", {"Content-Type": "application/json"}, b"[1]", 400,
         "Error while parsing request body. Please check your syntax."),
    ],
)  # fmt: skip
def test_transport_rules(
    sandbox: Sandbox,
    case: str,
    key: str | None,
    headers: dict[str, str],
    content: bytes | None,
    status: int,
    message: str,
) -> None:
    h = {"Authorization": f"Bearer {key}"} if key else {}
    h.update(headers)
    if content is None:
        r = sandbox.client.post(sandbox.base + "/users/track", json=ONE, headers=h)
    else:
        r = sandbox.client.post(sandbox.base + "/users/track", content=content, headers=h)
    assert r.status_code == status, r.text
    assert r.json()["message"] == message


def test_body_over_4_mb_is_413(sandbox: Sandbox) -> None:
    big = {"attributes": [{"external_id": "u1", "blob": "x" * (4 * 1024 * 1024)}]}
    r = sandbox.post("/users/track", big)
    assert r.status_code == 413
    assert r.json()["message"] == "Request Entity Too Large"


@pytest.mark.parametrize("path", ["/users/track/", "/users/nothing", "/"])
def test_unknown_paths_are_404_json(sandbox: Sandbox, path: str) -> None:
    r = sandbox.post(path, ONE)
    assert r.status_code == 404
    assert r.json() == {"message": "Not Found"}


def test_wrong_method_is_json_too(sandbox: Sandbox) -> None:
    r = sandbox.client.get(sandbox.base + "/users/track")
    assert r.status_code == 405 and "message" in r.json()


def test_rate_limit_headers_on_every_answer(sandbox: Sandbox) -> None:
    r = sandbox.post("/users/track", ONE)
    assert r.headers["X-RateLimit-Limit"] == "3000"
    assert int(r.headers["X-RateLimit-Remaining"]) == 2999
    assert int(r.headers["X-RateLimit-Reset"]) > 1_000_000_000  # epoch seconds by default
