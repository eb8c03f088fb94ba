"""An experience's settings over real HTTP: the response limit under concurrent API calls, the
closing time, spam protection (nothing set aside reaches the store or the outbox), the start rate
per client behind a trusted proxy, and the progress bar."""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml

from tests.integration.test_cli import run
from tests.support.databases import database_url
from tests.support.definitions import sample_data
from tests.support.stack import Stack
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.capture import SqlCaptureStore
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.schema import responses
from zeroparty.domain.experience.model import Experience
from zeroparty.services.admission import ResponseLimitReached
from zeroparty.services.capture import CaptureService

WHOLE: dict[str, dict[str, Any]] = {
    "answers": {"skin_type": "oily", "skin_goals": ["breakouts"], "routine_length": "none"},
    "inputs": {"email": "ada@example.com"},
}
API = "/api/v1/experiences/skin-quiz/responses"


def _publish(stack: Stack, **settings: Any) -> None:
    data = {**sample_data(), "settings": settings}
    stack.rt.experiences.publish(Experience.model_validate(data), datetime.now(UTC))


def _served(page: httpx.Response) -> str:
    found = re.search(r'name="zp_served" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_concurrent_api_calls_never_take_the_response_limit_past_n(held_stack: Stack) -> None:
    _publish(held_stack, response_limit=3)

    def post(_n: int) -> httpx.Response:
        return httpx.post(held_stack.base + API, json=WHOLE, timeout=30)

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(post, range(12)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 9
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["errors"] == [
        {
            "field": "settings.response_limit",
            "message": "experience 'skin-quiz' has its 3 responses and takes no new ones",
        }
    ]
    assert held_stack.row_counts()["responses"] == 3
    page = httpx.get(held_stack.base + "/e/skin-quiz")
    assert page.status_code == 410 and "no longer takes responses" in page.text


def test_past_its_closing_time_the_page_shows_the_closed_message_and_the_api_refuses(held_stack: Stack) -> None:
    _publish(held_stack, closes_at=(datetime.now(UTC) + timedelta(seconds=1)).isoformat())
    with httpx.Client(base_url=held_stack.base) as c:
        first = c.post("/e/skin-quiz", data={"skin_type": "dry"}, follow_redirects=False)
        assert first.status_code == 303
        time.sleep(1.1)
        assert c.get("/e/skin-quiz").status_code == 410
        later = c.post(first.headers["location"], data={"skin_goals": ["hydration"]})
        assert later.status_code == 410 and "no longer takes responses" in later.text
        api = c.post(API, json=WHOLE)
        assert api.status_code == 410 and api.json()["errors"][0]["field"] == "slug"
    assert held_stack.row_counts()["responses"] == 1


def test_spam_is_answered_as_if_kept_and_nothing_reaches_the_store_or_the_outbox(held_stack: Stack) -> None:
    _publish(held_stack, spam={"min_seconds": 2})
    with httpx.Client(base_url=held_stack.base, follow_redirects=False) as c:
        served = _served(c.get("/e/skin-quiz"))
        trapped = c.post("/e/skin-quiz", data={"skin_type": "dry", "zp_website": "x", "zp_served": served})
        assert trapped.status_code == 200 and "Thank you." in trapped.text
        quick = c.post("/e/skin-quiz", data={"skin_type": "dry", "zp_served": served})
        assert quick.status_code == 200 and "Thank you." in quick.text
        forged = str(int(time.time() * 1000) - 60_000) + "." + served.split(".")[1]
        assert "Thank you." in c.post("/e/skin-quiz", data={"skin_type": "dry", "zp_served": forged}).text
        assert "Thank you." in c.post("/e/skin-quiz", data={"skin_type": "dry"}).text  # no stamp at all
        assert held_stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}
        time.sleep(2)
        refused = c.post("/e/skin-quiz", data={"skin_type": "purple", "zp_served": served})
        assert refused.status_code == 422 and _served(refused) == served  # shown again: the time it was first served
        kept = c.post("/e/skin-quiz", data={"skin_type": "dry", "zp_served": _served(refused)})
        assert kept.status_code == 303
    assert held_stack.row_counts()["responses"] == 1


def test_the_honeypot_is_hidden_from_people_and_the_progress_bar_has_a_name(held_stack: Stack) -> None:
    _publish(held_stack, progress="bar")
    page = httpx.get(held_stack.base + "/e/skin-quiz").text
    assert '<div class="trap" aria-hidden="true">' in page
    assert 'name="zp_website" type="text" tabindex="-1" autocomplete="off"' in page
    assert '<progress max="4" value="1" aria-label="Step 1 of 4">' in page
    _publish(held_stack, progress="none", spam={"honeypot": False})
    page = httpx.get(held_stack.base + "/e/skin-quiz").text
    assert "zp_website" not in page and "<progress" not in page and "1/4" not in page


def test_starts_are_limited_per_client_as_the_trusted_proxy_names_it(held_stack: Stack) -> None:
    _publish(held_stack, spam={"rate_limit": "2/hour"})
    with httpx.Client(base_url=held_stack.base, follow_redirects=False) as c:
        one = {"X-Forwarded-For": "198.51.100.1"}  # the test server is reached through 127.0.0.1, trusted
        assert [c.post("/e/skin-quiz", data={"skin_type": "dry"}, headers=one).status_code for _ in range(2)] == [
            303,
            303,
        ]
        page = c.post("/e/skin-quiz", data={"skin_type": "dry"}, headers=one)
        assert page.status_code == 429 and 1 <= int(page.headers["retry-after"]) <= 3600
        assert "Nothing was saved: too many responses started from your address" in page.text
        api = c.post(API, json=WHOLE, headers=one)
        assert api.status_code == 429 and api.json()["errors"][0]["field"] == "settings.spam.rate_limit"
        assert "retry-after" in api.headers
        assert c.post(API, json=WHOLE, headers={**one, **held_stack.auth}).status_code == 201  # an operator's server
        other = {"X-Forwarded-For": "198.51.100.2"}
        assert c.post("/e/skin-quiz", data={"skin_type": "dry"}, headers=other).status_code == 303
    assert held_stack.row_counts()["responses"] == 4


def test_x_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(held_stack: Stack) -> None:
    _publish(held_stack, spam={"rate_limit": "2/hour"})

    async def go() -> list[int]:
        transport = httpx.ASGITransport(app=held_stack.app, client=("203.0.113.5", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://zeroparty.test") as c:
            return [
                (await c.post(API, json=WHOLE, headers={"X-Forwarded-For": f"198.51.100.{n}"})).status_code
                for n in range(3)
            ]

    assert asyncio.run(go()) == [201, 201, 429]  # one client, whatever it says it forwards


def test_experiences_list_shows_the_closing_time(tmp_path: Path) -> None:
    closing = tmp_path / "closing.yaml"
    closing.write_text(yaml.safe_dump({**sample_data(), "settings": {"closes_at": "2027-01-31T23:59:00Z"}}))
    assert run(tmp_path, "experiences", "import", str(closing)).returncode == 0
    listed = json.loads(run(tmp_path, "experiences", "list", "--json").stdout)
    assert listed[0]["closes_at"] == "2027-01-31T23:59:00Z"
    assert "2027-01-31T23:59:00Z" in run(tmp_path, "experiences", "list").stdout
    bad = tmp_path / "naive.yaml"
    bad.write_text(yaml.safe_dump({**sample_data(), "settings": {"closes_at": "2027-01-31T23:59:00"}}))
    refused = run(tmp_path, "experiences", "validate", str(bad))
    assert refused.returncode == 1
    assert "settings.closes_at: must carry a timezone" in refused.stdout + refused.stderr


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_concurrent_starts_on_the_store_never_pass_the_limit(kind: str, tmp_path: Path) -> None:
    with database_url(kind, tmp_path) as url:
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            data = {**sample_data(), "settings": {"response_limit": 4}}
            SqlExperienceStore(engine).publish(Experience.model_validate(data), datetime.now(UTC))
            # As many stores as server nodes: each commits its own group of submits.
            nodes = [CaptureService(SqlCaptureStore(engine)) for _ in range(4)]

            def start(n: int) -> str:
                try:
                    nodes[n % len(nodes)].submit_whole("skin-quiz", WHOLE["answers"], WHOLE["inputs"])
                except ResponseLimitReached:
                    return "full"
                return "kept"

            with ThreadPoolExecutor(8) as pool:
                outcomes = sorted(pool.map(start, range(16)))
            assert outcomes == ["full"] * 12 + ["kept"] * 4
            with engine.connect() as conn:
                assert conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one() == 4
        finally:
            engine.dispose()
