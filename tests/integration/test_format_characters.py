"""One-line text refuses invisible format characters on both ways in (a form post, the JSON API),
naming the field and storing nothing, while real writing (accents, emoji sequences, Persian) is kept."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.stack import Stack

API = "/api/v1/experiences/skin-quiz/responses"
CHOICES = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"}
REFUSED = [
    ("Ada\u202egnp.exe", "U+202E, an invisible control that reorders how text is shown"),
    ("A\u200bda", "U+200B, an invisible formatting character"),
    ("\u200dAda", "U+200D only right after a visible character"),
]
KEPT = ["José", "Zo\u00eb \U0001f469\u200d\U0001f52c", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"]


def _api(stack: Stack, first_name: str) -> httpx.Response:
    body: dict[str, Any] = {"answers": CHOICES, "inputs": {"email": "fmt@example.com", "first_name": first_name}}
    return httpx.post(stack.base + API, json=body)


@pytest.mark.parametrize(("name", "says"), REFUSED)
def test_the_api_refuses_a_format_character_in_one_line_text(held_stack: Stack, name: str, says: str) -> None:
    r = _api(held_stack, name)
    assert r.status_code == 422, r.text
    assert [(e["field"], says in e["message"]) for e in r.json()["errors"]] == [("inputs.first_name", True)]
    assert held_stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}


@pytest.mark.parametrize("name", KEPT)
def test_the_api_keeps_real_writing_as_sent(held_stack: Stack, name: str) -> None:
    r = _api(held_stack, name)
    assert r.status_code == 201, r.text
    status = httpx.get(held_stack.base + r.headers["location"], headers=held_stack.auth).json()
    assert status["answers"]["first_name"] == name


def _last_screen(c: httpx.Client) -> str:
    url = "/e/skin-quiz"
    for field, value in CHOICES.items():
        url = c.post(url, data={field: value}).headers["location"]
    return url


@pytest.mark.parametrize(("name", "says"), REFUSED)
def test_a_form_post_refuses_a_format_character_next_to_the_field(held_stack: Stack, name: str, says: str) -> None:
    with httpx.Client(base_url=held_stack.base) as c:
        last = _last_screen(c)
        before = held_stack.row_counts()
        body = f"email=fmt%40example.com&first_name={quote(name)}"
        r = c.post(last, content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422, r.text
    assert 'id="err-first_name"' in r.text and says in r.text
    assert held_stack.row_counts() == before


@pytest.mark.parametrize("name", KEPT)
def test_a_form_post_keeps_real_writing(held_stack: Stack, name: str) -> None:
    with httpx.Client(base_url=held_stack.base) as c:
        done = c.post(_last_screen(c), data={"email": "fmt@example.com", "first_name": name})
    assert done.status_code == 303, done.text
    rid = done.headers["location"].split("/")[4]
    status = httpx.get(f"{held_stack.base}/api/v1/responses/{rid}", headers=held_stack.auth).json()
    assert status["answers"]["first_name"] == name
