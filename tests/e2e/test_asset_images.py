"""In Chromium: a cleaned SVG renders as an image, and an SVG opened as a page of its own runs no
script and loads nothing, even one the cleaner never saw (stored behind its back): its policy
(`default-src 'none'`) holds on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request

from tests.support.images import LOGO_SVG, image_bytes
from tests.support.stack import Stack, running_stack
from zeroparty.adapters.db.assets import SqlAssets
from zeroparty.domain.assets import AssetInfo, StoredAsset, name_for

pytestmark = pytest.mark.e2e

HOSTILE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="document.title=\'onload ran\'">'
    b"<script>document.title = 'script ran'</script>"
    b'<image href="http://elsewhere.invalid/pixel.png" width="1" height="1"/>'
    b'<rect width="10" height="10" fill="red"/></svg>'
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, worker=False, destination=False, sandbox=False) as s:
        yield s


def test_stored_images_render_in_a_page(stack: Stack, page: Page) -> None:
    urls = [stack.base + stack.rt.assets.add(data, "x").info.name.url for data in (LOGO_SVG, image_bytes("webp", 6, 4))]
    page.set_content("".join(f'<img src="{url}" alt="">' for url in urls))
    page.wait_for_load_state("load")
    widths = page.eval_on_selector_all("img", "images => images.map(i => i.complete && i.naturalWidth)")
    assert all(w and w > 0 for w in widths), widths


def test_an_svg_opened_as_a_page_runs_no_script_and_loads_nothing(stack: Stack, page: Page) -> None:
    name = name_for(HOSTILE, "svg")
    # Stored as is, past the cleaner: what the policy alone does.
    SqlAssets(stack.rt.engine).add(
        StoredAsset(AssetInfo(name, len(HOSTILE), None, None, "x", datetime.now(UTC)), HOSTILE)
    )
    blocked: list[str] = []
    failed: dict[str, str | None] = {}

    def on_console(msg: ConsoleMessage) -> None:
        if "Content Security Policy" in msg.text:
            blocked.append(msg.text)

    def on_failed(req: Request) -> None:
        failed[req.url] = req.failure

    page.on("console", on_console)
    page.on("requestfailed", on_failed)
    page.goto(stack.base + name.url)
    page.wait_for_load_state("load")
    assert "ran" not in page.title()
    assert blocked, "Chromium reported no blocked script"
    # The browser never asks the network: the policy stops it first.
    assert failed == {"http://elsewhere.invalid/pixel.png": "csp"}, failed
