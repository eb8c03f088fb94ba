"""The progress bar and the honeypot as people meet them: the bar is a named progress bar that
moves on, and the honeypot is never seen, never focused, never announced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.support.stack import Stack, running_stack
from zeroparty.domain.experience.model import Experience

pytestmark = pytest.mark.e2e

VIP = Path(__file__).parents[2] / "examples" / "vip-signup.yaml"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("settings"), worker=False, sandbox=False, destination=False) as s:
        s.rt.experiences.publish(Experience.model_validate(yaml.safe_load(VIP.read_text())), datetime.now(UTC))
        yield s


def test_the_bar_is_named_and_moves_on_and_the_honeypot_is_out_of_reach(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/vip-signup")
    bar = page.get_by_role("progressbar", name="Step 1 of 2")
    expect(bar).to_have_attribute("value", "1")
    trap = page.locator("input[name=zp_website]")
    box = trap.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0  # off-screen, to the left of the page
    expect(page.get_by_role("textbox", name="Leave this empty")).to_have_count(0)  # hidden from screen readers
    focused = []
    for _ in range(12):  # every stop of the keyboard's tour of the page
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.name || document.activeElement.tagName"))
    assert "zp_website" not in focused
    page.get_by_role("textbox", name="Email").fill("bar@example.com")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("progressbar", name="Step 2 of 2")).to_have_attribute("value", "2")
