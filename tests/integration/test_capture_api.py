"""The JSON capture API over real HTTP: what is accepted, what is refused, and that a refusal
stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.stack import Stack, running_stack
from zeroparty.adapters.db.engine import sqlite_dbapi

GOOD: dict[str, Any] = {
    "answers": {"skin_type": "oily", "skin_goals": ["breakouts"], "routine_length": "none"},
    "inputs": {"email": "Sam@Example.com", "first_name": "Sam", "marketing_opt_in": True},
}
URL = "/api/v1/experiences/skin-quiz/responses"


def test_whole_response_is_recorded_and_reported(held_stack: Stack) -> None:
    r = httpx.post(held_stack.base + URL, json=GOOD)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "clear_skin" and body["queued"] == 1
    shown = httpx.get(held_stack.base + r.headers["location"], headers=held_stack.auth)
    assert r.headers["cache-control"] == shown.headers["cache-control"] == "no-store"  # a response's data
    status = shown.json()
    assert status["email"] == "sam@example.com"
    assert status["answers"]["skin_goals"] == ["breakouts"]
    assert status["deliveries"][0]["state"] == "pending"
    assert status["deliveries"][0]["attributes"]["skin_quiz_routine"] == "clear_skin"
    assert held_stack.row_counts() == {"responses": 1, "answers": 6, "outbox": 1}


def _with(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        group, key = path.split("__")
        body[group][key] = value
    return body


# What the capture service refuses is unit-tested (tests/unit/services/test_capture.py); here, one
# such refusal and the two the API's own parsing makes, each a 422 naming the field.
BAD: list[tuple[str, dict[str, Any], int, str]] = [
    ("wrong choice value", _with(answers__skin_type="purple"), 422, "answers.skin_type"),
    ("unknown top-level key", {**GOOD, "extra": 1}, 422, "extra"),
    ("answers not an object", {"answers": [1], "inputs": {}}, 422, "answers"),
]


@pytest.mark.parametrize(("case", "body", "status", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_bodies_name_the_field_and_store_nothing(
    held_stack: Stack, case: str, body: dict[str, Any], status: int, field: str
) -> None:
    r = httpx.post(held_stack.base + URL, json=body)
    assert r.status_code == status, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert held_stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}


def test_malformed_json_is_400(held_stack: Stack) -> None:
    r = httpx.post(held_stack.base + URL, content=b'{"answers": {', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "body"
    assert held_stack.row_counts()["responses"] == 0


def test_wrong_content_type_is_415(held_stack: Stack) -> None:
    r = httpx.post(held_stack.base + URL, content=json.dumps(GOOD), headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["errors"][0]["field"] == "content-type"
    assert held_stack.row_counts()["responses"] == 0


def test_unknown_experience_is_404(held_stack: Stack) -> None:
    r = httpx.post(held_stack.base + "/api/v1/experiences/nope/responses", json=GOOD)
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "slug"


def test_oversized_body_is_413_with_honest_length(held_stack: Stack) -> None:
    big = _with(inputs__first_name="x" * 100_000)
    r = httpx.post(held_stack.base + URL, json=big)
    assert r.status_code == 413
    assert held_stack.row_counts()["responses"] == 0


def test_oversized_body_is_413_when_streamed_without_length(held_stack: Stack) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"answers": {}, "inputs": {"first_name": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}}'

    r = httpx.post(held_stack.base + URL, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert held_stack.row_counts()["responses"] == 0


def test_openapi_documents_the_capture_endpoint(held_stack: Stack) -> None:
    spec = httpx.get(held_stack.base + "/openapi.json", headers=held_stack.auth).json()
    assert "/api/v1/experiences/{slug}/responses" in spec["paths"]


def test_a_locked_database_is_503_with_retry_after_and_nothing_half_stored(tmp_path: Path) -> None:
    with running_stack(tmp_path, worker=False, busy_timeout_ms=200) as stack:
        blocker = sqlite_dbapi().connect(tmp_path / "zeroparty.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
        try:
            r = httpx.post(stack.base + URL, json=GOOD)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert r.json()["errors"][0]["field"] == "storage"
        assert stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}
        assert httpx.post(stack.base + URL, json=GOOD).status_code == 201  # and it recovers


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-32-be", "utf-8-sig"])
def test_json_in_another_encoding_or_with_a_bom_is_400(held_stack: Stack, encoding: str) -> None:
    # Python's json.loads(bytes) would read all of these; the API takes UTF-8 only, as RFC 8259 asks.
    raw = json.dumps(GOOD).encode(encoding)
    r = httpx.post(held_stack.base + URL, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    (error,) = r.json()["errors"]
    assert error["field"] == "body" and "UTF-8" in error["message"]
    assert held_stack.row_counts()["responses"] == 0
