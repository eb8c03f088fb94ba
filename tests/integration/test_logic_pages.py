"""Rules over HTTP: a jump answered in the hosted page skips a screen, piped text is escaped, the
variables reach the sandbox as attributes, and the JSON API applies the same rules. The served
JSON Schema is the one generated from the models, rules and variables included."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.support.logic_definitions import branching_data
from tests.support.stack import Stack
from tests.support.waiting import wait_for
from zeroparty.domain.braze_definition import definition_schema
from zeroparty.domain.experience.model import Experience

SLUG = "coffee-finder"


def _publish(stack: Stack) -> None:
    data = branching_data()
    habit = data["screens"][0]
    habit["elements"].append({"id": "name", "type": "text", "label": "Your name"})
    data["screens"][2]["title"] = "Where do we send your {{drink}} pick, {{name}}?"
    stack.rt.experiences.publish(Experience.model_validate(data), datetime.now(UTC))


def post(c: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    return c.post(url, data=data, follow_redirects=False)


def test_a_jump_in_the_hosted_page_skips_a_screen_and_pipes_escaped_text(stack: Stack) -> None:
    _publish(stack)
    with httpx.Client(base_url=stack.base) as c:
        first = post(c, f"/e/{SLUG}", {"morning": "tea", "cups": "1", "name": "<b>Kim</b>"})
        assert first.status_code == 303 and first.headers["location"].endswith("/s/contact")
        contact = c.get(first.headers["location"])
        assert "Where do we send your tea pick, &lt;b&gt;Kim&lt;/b&gt;?" in contact.text
        assert "<b>Kim" not in contact.text
        skipped = post(c, first.headers["location"].replace("/s/contact", "/s/roast"), {"roast_level": "dark"})
        assert skipped.status_code == 422 and "is skipped by the rules" in skipped.text
        done = post(c, first.headers["location"], {"email": "tea@example.com"})
        assert done.status_code == 303 and done.headers["location"].endswith("/outcome")
        assert 'data-outcome="tea_pick"' in c.get(done.headers["location"]).text
    profile = wait_for(lambda: stack.export_by_email("tea@example.com"), bool, timeout=20)[0]
    assert profile["custom_attributes"]["coffee_strength"] == 0
    assert profile["custom_attributes"]["morning_drink"] == "tea"


def test_the_json_api_applies_the_same_rules(stack: Stack) -> None:
    _publish(stack)
    url = f"{stack.base}/api/v1/experiences/{SLUG}/responses"
    inputs = {"email": "api@example.com", "cups": 4}
    refused = httpx.post(url, json={"answers": {"morning": "tea", "roast_level": "dark"}, "inputs": inputs})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "answers.roast_level",
            "message": "is on screen 'roast', which the rules skip for these answers; leave it out",
        }
    ]
    assert stack.row_counts()["responses"] == 0
    created = httpx.post(url, json={"answers": {"morning": "coffee", "roast_level": "dark"}, "inputs": inputs})
    assert created.status_code == 201 and created.json()["outcome"] == "strong"
    status = httpx.get(stack.base + created.headers["location"], headers=stack.auth).json()
    assert status["deliveries"][0]["attributes"]["coffee_strength"] == 3
    assert status["path"] == ["habit", "roast", "contact"]
    assert status["variables"] == {"strength": 3, "drink": "coffee"}


def test_the_served_schema_is_the_models_with_rules_and_variables(stack: Stack) -> None:
    served = httpx.get(f"{stack.base}/api/v1/experience-schema").json()
    assert served == definition_schema()
    assert {"rules", "next"} <= set(served["$defs"]["Screen"]["properties"])
    assert "variables" in served["properties"]
