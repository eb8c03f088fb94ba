"""axe-core in a test's page or frame: the script comes from the pinned axe-playwright-python
package (the file it ships, nothing of its Python), and runs through the DevTools protocol, so the
page's own Content-Security-Policy stays as strict as respondents get it."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from playwright.sync_api import Frame, Page, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1280, "height": 900}
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, one h1, …).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@cache
def _script() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def violations(target: Page | Frame) -> list[str]:
    """Each violation in `target`'s document as 'rule-id: target, target… (help)'; empty when it is
    clean. Frames inside it are left out (axe would wait a minute for each frame it cannot reach):
    check them on their own."""
    target.evaluate(_script())
    found: list[dict[str, Any]] = target.evaluate(
        "async (tags) => (await axe.run(document, {iframes: false, runOnly: {type: 'tag', values: tags}})).violations",
        TAGS,
    )
    return [f"{v['id']}: {', '.join(str(n['target']) for n in v['nodes'])} ({v['help']})" for v in found]


def violations_at_widths(page: Page) -> dict[int, list[str]]:
    """`violations` at a phone's width and at a laptop's, by width, only the widths that have any
    (empty: clean at both). The page is left at the phone's width."""
    found: dict[int, list[str]] = {}
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        problems = violations(page)
        if problems:
            found[size["width"]] = problems
    return found
