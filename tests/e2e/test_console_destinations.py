"""A marketer in the console, in a real browser: signs in, connects Braze (the sandbox) with a wrong
key and is told exactly why, then with the right one; finds a dead letter with Braze's reason and
replays it until it is delivered. Each page is axe-clean at a phone's and a laptop's width."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.axe import LAPTOP, violations_at_widths
from tests.support.console import PASSWORD, people
from tests.support.stack import SANDBOX_AUTH, SANDBOX_KEY, Stack, running_stack
from zeroparty.bootstrap import deliveries_service

REFUSED = "dora@example.com"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        yield s


def _sign_in(page: Page, stack: Stack, email: str) -> None:
    page.goto(f"{stack.base}/admin/w/{stack.rt.workspace.slug}/destinations")
    expect(page).to_have_url(f"{stack.base}/admin/login?next=/admin/w/{stack.rt.workspace.slug}/destinations")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Destinations")).to_be_visible()


def _connect(page: Page, stack: Stack, key: str) -> None:
    page.get_by_label("Name").fill("braze-eu")
    page.get_by_label("Braze instance").select_option("custom")
    page.get_by_label("REST endpoint").fill(stack.sandbox)
    page.get_by_label("REST API key").fill(key)
    page.get_by_role("button", name="Check key and save").click()


def test_connecting_braze_says_why_a_key_is_refused_then_saves_the_right_one(stack: Stack, page: Page) -> None:
    owner = people(stack).owner
    page.set_viewport_size(LAPTOP)
    _sign_in(page, stack, owner)
    page.get_by_role("link", name="Connect Braze").click()
    assert violations_at_widths(page) == {}
    page.set_viewport_size(LAPTOP)
    _connect(page, stack, "wrong-key-0000")
    problem = page.locator("#api_key-error")
    expect(problem).to_contain_text("refused (HTTP 401 'Invalid API Key')")
    expect(page.get_by_label("REST API key")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name")).to_have_value("braze-eu")  # what was typed stays, the key does not
    expect(page.get_by_label("REST API key")).to_have_value("")
    assert violations_at_widths(page) == {}
    assert [d.name for d in stack.rt.destinations.list()] == ["sandbox"]  # nothing saved
    page.set_viewport_size(LAPTOP)
    _connect(page, stack, SANDBOX_KEY)
    expect(page.get_by_role("heading", name="Connected to Braze")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Braze accepted the key")
    page.get_by_role("link", name="Open braze-eu").click()
    expect(page.locator("body")).not_to_contain_text(SANDBOX_KEY)
    assert violations_at_widths(page) == {}


def _dead_letter(stack: Stack) -> None:
    """A response whose profile Braze refuses (400 to every request while the fault lasts): the item is
    dead-lettered with Braze's reason; then Braze accepts again."""
    fault = {"kind": "status", "status": 400, "ratio": 1, "path": "/users/track"}
    httpx.post(f"{stack.sandbox}/_sandbox/faults", json={"faults": [fault]}, headers=SANDBOX_AUTH).raise_for_status()
    answers = {"skin_type": "oily", "skin_goals": ["breakouts"], "routine_length": "none"}
    body = {"answers": answers, "inputs": {"email": REFUSED, "first_name": "Dora", "marketing_opt_in": True}}
    httpx.post(f"{stack.base}/api/v1/experiences/skin-quiz/responses", json=body).raise_for_status()
    deadline = time.monotonic() + 20
    deliveries = deliveries_service(stack.rt.engine, stack.rt.workspace.id)
    while not deliveries.dead():
        assert time.monotonic() < deadline, "the refused item never became a dead letter"
        time.sleep(0.1)
    httpx.delete(f"{stack.sandbox}/_sandbox/faults", headers=SANDBOX_AUTH).raise_for_status()


def test_a_dead_letter_shows_brazes_reason_and_replays(stack: Stack, page: Page) -> None:
    who = people(stack)
    _dead_letter(stack)
    page.set_viewport_size(LAPTOP)
    _sign_in(page, stack, who.editor)
    page.get_by_role("link", name="Deliveries").click()
    row = page.get_by_role("region", name="Dead letters").get_by_role("row").filter(has_text=REFUSED)
    expect(row).to_contain_text("Valid data must be provided")
    assert violations_at_widths(page) == {}
    page.set_viewport_size(LAPTOP)
    page.get_by_label(f"Replay the item for {REFUSED}").check()
    page.get_by_role("button", name="Replay selected").click()
    expect(page.get_by_role("status")).to_contain_text("1 dead letter(s) queued again")
    deadline = time.monotonic() + 20
    while stack.export_by_email(REFUSED) == []:
        assert time.monotonic() < deadline, "the replayed item never reached Braze"
        time.sleep(0.2)
    page.reload()
    expect(page.get_by_text("No dead letters.")).to_be_visible()
    recent = page.get_by_role("region", name="Recent attempts")
    recent.get_by_role("link", name=REFUSED).first.click()
    history = page.get_by_role("region", name="Attempts for this response")
    expect(history.get_by_role("row").nth(1)).to_contain_text("delivered")  # newest first
    expect(history).to_contain_text("dead")
    expect(history).to_contain_text("Valid data must be provided")
    assert violations_at_widths(page) == {}


def test_the_delivery_counters_keep_up_while_the_page_is_open(stack: Stack, page: Page) -> None:
    who = people(stack)
    page.set_viewport_size(LAPTOP)
    _sign_in(page, stack, who.viewer)
    page.get_by_role("link", name="Deliveries").click()
    captured = page.locator("#live-counters dt:text-is('Captured') + dd")
    expect(captured).to_have_text("0")
    expect(page.get_by_text("kept up to date while this page is open")).to_be_visible()
    answers = {"skin_type": "oily", "skin_goals": ["breakouts"], "routine_length": "none"}
    body = {"answers": answers, "inputs": {"email": "eve@example.com", "first_name": "Eve"}}
    httpx.post(f"{stack.base}/api/v1/experiences/skin-quiz/responses", json=body).raise_for_status()
    expect(captured).to_have_text("1", timeout=15_000)  # no reload: the page fetched its figures again
    expect(page.locator("#live-counters dt:text-is('Delivered') + dd")).to_have_text("1", timeout=15_000)
