"""`make screenshots` keeps working: every picture the README shows is taken, at the width it is
meant for, as a real PNG."""

from __future__ import annotations

import struct
from pathlib import Path

from playwright.sync_api import Browser

from tests.support.axe import LAPTOP, PHONE
from tests.support.screenshots import take

README = Path(__file__).resolve().parents[2] / "README.md"


def _width(png: Path) -> int:
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int(struct.unpack(">I", head[16:20])[0])


def test_every_screenshot_is_taken_at_its_width(tmp_path: Path, browser: Browser) -> None:
    taken = take(tmp_path, browser)
    names = {p.stem for p in taken}
    assert {"quiz-first-screen", "console-overview", "console-destinations", "console-deliveries"} <= names
    for path in taken:
        expected = LAPTOP["width"] if path.stem.startswith("console") else PHONE["width"]
        assert _width(path) == expected, path.name
    shown = README.read_text(encoding="utf-8")
    missing = [p.name for p in taken if f"docs/screenshots/{p.name}" not in shown]
    assert not missing, f"taken but not shown in the README: {missing}"
