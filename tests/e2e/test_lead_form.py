"""The lead form sample answered in Chromium from a campaign link: the UTM values the link carries,
the phone number, the date of birth and the consent reach the Braze profile in Braze's formats."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.stack import Stack, publish_samples, running_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        publish_samples(s, "vip-signup.yaml")
        yield s


def test_a_campaign_link_fills_the_profile_with_its_utm_values(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/vip-signup?utm_source=newsletter&utm_medium=email&utm_campaign=Spring%20VIP&other=x")
    page.get_by_role("textbox", name="Email", exact=True).fill("lead@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Mobile number").fill("07700 900123")
    page.get_by_label("Email me offers and news").check()
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Date of birth").fill("03/04/1990")  # day first: the form reads dates dmy
    page.get_by_label("Female").check()
    page.get_by_label("Country").fill("France")
    page.get_by_label("Shoe size (EU)").fill("38")
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#outcome")).to_have_text("Welcome to the club")

    [profile] = wait_for(lambda: stack.export_by_email("lead@example.com"), bool, timeout=20)
    assert profile["first_name"] == "Ada"
    assert profile["phone"] == "+447700900123"
    assert profile["dob"] == "1990-04-03"
    assert profile["gender"] == "F"
    assert profile["country"] == "FR"
    assert profile["email_subscribe"] == "opted_in"
    custom = profile["custom_attributes"]
    assert custom["shoe_size_eu"] == 38
    # The declared values the link brought, and nothing it brought undeclared.
    assert (custom["utm_source"], custom["utm_medium"], custom["utm_campaign"]) == ("newsletter", "email", "Spring VIP")
    assert "other" not in custom
