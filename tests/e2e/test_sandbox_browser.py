"""The sandbox's profile browser in Chromium: sign in with the key, search, open a profile, read what
Braze would hold, sign out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.integration.sandbox.conftest import KEY, Sandbox, start

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start(tmp_path)


def sign_in(page: Page, base: str, key: str = KEY) -> None:
    """Open the browser: any page sends a newcomer to the login form first."""
    page.goto(base + "/_sandbox/ui/")
    expect(page).to_have_url(base + "/_sandbox/ui/login")
    page.get_by_label("Sandbox API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_search_and_view_a_profile(sandbox: Sandbox, page: Page) -> None:
    sandbox.post(
        "/users/track",
        {
            "attributes": [
                {"external_id": "c-1", "email": "Viewer@Example.com", "quiz_result": "glow", "tags": ["a", "b"]}
            ],
            "events": [{"external_id": "c-1", "name": "quiz_completed", "time": "2026-01-01T00:00:00Z"}],
        },
    )
    sandbox.post("/users/track", {"attributes": [{"external_id": "c-2", "email": "other@example.com"}]})
    sign_in(page, sandbox.base)
    expect(page).to_have_url(sandbox.base + "/_sandbox/ui/")
    page.get_by_label("Search profiles").fill("viewer")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link")).to_have_count(1)
    page.get_by_role("link", name="viewer@example.com").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("viewer@example.com")
    attrs = page.locator("#custom-attributes")
    expect(attrs).to_contain_text("quiz_result")
    expect(attrs).to_contain_text('"glow"')
    expect(page.get_by_text("quiz_completed")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("sbx-test-key")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(sandbox.base + "/_sandbox/ui/login")
    page.goto(sandbox.base + "/_sandbox/ui/requests")
    expect(page).to_have_url(sandbox.base + "/_sandbox/ui/login")  # signed out for good


def test_a_wrong_key_shows_the_form_again(sandbox: Sandbox, page: Page) -> None:
    sign_in(page, sandbox.base, key="not-the-key")
    expect(page.get_by_role("alert")).to_have_text("That is not one of this sandbox's API keys.")
    expect(page.get_by_label("Sandbox API key")).to_have_value("")  # the typed key is not sent back
    page.get_by_label("Sandbox API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Braze sandbox — profiles")


def test_unknown_profile_page_is_404(sandbox: Sandbox, page: Page) -> None:
    sign_in(page, sandbox.base)
    response = page.goto(sandbox.base + "/_sandbox/ui/profiles/nope")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("No such profile")
