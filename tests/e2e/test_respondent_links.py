"""In Chromium: the browser that completed a response sees its outcome again; its link opened
anywhere else, or its screens revisited, show nothing of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, worker=False) as s:
        yield s


def test_the_outcome_stays_with_the_browser_that_completed_it(stack: Stack, page: Page, browser: Browser) -> None:
    page.goto(stack.base + "/e/skin-quiz")
    page.get_by_label("Comfortable").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Even tone").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Two or three steps").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Email").fill("links@example.com")
    page.get_by_role("button", name="Show my routine").click()
    expect(page.locator("#outcome")).to_be_visible()
    outcome = page.url
    assert outcome.endswith("/outcome")

    page.reload()  # the pass came with the redirect that followed the form's POST
    expect(page.locator("#outcome")).to_be_visible()
    page.go_back()  # the last screen, which now shows and changes nothing
    expect(page.get_by_role("heading", level=1)).to_have_text("This response is complete")
    expect(page.locator("body")).not_to_contain_text("links@example.com")

    elsewhere = browser.new_context()
    try:
        other = elsewhere.new_page()
        answer = other.goto(outcome)
        assert answer is not None and answer.status == 410
        expect(other.get_by_role("heading", level=1)).to_have_text("This response is complete")
        expect(other.locator("#outcome")).to_have_count(0)
    finally:
        elsewhere.close()
