"""Running axe-core (shipped by the axe-playwright-python wheel) in a page or frame."""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, Page


@cache
def _axe_source() -> str:
    spec = find_spec("axe_playwright_python")
    assert spec is not None and spec.origin is not None, "axe-playwright-python is a dev dependency"
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(target: Page | Frame) -> list[dict[str, Any]]:
    """axe-core's violations in `target`'s document, each as `{id, impact, nodes}`. Frames inside it
    are left out (axe would wait a minute for each frame it cannot reach): check them on their own."""
    target.evaluate(_axe_source())
    found = target.evaluate(
        """async () => {
            const results = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
            return results.violations.map(v => ({id: v.id, impact: v.impact,
                                                 nodes: v.nodes.map(n => n.target.join(" "))}));
        }"""
    )
    assert isinstance(found, list)
    return found
