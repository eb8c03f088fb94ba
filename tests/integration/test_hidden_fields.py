"""Hidden fields over real HTTP: a campaign link's declared parameters are kept with the response
and sent as attributes, from the hosted page and the JSON API alike; undeclared ones are dropped;
a bad value is refused naming it, and nothing is stored."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from tests.support.stack import Stack
from zeroparty.adapters.db.schema import answers, outbox

API = "/api/v1/experiences/vip-signup/responses"
NOTHING = {"responses": 0, "answers": 0, "outbox": 0}


def sent_attributes(stack: Stack) -> list[dict[str, Any]]:
    with stack.rt.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.payload).order_by(outbox.c.seq)).scalars()
        return [dict(p.get("attributes", {})) for p in rows]


def stored_keys(stack: Stack) -> set[str]:
    with stack.rt.engine.connect() as conn:
        return set(conn.execute(sa.select(answers.c.element_id)).scalars())


def test_a_campaign_links_parameters_survive_the_screens_and_reach_the_profile(vip: Stack) -> None:
    link = "/e/vip-signup?utm_source=newsletter&utm_medium=email&utm_campaign=Spring%20sale&gclid=abc"
    with httpx.Client(base_url=vip.base) as c:
        page = c.get(link)
        assert page.status_code == 200
        # The first form posts them on; the undeclared one is not carried.
        assert "utm_campaign=Spring%20sale" in page.text and "gclid" not in page.text
        action = page.text.split('<form method="post" action="')[1].split('"')[0].replace("&amp;", "&")
        first = c.post(action, data={"email": "utm@example.com"}, follow_redirects=False)
        assert first.status_code == 303
        done = c.post(first.headers["location"], data={"gender": "female"}, follow_redirects=False)
        assert done.status_code == 303
    sent = sent_attributes(vip)
    assert sent[0]["utm_source"] == "newsletter" and sent[0]["utm_medium"] == "email"
    assert sent[0]["utm_campaign"] == "Spring sale"
    assert all("gclid" not in attrs for attrs in sent)
    assert {"utm_source", "utm_medium", "utm_campaign"} <= stored_keys(vip) and "gclid" not in stored_keys(vip)


def test_a_bad_link_value_is_named_and_nothing_is_stored(vip: Stack) -> None:
    with httpx.Client(base_url=vip.base) as c:
        page = c.get("/e/vip-signup?utm_source=not%20allowed")
        assert page.status_code == 400 and "utm_source: must match the pattern" in page.text
        posted = c.post(
            "/e/vip-signup?utm_source=not%20allowed", data={"email": "bad@example.com"}, follow_redirects=False
        )
        assert posted.status_code == 400 and "utm_source" in posted.text
    assert vip.row_counts() == NOTHING


def test_the_json_api_takes_declared_hidden_values_and_ignores_the_rest(vip: Stack) -> None:
    body = {
        "inputs": {"email": "api-utm@example.com"},
        "answers": {"gender": "male"},
        "hidden": {"utm_source": "partner", "utm_campaign": "launch", "affiliate": "x"},
    }
    r = httpx.post(vip.base + API, json=body)
    assert r.status_code == 201, r.text
    [attrs] = sent_attributes(vip)
    assert (attrs["utm_source"], attrs["utm_campaign"]) == ("partner", "launch")
    assert "affiliate" not in attrs and "utm_medium" not in attrs


def test_the_json_api_refuses_a_bad_hidden_value_by_name(vip: Stack) -> None:
    body = {"inputs": {"email": "api-bad@example.com"}, "hidden": {"utm_medium": "e mail"}}
    r = httpx.post(vip.base + API, json=body)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["hidden.utm_medium"]
    assert vip.row_counts() == NOTHING
