"""Editing an experience in the console as an editor meets it: a definition with a mistake is shown
back with the problem beside its line, fixed in the textarea and published; the pages are axe clean
at phone and laptop widths. Screenshots of each page go to $ZP_SHOTS when set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe import violations_at_widths
from tests.support.console import PASSWORD, People, people
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("console-exp-e2e"), worker=False) as s:
        yield s


@pytest.fixture(scope="module")
def who(stack: Stack) -> People:
    return people(stack)


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("ZP_SHOTS")
    if not folder:
        return
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


def _clean(page: Page) -> None:
    found = violations_at_widths(page)
    assert not found, found


def test_a_mistake_is_shown_beside_its_line_fixed_inline_and_published(stack: Stack, who: People, page: Page) -> None:
    ws = who.first.slug
    page.goto(f"{stack.base}/admin/login")
    page.get_by_label("Email").fill(who.editor)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{stack.base}/admin/w/{ws}/experiences/skin-quiz/edit")
    editor = page.get_by_label("Definition (YAML or JSON)")
    text = editor.input_value()
    assert "slug: skin-quiz" in text
    editor.fill(text.replace("title: Find your skincare routine", "title: ''", 1))
    page.get_by_role("button", name="Publish").click()

    marked = page.locator("li.has-problem")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("title: is empty; it is required")
    line = marked.get_attribute("id")
    assert line is not None
    expect(page.get_by_role("alert")).to_contain_text(f"line {line.removeprefix('line-')} — title")
    _clean(page)
    _shot(page, "experience-edit-problem")

    fixed = editor.input_value().replace("title: ''", "title: Your skincare routine", 1)
    editor.fill(fixed)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("status")).to_contain_text("Valid:")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".notice[role=status]")).to_contain_text("Published: a new version is live.")
    expect(page.locator("tbody tr").first).to_contain_text("current")
    expect(page.locator("tbody tr").first.locator("th")).to_have_text("2")
    expect(page.get_by_role("button", name="Roll back to version 1")).to_be_visible()
    page.get_by_role("link", name="Show the preview").click()
    expect(page.frame_locator("iframe.preview.phone").get_by_role("heading", level=1)).to_be_visible()
    _clean(page)
    _shot(page, "experience-page")

    page.goto(f"{stack.base}/admin/w/{ws}/experiences")
    expect(page.get_by_role("link", name="Your skincare routine")).to_be_visible()
    _clean(page)
    _shot(page, "experiences")
    page.goto(f"{stack.base}/admin/w/{ws}/experiences/skin-quiz/analytics")
    expect(page.get_by_role("heading", name="Funnel")).to_be_visible()
    _clean(page)
    _shot(page, "experience-analytics")
