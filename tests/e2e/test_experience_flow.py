"""A respondent answers the sample experience in Chromium; the profile then reads back from the
sandbox over HTTP with the email, every mapped attribute and the outcome."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.stack import Stack, running_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        yield s


def test_answering_in_a_browser_fills_the_braze_profile(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/skin-quiz")
    expect(page.get_by_role("heading", level=1)).to_have_text("How does your skin feel by midday?")
    page.get_by_label("Shiny all over").check()
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Fewer breakouts").check()
    page.get_by_label("Even tone").check()
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Two or three steps").check()
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Email").fill("Browser.User@Example.com")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Send me skincare tips").check()
    page.get_by_role("button", name="Show my routine").click()

    expect(page.locator("#outcome")).to_have_text("The Clear Skin routine")

    users = wait_for(lambda: stack.export_by_email("browser.user@example.com"), bool, timeout=20)
    assert len(users) == 1
    profile = users[0]
    assert profile["email"] == "browser.user@example.com"
    assert profile["first_name"] == "Robin"
    assert profile["email_subscribe"] == "opted_in"
    custom = profile["custom_attributes"]
    assert custom["skin_type"] == "oily"
    assert custom["skin_goals"] == ["breakouts", "dark_spots"]
    assert custom["routine_length"] == "short"
    assert custom["skin_quiz_routine"] == "clear_skin"


def test_a_missing_answer_is_shown_on_the_screen_and_nothing_moves_on(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/skin-quiz")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check")
    expect(page.locator("#el-skin_type .error")).to_have_text("Pick the closest is required")
    expect(page.get_by_role("heading", level=1)).to_have_text("How does your skin feel by midday?")
    assert stack.row_counts()["responses"] == 0


def test_the_page_works_without_javascript(stack: Stack, page: Page) -> None:
    page.context.close()
    context = page.context.browser.new_context(java_script_enabled=False)  # type: ignore[union-attr]
    p = context.new_page()
    p.goto(stack.base + "/e/skin-quiz")
    p.get_by_label("Comfortable").check()
    p.get_by_role("button", name="Next").click()
    expect(p.get_by_role("heading", level=1)).to_have_text("What would you like to work on?")
    assert stack.row_counts()["answers"] == 1  # the first screen is stored already (partial capture)
    context.close()
