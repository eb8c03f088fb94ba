"""The outcome samples answered in Chromium: each shows the outcome its strategy picks, the pages on
the way (right-or-wrong after a trivia question, the score, product cards) have no axe-core
violation at phone and desktop widths, and the finder is completed with the keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe import violations_at_widths
from tests.support.stack import Stack, publish_samples, running_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        publish_samples(s, "travel-personality.yaml", "skincare-trivia.yaml", "skincare-finder.yaml")
        yield s


def _accessible(page: Page) -> None:
    """No axe-core violation at a phone's width nor at a laptop's."""
    assert violations_at_widths(page) == {}


def test_the_personality_quiz_shows_the_heaviest_outcome(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/travel-personality")
    page.get_by_label("Queue for the museum").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("A camera").check()
    page.get_by_label("Walking boots").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Email").fill("traveller@example.com")
    page.get_by_role("button", name="Show my match").click()
    expect(page.locator("#outcome")).to_have_text("The Culture Seeker")
    # The call to action is logged on its way (…/go), then lands on the outcome's own link.
    expect(page.get_by_role("link", name="See city breaks")).to_have_attribute("href", re.compile(r"/go$"))
    _accessible(page)
    [profile] = wait_for(lambda: stack.export_by_email("traveller@example.com"), bool, timeout=20)
    assert profile["custom_attributes"]["traveller_type"] == "culture_seeker"


def test_the_trivia_quiz_reveals_answers_and_scores(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/skincare-trivia")
    page.get_by_label("Yes, UV gets through clouds").check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".reveal.right")).to_contain_text("Right!")
    _accessible(page)
    page.get_by_label("Dermis", exact=True).check()
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".reveal.wrong")).to_contain_text("Not quite: Epidermis.")
    _accessible(page)
    page.get_by_label("Glycerin").check()
    page.get_by_label("Hyaluronic acid").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Email").fill("trivia@example.com")
    page.get_by_role("button", name="Show my score").click()
    expect(page.locator("#outcome")).to_have_text("Skin enthusiast")
    expect(page.locator(".score")).to_have_text("You scored 2 out of 3.")
    _accessible(page)
    [profile] = wait_for(lambda: stack.export_by_email("trivia@example.com"), bool, timeout=20)
    assert profile["custom_attributes"]["skin_trivia_score"] == 2


def test_the_product_finder_is_completed_with_the_keyboard_and_shows_products(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/skincare-finder")
    page.keyboard.press("Tab")  # the first radio of the group
    page.keyboard.press("ArrowDown")  # Shiny all over
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("What would you like to work on?")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Fewer breakouts
    page.keyboard.press("Space")
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Which texture do you like?")
    page.keyboard.press("Tab")  # Light gels
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Where should we send your picks?")
    page.keyboard.press("Tab")
    page.keyboard.type("finder@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#outcome")).to_have_text("Your picks for clear, balanced skin")
    cards = page.locator("[data-product]")
    expect(cards).to_have_count(3)
    expect(cards.first.get_by_role("heading")).to_have_text("Clarifying Gel Cleanser")
    expect(cards.first).to_contain_text("12.50 EUR")
    _accessible(page)
    [profile] = wait_for(lambda: stack.export_by_email("finder@example.com"), bool, timeout=20)
    assert profile["custom_attributes"]["skincare_finder_products"][0] == "clarifying-gel"
