"""Email addresses over real HTTP, delivered to the sandbox: an internationalised domain reaches
Braze in Punycode (Braze refuses a Unicode one), a full-width address is the same person as its
plain spelling, and a look-alike is a 422 naming the email, never stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.stack import Stack
from tests.support.waiting import wait_for
from zeroparty.domain.experience.model import Experience

URL = "/api/v1/experiences/skin-quiz/responses"
LOOK_ALIKE = "ada@exаmple.com"  # a Cyrillic а


def response_for(email: str, skin: str = "dry") -> dict[str, Any]:
    return {
        "answers": {"skin_type": skin, "skin_goals": ["hydration"], "routine_length": "short"},
        "inputs": {"email": email, "first_name": "Jürgen"},
    }


def test_an_internationalised_domain_reaches_braze_in_punycode(stack: Stack) -> None:
    r = httpx.post(stack.base + URL, json=response_for("Jürgen@Bücher.de"))
    assert r.status_code == 201, r.text
    shown = httpx.get(stack.base + r.headers["location"], headers=stack.auth).json()
    assert shown["email"] == "jürgen@xn--bcher-kva.de"
    [profile] = wait_for(lambda: stack.export_by_email("jürgen@xn--bcher-kva.de"), bool)
    assert profile["custom_attributes"]["skin_type"] == "dry"


def test_a_full_width_address_is_the_same_person(stack: Stack) -> None:
    assert httpx.post(stack.base + URL, json=response_for("ada@example.com")).status_code == 201
    wait_for(lambda: stack.export_by_email("ada@example.com"), bool)
    again = httpx.post(stack.base + URL, json=response_for("ａｄａ@example.com", skin="oily"))
    assert again.status_code == 201, again.text
    [profile] = wait_for(
        lambda: stack.export_by_email("ada@example.com"),
        lambda users: bool(users) and users[0]["custom_attributes"]["skin_type"] == "oily",
    )
    assert profile["email"] == "ada@example.com"


def test_a_look_alike_address_is_a_422_naming_the_email_and_nothing_is_stored(held_stack: Stack) -> None:
    r = httpx.post(held_stack.base + URL, json=response_for(LOOK_ALIKE))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "inputs.email" and error["message"].startswith("mixes scripts")
    assert held_stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}


def test_the_hosted_page_shows_the_look_alike_refusal_at_the_email(held_stack: Stack) -> None:
    vip = Path(__file__).parents[2] / "examples" / "vip-signup.yaml"
    held_stack.rt.experiences.publish(Experience.model_validate(yaml.safe_load(vip.read_text())), datetime.now(UTC))
    with httpx.Client(base_url=held_stack.base) as c:
        r = c.post("/e/vip-signup", data={"email": LOOK_ALIKE, "first_name": "Ada"}, follow_redirects=False)
    assert r.status_code == 422
    assert '<p class="error" id="err-email">Email mixes scripts' in r.text
    assert held_stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}
