"""Attribute mapping in Chromium: an owner renames an attribute, sees the preview follow as they type,
saves, sends a test profile and finds the new name on the profile in the sandbox's profile browser;
the pages are clean for axe at a phone's and a laptop's width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe import violations_at_widths
from tests.support.console import PASSWORD, People, people
from tests.support.stack import SANDBOX_KEY, Stack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, worker=False) as s:
        yield s


def _sign_in(page: Page, stack: Stack, who: People) -> None:
    page.goto(stack.base + "/admin/login")
    page.get_by_label("Email").fill(who.owner)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_rename_an_attribute_and_find_it_on_the_sandbox_profile(stack: Stack, page: Page) -> None:
    who = people(stack)
    _sign_in(page, stack, who)
    page.goto(f"{stack.base}/admin/w/{who.first.slug}/destinations/sandbox")
    page.get_by_role("link", name="Attribute mapping").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attribute mapping")
    assert violations_at_widths(page) == {}
    preview = page.locator("#mapping-preview")
    expect(preview).to_contain_text('"skin_type"')
    name = page.get_by_label("Name in Braze for skin_type")
    name.fill("skin_profile")
    expect(preview).to_contain_text('"skin_profile"')  # redrawn as you type
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_role("status")).to_have_text("Mapping saved.")
    expect(page.get_by_label("Name in Braze for skin_type")).to_have_value("skin_profile")

    page.get_by_role("link", name="Send a test profile").click()
    page.get_by_role("button", name="Send a test profile").click()
    expect(page.get_by_role("status")).to_contain_text("Test passed")
    assert violations_at_widths(page) == {}
    expect(page.locator("body")).not_to_contain_text(SANDBOX_KEY)
    link = page.get_by_role("link", name="Open the profile in the sandbox's profile browser")
    target = link.get_attribute("href")
    assert target is not None
    link.click()
    if "/_sandbox/ui/login" in page.url:
        page.get_by_label("Sandbox API key").fill(SANDBOX_KEY)
        page.get_by_role("button", name="Sign in").click()
        if page.url != target:
            page.goto(target)
    attrs = page.locator("#custom-attributes")
    expect(attrs).to_contain_text("skin_profile")
    expect(attrs).not_to_contain_text("skin_type")
