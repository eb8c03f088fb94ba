"""The style profile sample answered in Chromium: image cards, a dropdown, a pick-two-or-three
question with an "other" answer, a rating and an NPS scale answered with the keyboard, a text
area and a content block. The outcome its rules pick is shown, the attributes reach the sandbox
(the typed colour in place of a value, the scales as numbers), and no page has an axe-core
violation at a phone's or a laptop's width, error states included."""

from __future__ import annotations

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
        publish_samples(s, "style-profile.yaml")
        yield s


def _clean(page: Page, what: str) -> None:
    assert violations_at_widths(page) == {}, what


def test_the_style_profile_is_answered_with_cards_a_dropdown_other_and_scales(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/style-profile")
    expect(page.get_by_role("heading", name="Two minutes to your style profile")).to_be_visible()
    expect(page.get_by_role("link", name="privacy notice")).to_have_attribute("rel", "noopener noreferrer")
    card = page.get_by_role("radio", name="Galleries and cafés")
    expect(page.locator("label.card-option img[alt='Galleries and cafés']")).to_be_visible()
    _clean(page, "cards")
    page.get_by_role("button", name="Next").click()  # nothing picked: the error names the question
    expect(page.locator(".error-summary")).to_contain_text("Your ideal weekend is required")
    _clean(page, "cards with an error")
    card.check()
    page.get_by_role("button", name="Next").click()

    # Two colours at least; "Another colour" needs its text.
    page.get_by_label("Navy").check()
    page.get_by_role("checkbox", name="Another colour").check()
    page.get_by_label("How do you like your clothes to fit?").select_option("relaxed")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#err-colours")).to_have_text(
        "Which colours do you wear most needs a text typed in for 'Another colour'"
    )
    box = page.get_by_label("Another colour: please say")
    expect(box).to_be_focused()  # where the fix goes, and where the summary links to
    expect(page.locator(".error-summary a")).to_have_attribute("href", "#in-colours-other-text")
    expect(page.get_by_label("Navy")).to_be_checked()  # the answers given are kept
    expect(page.get_by_label("How do you like your clothes to fit?")).to_have_value("relaxed")
    _clean(page, "choices with an error")
    page.get_by_label("Another colour: please say").fill("Teal")
    page.get_by_role("button", name="Next").click()

    # The scales, with the keyboard: Tab into a radio group, arrows move along it.
    page.get_by_role("radio", name="1", exact=True).first.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(
        page.get_by_role("group", name="How much do you enjoy shopping for clothes?").get_by_role("radio", name="4")
    ).to_be_checked()
    page.keyboard.press("Tab")  # on to the NPS group: its first point
    page.keyboard.press("ArrowRight")  # 0 -> 1 ... the arrows select as they move
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    nps = page.get_by_role("group", name="How likely are you to recommend us to a friend?")
    expect(nps.get_by_role("radio", name="9")).to_be_checked()
    page.get_by_label("Anything you can never find?").fill("Long sleeves\nthat fit")
    _clean(page, "scales")
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Email").fill("style@example.com")
    page.get_by_role("button", name="Show my profile").click()
    expect(page.locator("#outcome")).to_have_text("The Bold Original")  # colours include "other"
    _clean(page, "outcome")
    [profile] = wait_for(lambda: stack.export_by_email("style@example.com"), bool, timeout=20)
    attributes = profile["custom_attributes"]
    assert attributes["style_weekend"] == "city"
    assert sorted(attributes["style_colours"]) == ["Teal", "navy"]
    assert attributes["style_fit"] == "relaxed"
    assert attributes["style_shopping_rating"] == 4 and attributes["style_nps"] == 9
    assert attributes["style_profile"] == "bold_original"
