"""Hostile input over real HTTP: each case is answered 4xx naming the field, never 5xx, and nothing is
stored. Every case here was answered 201, 303 or 500 before the edge checks existed."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.stack import Stack, running_stack

URL = "/api/v1/experiences/skin-quiz/responses"
EMPTY = {"responses": 0, "answers": 0, "outbox": 0}
JSON = {"content-type": "application/json"}


def good(**inputs: Any) -> dict[str, Any]:
    return {
        "answers": {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"},
        "inputs": {"email": "ada@example.com", "first_name": "Ada", **inputs},
    }


def raw(body: dict[str, Any]) -> bytes:
    """JSON as a client may send it: `\\ud800` escapes survive (Python's encoder would refuse them)."""
    return json.dumps(body).encode()


JSON_CASES: list[tuple[str, bytes, int, str]] = [
    (
        "lone surrogate in a text answer",
        raw(good(first_name="A\\ud800da")).replace(b"\\\\ud800", b"\\ud800"),
        422,
        "inputs.first_name",
    ),
    ("lone surrogate in a key", b'{"answers": {"\\udc00x": "dry"}, "inputs": {}}', 422, "answers"),
    ("NUL in a text answer", raw(good(first_name="Ada\u0000")), 422, "inputs.first_name"),
    ("control character in a text answer", raw(good(first_name="Ada\u001b[31m")), 422, "inputs.first_name"),
    ("newline in a one-line answer", raw(good(first_name="Ada\nLovelace")), 422, "inputs.first_name"),
    ("whitespace-only required email", raw(good(email="   ")), 422, "inputs.email"),
    ("deeply nested JSON", b"[" * 20_000 + b"]" * 20_000, 400, "body"),
    ("nesting past the bound", b'{"answers": ' + b"[" * 40 + b"]" * 40 + b"}", 422, "answers" + "[0]" * 32),
    ("5,000-digit integer", b'{"answers": {"skin_type": ' + b"9" * 5000 + b"}}", 400, "body"),
    ("NaN", b'{"answers": {"skin_type": NaN}}', 400, "body"),
    ("infinite float", b'{"answers": {"skin_type": 1e999}}', 422, "answers.skin_type"),
    ("invalid UTF-8", b'{"answers": {"skin_type": "\xff\xfe"}}', 400, "body"),
]


@pytest.mark.parametrize(("case", "body", "status", "field"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_hostile_json_is_refused_naming_the_field_and_nothing_is_stored(
    held_stack: Stack, case: str, body: bytes, status: int, field: str
) -> None:
    r = httpx.post(held_stack.base + URL, content=body, headers=JSON)
    assert r.status_code == status, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    assert field in fields, fields
    assert held_stack.row_counts() == EMPTY


def test_the_lone_surrogate_case_really_sends_a_lone_surrogate() -> None:
    body = JSON_CASES[0][1]
    assert "\ud800" in json.loads(body)["inputs"]["first_name"]


def test_tab_and_newline_are_refused_in_one_line_text_but_plain_text_is_kept(held_stack: Stack) -> None:
    r = httpx.post(held_stack.base + URL, json=good(first_name="  Ada Lovelace "))
    assert r.status_code == 201, r.text
    status = httpx.get(held_stack.base + r.headers["location"], headers=held_stack.auth).json()
    assert status["answers"]["first_name"] == "Ada Lovelace"


# -- hosted pages --------------------------------------------------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _to_text_screen(client: httpx.Client) -> str:
    """Walk the sample quiz to its last screen (email and name); return that screen's path."""
    first = client.post("/e/skin-quiz", data={"skin_type": "dry"})
    second = client.post(first.headers["location"], data={"skin_goals": ["hydration"]})
    third = client.post(second.headers["location"], data={"routine_length": "short"})
    assert third.status_code == 303, third.text
    return str(third.headers["location"])


FORM_CASES: list[tuple[str, bytes, str]] = [
    ("invalid UTF-8", b"email=ada%40example.com&first_name=Ad%FF%FEa", "is not valid UTF-8"),
    ("an encoded surrogate", b"email=ada%40example.com&first_name=A%ED%A0%80da", "is not valid UTF-8"),
    ("NUL", b"email=ada%40example.com&first_name=Ada%00", "must not contain a NUL character"),
    ("a control character", b"email=ada%40example.com&first_name=Ada%1B", "U+001B"),
]


@pytest.mark.parametrize(("case", "body", "message"), FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_hostile_form_fields_are_refused_on_the_page_and_not_stored(
    held_stack: Stack, case: str, body: bytes, message: str
) -> None:
    with httpx.Client(base_url=held_stack.base) as c:
        last = _to_text_screen(c)
        before = held_stack.row_counts()
        r = c.post(last, content=body, headers=FORM)
    assert r.status_code == 422, r.text
    assert message in r.text and 'id="err-first_name"' in r.text
    assert "\ufffd" not in r.text
    assert held_stack.row_counts() == before


def test_a_raw_non_ascii_form_body_is_400(held_stack: Stack) -> None:
    r = httpx.post(f"{held_stack.base}/e/skin-quiz", content="skin_type=drý".encode(), headers=FORM)
    assert r.status_code == 400 and "percent-encoded" in r.text
    assert held_stack.row_counts() == EMPTY


def test_a_multipart_form_post_is_refused(held_stack: Stack) -> None:
    r = httpx.post(f"{held_stack.base}/e/skin-quiz", files={"skin_type": ("a.txt", b"dry")})
    assert r.status_code == 400 and "content-type" in r.text
    assert held_stack.row_counts() == EMPTY


# -- URL parameters ------------------------------------------------------------------------------

URL_CASES: list[tuple[str, str, str]] = [
    ("invalid UTF-8 in the path", "/e/%FF%FE", "path"),
    ("NUL in the path", "/e/skin%00quiz", "path"),
    ("control character in the path", "/api/v1/responses/%1B", "path"),
    ("invalid UTF-8 in the query", "/e/skin-quiz?x=%FF", "query"),
    ("NUL in the query", "/login?next=%00", "query"),
]


@pytest.mark.parametrize(("case", "path", "field"), URL_CASES, ids=[c[0] for c in URL_CASES])
def test_bad_bytes_in_the_url_are_400_naming_path_or_query(held_stack: Stack, case: str, path: str, field: str) -> None:
    r = httpx.get(held_stack.base + path)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "path",
    [
        "/e/NOT-A-SLUG",
        "/e/skin-quiz/r/not-a-uuid/s/about_you",
        "/e/skin-quiz/r/00000000-0000-0000-0000-000000000000/outcome",
    ],
)
def test_path_parameters_that_name_nothing_are_404(held_stack: Stack, path: str) -> None:
    assert httpx.get(held_stack.base + path).status_code == 404


# -- slow and stalled bodies --------------------------------------------------------------------


@pytest.fixture
def impatient_stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, worker=False, body_timeout_s=1.0) as s:
        yield s


def _stalled_client(base: str, declared: int = 1000) -> socket.socket:
    """Headers and part of a body, then silence."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80))
    head = (
        f"POST {URL} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"answers": {')
    return sock


def _answer_of(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        pass
    return data


def test_a_stalled_body_is_cut_off_with_408(impatient_stack: Stack) -> None:
    sock = _stalled_client(impatient_stack.base)
    started = time.monotonic()
    answer = _answer_of(sock, timeout=5)
    elapsed = time.monotonic() - started
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert 0.8 <= elapsed < 4, elapsed
    assert impatient_stack.row_counts() == EMPTY


def test_a_dripping_body_is_cut_off_too(impatient_stack: Stack) -> None:
    sock = _stalled_client(impatient_stack.base, declared=200)
    sock.settimeout(0.2)
    started = time.monotonic()
    closed = False
    while time.monotonic() - started < 4 and not closed:
        try:
            sock.sendall(b" ")  # one byte every 0.2 s: never silent, never done
            time.sleep(0.2)
            closed = sock.recv(4096, socket.MSG_PEEK) != b""
        except TimeoutError:
            continue
        except OSError:
            closed = True
    sock.close()
    assert closed and time.monotonic() - started < 3


def test_a_crowd_of_stalled_clients_does_not_block_anyone_else(impatient_stack: Stack) -> None:
    stalled = [_stalled_client(impatient_stack.base) for _ in range(50)]
    try:
        r = httpx.post(impatient_stack.base + URL, json=good(), timeout=5)
        assert r.status_code == 201
        # Served while every stalled client still waits for its 408: nobody queued behind them.
        assert not any(_answer_of(s, timeout=0.001) for s in stalled)
        assert all(_answer_of(s, timeout=5).startswith(b"HTTP/1.1 408") for s in stalled)
    finally:
        for s in stalled:
            s.close()
