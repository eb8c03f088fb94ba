"""`make screenshots`: the main pages as a visitor sees them, taken with the test suite's browser
tooling (Debian's Chromium driven by Playwright) from a server on a throwaway data dir: respondent
pages at a phone's width, console pages at a laptop's. Written to docs/screenshots/ (or the folder
given), shown in the README.

    python -m tests.support.screenshots [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.axe import LAPTOP, PHONE
from tests.support.console import PASSWORD, people
from tests.support.stack import SANDBOX_AUTH, Stack, publish_samples, running_stack
from zeroparty.bootstrap import deliveries_service

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SAMPLES = ("skin-quiz.yaml", "vip-signup.yaml", "style-profile.yaml")


def _respondent(page: Page, stack: Stack, shot: Callable[[str], None]) -> None:
    page.goto(f"{stack.base}/")
    shot("index")
    page.goto(f"{stack.base}/e/skin-quiz")
    shot("quiz-first-screen")
    page.get_by_role("button", name="Next").click()
    page.wait_for_load_state()
    shot("quiz-errors")
    page.goto(f"{stack.base}/e/vip-signup")
    shot("lead-form")
    page.goto(f"{stack.base}/e/style-profile")
    shot("style-profile")


def _console(page: Page, stack: Stack, email: str, shot: Callable[[str], None]) -> None:
    page.goto(f"{stack.base}/admin/login")
    shot("console-login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/w/**")
    shot("console-overview")
    ws = stack.rt.workspace.slug
    page.goto(f"{stack.base}/admin/w/{ws}/experiences")
    shot("console-experiences")
    page.goto(f"{stack.base}/admin/w/{ws}/experiences/skin-quiz/edit")
    editor = page.get_by_label("Definition (YAML or JSON)")
    editor.fill(editor.input_value().replace("type: single_choice", "type: single_choise", 1))
    page.get_by_role("button", name="Check").click()
    page.wait_for_load_state()
    shot("console-experience-problem")
    page.goto(f"{stack.base}/admin/w/{ws}/experiences/skin-quiz/analytics")
    shot("console-analytics")
    page.goto(f"{stack.base}/admin/w/{ws}/destinations")
    shot("console-destinations")
    page.goto(f"{stack.base}/admin/w/{ws}/destinations/new")
    page.get_by_label("Name").fill("braze-us")
    page.get_by_label("REST API key").fill("not-a-real-key")
    page.get_by_label("Braze instance").select_option("custom")
    page.get_by_label("REST endpoint").fill(f"{stack.sandbox}")
    page.get_by_role("button", name="Check key and save").click()
    page.wait_for_load_state()
    shot("console-destination-refused")
    page.goto(f"{stack.base}/admin/w/{ws}/destinations/sandbox")
    shot("console-destination")
    page.goto(f"{stack.base}/admin/w/{ws}/destinations/sandbox/mapping")
    shot("console-mapping")
    page.goto(f"{stack.base}/admin/w/{ws}/destinations/sandbox/test")
    page.get_by_role("button", name="Send a test profile").click()
    page.wait_for_load_state()
    shot("console-test-send")
    page.goto(f"{stack.base}/admin/w/{ws}/deliveries")
    shot("console-deliveries")
    page.goto(f"{stack.base}/admin/w/{ws}/people?email=ada%40example.com")
    shot("console-person")
    page.goto(f"{stack.base}/admin/w/{ws}/people/erase?email=ada%40example.com")
    shot("console-erase")
    page.goto(f"{stack.base}/admin/w/{ws}/members")
    shot("console-members")
    page.goto(f"{stack.base}/admin/w/{ws}/audit")
    shot("console-audit")


PEOPLE = ("ada", "grace", "hedy", "katherine", "radia")


def _traffic(stack: Stack) -> None:
    """A few responses delivered to the sandbox, and one Braze refused (a dead letter to show)."""
    answers = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"}
    url = f"{stack.base}/api/v1/experiences/skin-quiz/responses"
    for name in PEOPLE:
        inputs = {"email": f"{name}@example.com", "first_name": name.title(), "marketing_opt_in": True}
        httpx.post(url, json={"answers": answers, "inputs": inputs}).raise_for_status()
    deliveries = deliveries_service(stack.rt.engine, stack.rt.workspace.id)
    _until(lambda: sum(s.delivered for s in deliveries.stats()) >= len(PEOPLE))
    fault = {"kind": "status", "status": 400, "ratio": 1, "path": "/users/track"}
    httpx.post(f"{stack.sandbox}/_sandbox/faults", json={"faults": [fault]}, headers=SANDBOX_AUTH).raise_for_status()
    inputs = {"email": "dora@example.com", "first_name": "Dora"}
    httpx.post(url, json={"answers": answers, "inputs": inputs}).raise_for_status()
    _until(lambda: bool(deliveries.dead()))
    httpx.delete(f"{stack.sandbox}/_sandbox/faults", headers=SANDBOX_AUTH).raise_for_status()


def _until(done: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the demo traffic was not delivered in time")
        time.sleep(0.1)


def _smaller(path: Path) -> None:
    """256 colours are plenty for these pages and make the committed files a third of the size."""
    with Image.open(path) as shown:
        fewer = shown.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    fewer.save(path, optimize=True)


def take(out: Path, browser: Browser | None = None) -> list[Path]:
    """Every picture, into `out`; with the given browser, or one of its own."""
    if browser is None:
        with sync_playwright() as pw:
            own = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                return take(out, own)
            finally:
                own.close()
    out.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    with tempfile.TemporaryDirectory() as data, running_stack(Path(data), worker=True) as stack:
        publish_samples(stack, *SAMPLES)
        _traffic(stack)
        owner = people(stack).owner
        for size, pages in ((PHONE, "respondent"), (LAPTOP, "console")):
            context = browser.new_context(viewport=size, device_scale_factor=1)
            page = context.new_page()

            def shot(name: str, page: Page = page) -> None:
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=True)
                _smaller(path)
                taken.append(path)

            if pages == "respondent":
                _respondent(page, stack, shot)
            else:
                _console(page, stack, owner, shot)
            context.close()
    return taken


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    for path in take(target):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
