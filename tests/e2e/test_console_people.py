"""Erasing a person in the console as an owner does it in a browser, the Braze sandbox standing in
for Braze: find them, read what is held, open the plan, type the address again, erase; the profile
is gone from the sandbox and the person from the search. Every page axe-clean at phone and laptop
widths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.axe import LAPTOP, PHONE, violations_at_widths
from tests.support.console import PASSWORD, People, people
from tests.support.stack import Stack, running_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

EMAIL = "erin@example.com"
SHOTS = Path("/tmp/shots-d")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("people-e2e"), worker=True) as s:
        yield s


def shoot(page: Page, name: str) -> None:
    """Screenshots at both widths, to look at (not compared)."""
    SHOTS.mkdir(exist_ok=True)
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"), full_page=True)


def _delivered_shown(page: Page) -> bool:
    page.reload()
    return page.get_by_text("delivered", exact=True).count() > 0


def test_an_owner_erases_a_person_in_the_browser(stack: Stack, page: Page) -> None:
    who: People = people(stack)
    r = httpx.post(
        f"{stack.base}/api/v1/experiences/skin-quiz/responses",
        json={
            "answers": {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"},
            "inputs": {"email": EMAIL, "first_name": "Erin", "marketing_opt_in": True},
        },
    )
    assert r.status_code == 201, r.text
    wait_for(lambda: stack.export_by_email(EMAIL), lambda found: len(found) == 1)

    page.goto(f"{stack.base}/admin/login")
    page.get_by_label("Email").fill(who.owner)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{stack.base}/admin/w/{who.first.slug}")
    page.get_by_role("link", name="People").click()
    assert violations_at_widths(page) == {}
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name=EMAIL)).to_be_visible()
    expect(page.get_by_text("Send me skincare tips and offers.")).to_be_visible()
    wait_for(lambda: _delivered_shown(page), bool)  # the worker marks the row a moment after Braze has it
    assert violations_at_widths(page) == {}
    shoot(page, "person")

    page.get_by_role("link", name="Erase this person…").click()
    expect(page.get_by_text("1 profile(s) found, 1 to delete.")).to_be_visible()
    assert violations_at_widths(page) == {}
    shoot(page, "erase-plan")
    page.get_by_label("Type the email address again").fill("erin@example.org")
    page.get_by_role("button", name=f"Erase {EMAIL}").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    assert violations_at_widths(page) == {}
    shoot(page, "erase-typo")
    assert len(stack.export_by_email(EMAIL)) == 1  # the typo erased nothing

    page.get_by_label("Type the email address again").fill(EMAIL)
    page.get_by_role("button", name=f"Erase {EMAIL}").click()
    expect(page.get_by_role("heading", name=f"Erased {EMAIL}")).to_be_visible()
    expect(page.get_by_text("deleted in Braze")).to_be_visible()
    assert violations_at_widths(page) == {}
    shoot(page, "erased")
    assert stack.export_by_email(EMAIL) == []

    page.goto(f"{stack.base}/admin/w/{who.first.slug}/people?email={EMAIL}")
    expect(page.get_by_text(f"Nobody has answered with {EMAIL} in this workspace.")).to_be_visible()
