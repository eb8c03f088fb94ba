"""In Chromium: a brand's page on another site (`localhost`, while zeroparty answers on `127.0.0.1`)
embeds an experience with /embed.js. The frame follows its content's height, gets only the declared
URL parameters, and the page hears of the completion; the lightbox keeps focus inside, closes on
Escape and gives focus back; axe-core finds nothing to report."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.support.axe import violations
from tests.support.definitions import sample_data
from tests.support.stack import Stack, running_stack
from zeroparty.domain.experience.model import Experience

pytestmark = pytest.mark.e2e

HOST_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A shop</title></head>
<body>
<main>
<h1>A shop</h1>
<p>Our products, and a quiz.</p>
<script src="{base}/embed.js" data-experience="skin-quiz" {attributes} async></script>
</main>
<script>
  window.heard = [];
  window.addEventListener("message", function (event) {{
    if (event.origin === location.origin && event.data && event.data.type === "zeroparty:complete") {{
      window.heard.push(event.data);
    }}
  }});
</script>
</body>
</html>
"""


class BrandSite:
    """The brand's site: one page that embeds the experience, on its own port and host name."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.attributes = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = HOST_PAGE.format(base=site.base, attributes=site.attributes).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # the test's output stays quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Another host name than zeroparty's 127.0.0.1: another site, as a brand's page would be.
        self.origin = f"http://localhost:{self.server.server_address[1]}"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, worker=False) as s:
        yield s


@pytest.fixture
def site(stack: Stack) -> Iterator[BrandSite]:
    brand = BrandSite(stack.base)
    thread = threading.Thread(target=brand.server.serve_forever, daemon=True)
    thread.start()
    # Only this site may frame the experience, and it passes on utm_source.
    settings = {"embed_origins": [brand.origin]}
    exp = {**sample_data(), "settings": settings, "hidden_fields": [{"key": "utm_source"}]}
    stack.rt.experiences.publish(Experience.model_validate(exp), datetime.now(UTC))
    yield brand
    brand.server.shutdown()
    brand.server.server_close()


def _experience(page: Page) -> Frame:
    """The experience's frame, once its first screen shows."""
    expect(page.frame_locator("iframe").locator("h1")).to_be_visible()
    return next(f for f in page.frames if f.url.startswith("http://127.0.0.1"))


def _other_than(before: str) -> Callable[[str], bool]:
    return lambda url: url != before


def _sized_to_content(page: Page, frame: Frame) -> int:
    """Wait until the frame element is as tall as its document; that height."""
    content = 0

    def matches() -> bool:
        nonlocal content
        content = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
        return bool(page.evaluate("h => document.querySelector('iframe').style.height === h + 'px'", content))

    for _ in range(100):
        if matches():
            return content
        page.wait_for_timeout(50)
    raise AssertionError(f"the frame never took its content's height ({content}px)")


def test_the_frame_follows_its_content_and_the_page_hears_the_completion(site: BrandSite, page: Page) -> None:
    page.goto(site.origin + "/?utm_source=newsletter&session=private")
    src = page.locator("iframe").get_attribute("src") or ""
    assert src.startswith(site.base + "/e/skin-quiz?embed=1")
    assert "utm_source=newsletter" in src and "private" not in src  # only what it declares
    frame = _experience(page)
    heights = [_sized_to_content(page, frame)]
    answers = [("Shiny all over", "Next"), ("Hydration", "Next"), ("Two or three steps", "Next")]
    for label, button in answers:
        frame.get_by_label(label).check()
        before = frame.url
        frame.get_by_role("button", name=button).click()
        frame.wait_for_url(_other_than(before))
        frame.wait_for_load_state()
        heights.append(_sized_to_content(page, frame))
    frame.get_by_label("Email").fill("embedded@example.com")
    frame.get_by_role("button", name="Show my routine").click()
    outcome = frame.locator("[data-outcome]")
    expect(outcome).to_be_visible()
    heights.append(_sized_to_content(page, frame))
    assert len(set(heights)) > 1, heights  # it grew or shrank with what it showed
    chosen = outcome.get_attribute("data-outcome")
    page.wait_for_function("window.heard.length > 0")
    assert page.evaluate("window.heard") == [
        {"type": "zeroparty:complete", "experience": "skin-quiz", "outcome": chosen}
    ]


def _focus_in_dialog(page: Page) -> bool:
    return bool(page.evaluate("document.activeElement !== null && document.activeElement.closest('dialog') !== null"))


def test_the_lightbox_keeps_focus_inside_closes_on_escape_and_gives_focus_back(site: BrandSite, page: Page) -> None:
    site.attributes = 'data-mode="lightbox" data-label="Find my routine"'
    page.goto(site.origin + "/")
    opener = page.get_by_role("button", name="Find my routine")
    opener.click()
    dialog = page.get_by_role("dialog", name="Find your skincare routine")
    expect(dialog).to_be_visible()
    close = dialog.get_by_role("button", name="Close")
    expect(close).to_be_focused()
    frame = _experience(page)
    assert violations(page) == []  # the page with its dialog open
    assert violations(frame) == []  # and the experience inside it

    went_inside = came_back = False
    for _ in range(8):  # the frame holds a radio group and a button: 8 presses go round more than once
        page.keyboard.press("Tab")
        assert _focus_in_dialog(page)
        inside = bool(page.evaluate("document.activeElement.tagName === 'IFRAME'"))
        went_inside = went_inside or inside
        came_back = came_back or (went_inside and not inside and close.evaluate("b => b === document.activeElement"))
    assert went_inside and came_back

    frame.get_by_label("Shiny all over").focus()  # Escape inside the frame, on the other origin
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()

    opener.press("Enter")  # and Escape on the page's side
    expect(close).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(opener).to_be_focused()
