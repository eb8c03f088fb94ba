"""Capture over real HTTP with delivery held: what the outbox rows carry (standard fields in
Braze's formats, typed attributes, consents held until completion, subscription groups, the
completion) and the consent records kept for audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.integration.conftest import VIP
from tests.support.stack import Stack
from zeroparty.adapters.db.schema import consent_records, outbox

API = "/api/v1/experiences/vip-signup/responses"
CONTACT = {"email": "Vic@Example.com", "first_name": "Vic", "phone": "07700 900123"}


def payloads(stack: Stack) -> list[dict[str, Any]]:
    with stack.rt.engine.connect() as conn:
        return [dict(p) for p in conn.execute(sa.select(outbox.c.payload).order_by(outbox.c.seq)).scalars()]


def records(stack: Stack) -> list[tuple[str, str, bool, str]]:
    with stack.rt.engine.connect() as conn:
        rows = conn.execute(sa.select(consent_records).order_by(consent_records.c.id)).all()
    return [(r.element_id, r.consent_key, r.given, r.text) for r in rows]


def post(client: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    return client.post(url, data=data, follow_redirects=False)


def test_a_whole_response_goes_out_in_braze_formats_with_consents_and_completion(vip: Stack) -> None:
    body = {
        "answers": {"gender": "female"},
        "inputs": {
            **CONTACT,
            "marketing_opt_in": True,
            "newsletter": True,
            "no_texts": True,
            "birthday": "12/05/1990",
            "country": "France",
            "shoe_size": 38.5,
            "anniversary": "2026-06-01",
        },
    }
    r = httpx.post(vip.base + API, json=body)
    assert r.status_code == 201, r.text
    [payload] = payloads(vip)
    completed_at = payload["attributes"].pop("vip_signup_completed_at")
    assert payload["attributes"] == {
        "first_name": "Vic",
        "phone": "+447700900123",
        "dob": "1990-05-12",
        "gender": "F",
        "country": "FR",
        "shoe_size_eu": 38.5,
        "special_date": "2026-06-01T00:00:00Z",
        "email_subscribe": "opted_in",
    }
    assert payload["subscription_groups"] == {"newsletter": "subscribed", "sms_offers": "unsubscribed"}
    assert payload["completion"] == {
        "experience": "vip-signup",
        "version": 1,
        "outcome": "welcome",
        "response_id": r.json()["id"],
        "time": completed_at,
    }
    assert datetime.fromisoformat(completed_at).tzinfo is not None
    assert records(vip) == [
        ("marketing_opt_in", "email_marketing", True, VIP.screens[0].elements[3].label),
        ("newsletter", "newsletter", True, "Send me the monthly newsletter."),
        ("no_texts", "sms_offers", False, "Please do not send me text messages."),
    ]


# One of each kind here; every format is refused in tests/unit/services/test_capture.py.
@pytest.mark.parametrize(("inputs", "field"), [({"birthday": "13/13/1990"}, "inputs.birthday")])
def test_a_value_braze_would_refuse_is_a_422_naming_the_field(vip: Stack, inputs: dict[str, Any], field: str) -> None:
    r = httpx.post(vip.base + API, json={"inputs": {**CONTACT, **inputs}})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert vip.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}
    assert records(vip) == []


def test_a_consent_withdrawn_before_completion_never_reaches_braze(vip: Stack) -> None:
    with httpx.Client(base_url=vip.base) as c:
        first = post(c, "/e/vip-signup", {**CONTACT, "marketing_opt_in": "yes", "newsletter": "yes"})
        assert first.status_code == 303, first.text
        about = first.headers["location"]
        contact = about.replace("/s/about", "/s/contact")
        # Held: the email is known, so the profile fields go out, but no consent yet.
        assert [p["attributes"].get("email_subscribe") for p in payloads(vip)] == [None]
        assert payloads(vip)[0]["subscription_groups"] == {} and payloads(vip)[0]["completion"] is None
        assert post(c, contact, CONTACT).status_code == 303  # back again: both boxes unticked
        done = post(c, about, {"birthday": "1990-05-12", "shoe_size": "41"})
        assert done.status_code == 303 and done.headers["location"].endswith("/outcome")
    sent = payloads(vip)
    assert all("email_subscribe" not in p["attributes"] for p in sent)
    assert all(p["subscription_groups"] == {} for p in sent)
    assert sent[-1]["attributes"]["dob"] == "1990-05-12" and sent[-1]["attributes"]["shoe_size_eu"] == 41
    assert sent[-1]["completion"] is not None and sent[-1]["completion"]["outcome"] == "welcome"
    assert [(element, given) for element, _key, given, _text in records(vip)] == [
        ("marketing_opt_in", True),
        ("newsletter", True),
        ("marketing_opt_in", False),
        ("newsletter", False),
    ]


def test_the_completing_submit_carries_each_consents_final_state(vip: Stack) -> None:
    with httpx.Client(base_url=vip.base) as c:
        about = post(c, "/e/vip-signup", {**CONTACT, "newsletter": "yes"}).headers["location"]
        post(c, about, {"gender": "rather_not"})
        contact = about.replace("/s/about", "/s/contact")
        # A completed response is closed to its link: a withdrawal through it changes nothing. The
        # browser that completed it is sent to its outcome; any other is told it is gone.
        again = post(c, contact, CONTACT)
        assert again.status_code == 303 and again.headers["location"].endswith("/outcome")
    with httpx.Client(base_url=vip.base) as stranger:
        assert post(stranger, contact, CONTACT).status_code == 410
    first, completing = payloads(vip)
    assert first["subscription_groups"] == {}
    assert completing["subscription_groups"] == {"newsletter": "subscribed"}
    assert completing["attributes"]["gender"] == "P"
    assert [(element, given) for element, _key, given, _text in records(vip)] == [("newsletter", True)]


def test_a_page_shows_the_new_inputs_and_a_bad_date_is_shown_again(vip: Stack) -> None:
    with httpx.Client(base_url=vip.base) as c:
        about = post(c, "/e/vip-signup", CONTACT).headers["location"]
        page = c.get(about)
        assert 'placeholder="DD/MM/YYYY"' in page.text and 'inputmode="decimal"' in page.text
        r = post(c, about, {"birthday": "31/02/1990"})
        assert r.status_code == 422
        assert "is not a real date" in r.text
