"""In Chromium: the pages work under their strict Content-Security-Policy (no violation reported), and
the API docs render from this server alone after signing in with an operator token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, worker=False) as s:
        yield s


def _watch(page: Page) -> tuple[list[str], list[str]]:
    """(CSP violations and errors reported in the console, hosts other than ours requested)."""
    problems: list[str] = []
    elsewhere: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" or "Content Security Policy" in msg.text:
            problems.append(msg.text)

    def on_request(req: Request) -> None:
        host = urlsplit(req.url).hostname
        if host not in ("127.0.0.1", None) and not req.url.startswith("data:"):
            elsewhere.append(req.url)

    page.on("console", on_console)
    page.on("request", on_request)
    return problems, elsewhere


def test_a_respondent_meets_no_policy_violation(stack: Stack, page: Page) -> None:
    problems, elsewhere = _watch(page)
    page.goto(stack.base + "/e/skin-quiz")
    page.get_by_label("Shiny all over").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert problems == [] and elsewhere == []


def test_the_api_docs_render_offline_after_signing_in(stack: Stack, page: Page) -> None:
    problems, elsewhere = _watch(page)
    page.goto(stack.base + "/docs")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # sent to the login page
    page.get_by_label("API token").fill(stack.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/experiences/{slug}/responses")).to_be_visible()
    assert stack.token not in page.content()
    assert problems == [] and elsewhere == [], (problems, elsewhere)
