"""Braze's transport rules over real HTTP: auth, instance, permissions, content type, parsing, size,
paths. Each row: a request, then the exact status and message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sandbox.conftest import EXPORT_ONLY_KEY, KEY, Sandbox, start

ONE = b'{"attributes": [{"external_id": "u1", "color": "red"}]}'
JSON = "application/json"
PARSE = "Error while parsing request body. Please check your syntax."

TRANSPORT = [
    # case, Authorization header, Content-Type, body, status, message
    ("no key", None, JSON, ONE, 401, "Invalid API Key"),
    ("unknown key", "Bearer nope", JSON, ONE, 401, "Invalid API Key"),
    ("not a bearer scheme", f"Basic {KEY}", JSON, ONE, 401, "Invalid API Key"),
    ("lower-case scheme", f"bearer {KEY}", JSON, ONE, 201, "success"),
    ("upper-case scheme", f"BEARER {KEY}", JSON, ONE, 201, "success"),
    ("key without users.track", f"Bearer {EXPORT_ONLY_KEY}", JSON, ONE, 403, "Access Denied"),
    ("no content type", f"Bearer {KEY}", None, ONE, 415, "Content-Type must be application/json"),
    ("form content type", f"Bearer {KEY}", "application/x-www-form-urlencoded", ONE, 415, "Content-Type must be application/json"),
    ("charset parameter is fine", f"Bearer {KEY}", "application/json; charset=utf-8", ONE, 201, "success"),
    ("unparsable JSON", f"Bearer {KEY}", JSON, b'{"attributes": [', 400, PARSE),
    ("empty body", f"Bearer {KEY}", JSON, b"", 400, PARSE),
    ("JSON that is not an object", f"Bearer {KEY}", JSON, b"[1]", 400, PARSE),
    ("NaN is not JSON", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u", "n": NaN}]}', 400, PARSE),
    ("bad UTF-8", f"Bearer {KEY}", JSON, b'{"a": "\xff"}', 400, PARSE),
    ("absurd nesting", f"Bearer {KEY}", JSON, b"[" * 200_000, 400, PARSE),
    ("a NUL in a string", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u\\u0000"}]}', 400, PARSE),
    ("an escaped backslash before u0000 is fine", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u\\\\u0000"}]}', 201, "success"),
    # Text that is not Unicode and numbers no double holds are "Bad syntax" (https://www.braze.com/docs/api/errors).
    ("a lone surrogate in external_id", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "\\ud800", "a": 1}]}', 400, PARSE),
    ("a lone surrogate in email", f"Bearer {KEY}", JSON, b'{"attributes": [{"email": "a\\uDC00@x.co", "a": 1}]}', 400, PARSE),
    ("a lone surrogate in a value", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u", "a": "x\\ud800"}]}', 400, PARSE),
    ("a lone surrogate in a key", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u", "\\udbff": 1}]}', 400, PARSE),
    ("a surrogate pair is fine", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u\\ud83d\\ude00", "a": 1}]}', 201, "success"),
    ("an integer past a double's range", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u", "n": 1' + b"0" * 400 + b'}]}', 400, PARSE),
    ("a price past a double's range", f"Bearer {KEY}", JSON, b'{"purchases": [{"external_id": "u", "product_id": "p", "currency": "USD", "price": 1' + b"0" * 400 + b', "time": "2026-01-01"}]}', 400, PARSE),
    ("a float past a double's range", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u", "n": 1e400}]}', 400, PARSE),
    ("a large integer a double holds is fine", f"Bearer {KEY}", JSON, b'{"attributes": [{"external_id": "u", "n": 99999999999999999999999}]}', 201, "success"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "auth", "ctype", "body", "status", "message"), TRANSPORT, ids=[t[0] for t in TRANSPORT]
)
def test_transport_rules(
    sandbox: Sandbox, case: str, auth: str | None, ctype: str | None, body: bytes, status: int, message: str
) -> None:
    headers = {k: v for k, v in (("Authorization", auth), ("Content-Type", ctype)) if v is not None}
    r = sandbox.client.post(sandbox.base + "/users/track", content=body, headers=headers)
    assert (r.status_code, r.json()["message"]) == (status, message), r.text
    assert r.headers["content-type"] == "application/json"


def test_body_over_4_mb_is_413(sandbox: Sandbox) -> None:
    big = {"attributes": [{"external_id": "u1", "blob": "x" * (4 * 1024 * 1024)}]}
    r = sandbox.post("/users/track", big)
    assert (r.status_code, r.json()) == (413, {"message": "Request Entity Too Large"})
    assert sandbox.export(external_ids=["u1"]) == []


@pytest.mark.parametrize(
    "path", ["/users/track/", "/users/trak", "/users/export/ids/", "/", "/users", "/v2/users/track"]
)
def test_unknown_paths_are_404_json(sandbox: Sandbox, path: str) -> None:
    r = sandbox.client.post(
        sandbox.base + path, content=ONE, headers={"Authorization": f"Bearer {KEY}", "Content-Type": JSON}
    )
    assert (r.status_code, r.json()) == (404, {"message": "Not Found"})


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_json(sandbox: Sandbox, method: str) -> None:
    r = sandbox.client.request(method, sandbox.base + "/users/track")
    assert (r.status_code, r.json()) == (405, {"message": "Method Not Allowed"})


def test_rate_limit_headers_on_every_answer_to_a_known_key(sandbox: Sandbox) -> None:
    ok = sandbox.post("/users/track", {"attributes": [{"external_id": "u1"}]})
    assert ok.headers["X-RateLimit-Limit"] == "3000"
    assert ok.headers["X-RateLimit-Remaining"] == "2999"
    assert int(ok.headers["X-RateLimit-Reset"]) > 1_000_000_000  # epoch seconds by default
    bad = sandbox.client.post(
        sandbox.base + "/users/track", content=b"{", headers={"Authorization": f"Bearer {KEY}", "Content-Type": JSON}
    )
    assert (bad.status_code, bad.headers["X-RateLimit-Remaining"]) == (400, "2998")  # a 400 counts
    denied = sandbox.post("/users/track", {}, key=EXPORT_ONLY_KEY)
    assert (denied.status_code, denied.headers["X-RateLimit-Remaining"]) == (403, "3000")  # its own window, untouched
    assert "X-RateLimit-Limit" not in sandbox.post("/users/track", {}, key="nope").headers


@pytest.fixture
def us03(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start(tmp_path, instance_host="rest.iad-03.braze.com")


@pytest.mark.parametrize(
    ("host", "status"),
    [("rest.iad-03.braze.com", 201), ("REST.IAD-03.BRAZE.COM", 201), ("rest.iad-03.braze.com:443", 201),
     ("rest.fra-01.braze.eu", 401), ("127.0.0.1", 401)],
)  # fmt: skip
def test_a_key_sent_to_another_instance_is_401(us03: Sandbox, host: str, status: int) -> None:
    r = us03.client.post(
        us03.base + "/users/track",
        content=ONE,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": JSON, "Host": host},
    )
    assert r.status_code == status
    if status == 401:
        assert r.json() == {"message": "Invalid API Key"}
