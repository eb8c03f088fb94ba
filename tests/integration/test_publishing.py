"""Publishing is a choice, and who may frame an experience is its own: over real HTTP against a real
SQLite store (the state's SQL also on PostgreSQL), and the `experiences` commands as a real process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.integration.test_cli import run
from tests.support.databases import database_url
from tests.support.definitions import SAMPLE, sample_data
from tests.support.stack import Stack
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import NotFound

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SKIN = {"skin_type": "oily"}


def _publish(stack: Stack, **changes: Any) -> Experience:
    exp = Experience.model_validate({**sample_data(), **changes})
    stack.rt.experiences.publish(exp, T0)
    return exp


def _frame_ancestors(answer: httpx.Response) -> str:
    policy = answer.headers["content-security-policy"]
    return policy.split("frame-ancestors ", 1)[1]


def test_each_page_of_an_experience_carries_its_own_frame_ancestors(stack: Stack) -> None:
    _publish(stack, settings={"embed_origins": ["https://shop.example", "http://localhost:5173"]})
    with httpx.Client(base_url=stack.base) as client:
        first = client.get("/e/skin-quiz")
        assert first.status_code == 200
        assert _frame_ancestors(first) == "'self' https://shop.example http://localhost:5173"
        refused = client.post("/e/skin-quiz", data={"skin_type": "purple"})  # a screen shown again with its errors
        assert refused.status_code == 422
        assert _frame_ancestors(refused) == "'self' https://shop.example http://localhost:5173"
        assert _frame_ancestors(client.get("/")) == "'self'"  # other pages keep the deployment's
        assert _frame_ancestors(client.get("/e/no-such-quiz")) == "'self'"


def test_an_experience_without_embed_origins_keeps_the_deployment_default(stack: Stack) -> None:
    data = sample_data()
    del data["settings"]
    stack.rt.experiences.publish(Experience.model_validate(data), T0)
    assert _frame_ancestors(httpx.get(stack.base + "/e/skin-quiz")) == "'self'"
    _publish(stack, settings={"embed_origins": ["*"]})
    assert _frame_ancestors(httpx.get(stack.base + "/e/skin-quiz")) == "*"


def test_embed_js_is_cached_and_revalidated_by_etag(stack: Stack) -> None:
    first = httpx.get(stack.base + "/embed.js")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/javascript")
    assert first.headers["cache-control"] == "public, max-age=86400"
    assert "zeroparty:complete" in first.text
    etag = first.headers["etag"]
    again = httpx.get(stack.base + "/embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    stale = httpx.get(stack.base + "/embed.js", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_embed_json_says_title_and_parameters_to_any_origin(stack: Stack) -> None:
    _publish(stack, hidden_fields=[{"key": "utm_source"}, {"key": "utm_campaign"}])
    answer = httpx.get(stack.base + "/e/skin-quiz/embed.json", headers={"Origin": "https://shop.example"})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.json() == {
        "experience": "skin-quiz",
        "title": "Find your skincare routine",
        "parameters": ["utm_source", "utm_campaign", "zp_id"],
    }
    assert httpx.get(stack.base + "/e/no-such-quiz/embed.json").status_code == 404
    assert httpx.get(stack.base + "/e/NOT%20A%20SLUG/embed.json").status_code == 404


def test_a_framed_last_screen_shows_the_outcome_in_its_answer(stack: Stack) -> None:
    """A frame on another site may not keep the outcome pass (a third-party cookie): no redirect."""
    with httpx.Client(base_url=stack.base, headers={"Sec-Fetch-Dest": "iframe"}) as client:
        r = client.post("/e/skin-quiz", data=SKIN)
        assert r.status_code == 303
        location = r.headers["location"]
        for answers in ({"skin_goals": "hydration"}, {"routine_length": "short"}):
            location = client.post(location, data=answers).headers["location"]
        done = client.post(location, data={"email": "framed@example.com"})
        assert done.status_code == 200
        assert 'data-outcome="' in done.text and 'data-experience="skin-quiz"' in done.text
        assert _frame_ancestors(done) == "*"  # the sample lets any site embed it
        again = client.post(location, data={"email": "framed@example.com"})  # a reload re-posts
        assert again.status_code == 410 and _frame_ancestors(again) == "*"  # "complete", in the frame too


def test_unpublished_is_gone_from_pages_api_and_index_until_published_again(stack: Stack) -> None:
    api = f"{stack.base}/api/v1/experiences/skin-quiz/responses"
    assert "skin-quiz" in httpx.get(stack.base + "/").text  # the sample opts in to the listing
    started = httpx.post(stack.base + "/e/skin-quiz", data=SKIN).headers["location"]
    stack.rt.experiences.set_state("skin-quiz", "unpublished")
    assert httpx.get(stack.base + "/e/skin-quiz").status_code == 404
    assert httpx.get(stack.base + started).status_code == 404  # answering in progress stops too
    refused = httpx.post(api, json={"answers": SKIN})
    assert refused.status_code == 404
    assert refused.json()["errors"] == [{"field": "slug", "message": "no published experience 'skin-quiz'"}]
    assert "skin-quiz" not in httpx.get(stack.base + "/").text
    stack.rt.experiences.set_state("skin-quiz", "published")
    assert httpx.get(stack.base + "/e/skin-quiz").status_code == 200
    assert httpx.get(stack.base + started).status_code == 200


def test_a_closed_experience_shows_its_message_and_the_api_refuses_with_410(stack: Stack) -> None:
    _publish(stack, settings={"embed_origins": ["https://shop.example"], "listed": True})
    started = httpx.post(stack.base + "/e/skin-quiz", data=SKIN).headers["location"]
    before = stack.row_counts()
    stack.rt.experiences.set_state("skin-quiz", "closed", "Entries closed on 1 March. Thank you!")
    page = httpx.get(stack.base + "/e/skin-quiz")
    assert page.status_code == 410
    assert "Entries closed on 1 March. Thank you!" in page.text
    assert _frame_ancestors(page) == "'self' https://shop.example"  # its embeds show the message
    assert httpx.get(stack.base + started).status_code == 410
    assert httpx.post(stack.base + started, data={"skin_goals": "hydration"}).status_code == 410
    api = httpx.post(f"{stack.base}/api/v1/experiences/skin-quiz/responses", json={"answers": SKIN})
    assert api.status_code == 410
    assert api.json()["errors"] == [
        {"field": "slug", "message": "experience 'skin-quiz' is closed and takes no responses"}
    ]
    assert stack.row_counts() == before  # nothing stored
    assert "skin-quiz" not in httpx.get(stack.base + "/").text
    stack.rt.experiences.set_state("skin-quiz", "closed")
    assert "no longer takes responses" in httpx.get(stack.base + "/e/skin-quiz").text  # the default message


def test_the_index_lists_only_experiences_that_opt_in(stack: Stack) -> None:
    data = sample_data()
    del data["settings"]
    stack.rt.experiences.publish(Experience.model_validate(data), T0)
    index = httpx.get(stack.base + "/")
    assert index.status_code == 200 and "/e/skin-quiz" not in index.text
    assert "No experience is listed here" in index.text
    _publish(stack, settings={"listed": True})
    assert "/e/skin-quiz" in httpx.get(stack.base + "/").text


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_state_survives_new_versions(kind: str, tmp_path: Path) -> None:
    with database_url(kind, tmp_path) as url:
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            store = SqlExperienceStore(engine)
            store.publish(Experience.model_validate(sample_data()), T0)
            assert store.set_state("skin-quiz", "closed", "Bye") == "published"
            changed = store.publish_if_changed(Experience.model_validate({**sample_data(), "title": "New"}), T0)
            assert changed.created and changed.published.state == "closed"
            current = store.published("skin-quiz")
            assert current is not None and (current.state, current.closed_message) == ("closed", "Bye")
            assert store.set_state("skin-quiz", "published") == "closed"
            current = store.published("skin-quiz")
            assert current is not None and (current.state, current.closed_message) == ("published", None)
            with pytest.raises(NotFound, match="no experience 'nope'"):
                store.set_state("nope", "unpublished")
        finally:
            engine.dispose()


def test_the_commands_unpublish_close_and_publish_again(tmp_path: Path) -> None:
    assert run(tmp_path, "experiences", "import", str(SAMPLE)).returncode == 0
    closed = run(tmp_path, "experiences", "close", "skin-quiz", "--message", "See you next season")
    assert closed.returncode == 0, closed.stderr
    listed = run(tmp_path, "experiences", "list", "--json")
    assert json.loads(listed.stdout)[0]["state"] == "closed"
    assert run(tmp_path, "experiences", "unpublish", "skin-quiz").returncode == 0
    table = run(tmp_path, "experiences", "list").stdout
    assert "unpublished" in table
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump({**sample_data(), "title": "Changed"}))
    imported = run(tmp_path, "experiences", "import", str(changed))
    assert "stays unpublished" in imported.stdout
    assert run(tmp_path, "experiences", "publish", "skin-quiz").returncode == 0
    assert json.loads(run(tmp_path, "experiences", "list", "--json").stdout)[0]["state"] == "published"
    missing = run(tmp_path, "experiences", "close", "nope")
    assert missing.returncode == 1 and "slug: no experience 'nope'" in missing.stderr
    blank = run(tmp_path, "experiences", "close", "skin-quiz", "--message", "  ")
    assert blank.returncode == 1 and "--message:" in blank.stderr
