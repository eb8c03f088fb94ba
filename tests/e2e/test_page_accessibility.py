"""The respondent pages as a screen-reader or keyboard user meets them, at a phone's and a laptop's
width: axe-core finds nothing on the sample experiences' screens, their error states and the
outcome; an error names its question, the summary links to it, and focus lands on the first one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.support.axe import violations
from tests.support.stack import Stack, running_stack
from zeroparty.cli.experiences import load_definition_file

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).parents[2] / "examples"
WIDTHS: dict[str, ViewportSize] = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("a11y"), worker=False, sandbox=False, destination=False) as s:
        for path in sorted(EXAMPLES.glob("*.yaml")):
            exp, problems = load_definition_file(path)  # as `experiences import` reads it: a feed's CSV too
            assert exp is not None, problems
            s.rt.experiences.publish(exp, datetime.now(UTC))
        yield s


@pytest.fixture(params=sorted(WIDTHS))
def wide_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=WIDTHS[request.param])
    yield context.new_page()
    context.close()


def test_every_sample_screen_its_errors_and_the_outcome_are_clean(stack: Stack, wide_page: Page) -> None:
    page = wide_page
    for path in sorted(EXAMPLES.glob("*.yaml")):
        slug = yaml.safe_load(path.read_text())["slug"]
        page.goto(f"{stack.base}/e/{slug}")
        assert violations(page) == [], slug
        page.get_by_role("button").last.click()  # nothing answered: the error state
        expect(page.locator(".error-summary")).to_be_visible()
        assert violations(page) == [], f"{slug}, with errors"
    page.goto(stack.base + "/e/skin-quiz")
    for choice in ("Shiny all over", "Fewer breakouts", "Two or three steps"):
        page.get_by_label(choice).check()
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("link", name="Start over")).to_be_visible()  # every screen after the first
        assert violations(page) == [], f"the screen after {choice}"
    page.get_by_label("Email").fill("a11y@example.com")
    page.get_by_role("button", name="Show my routine").click()
    expect(page.locator("#outcome")).to_be_visible()
    assert violations(page) == [], "outcome"


def test_errors_name_their_question_link_to_it_and_take_the_focus(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/vip-signup")
    page.locator("#in-email").fill("not-an-email")
    page.get_by_label("Mobile number").fill("12")
    page.get_by_role("button", name="Next").click()

    links = page.locator(".error-summary a")
    expect(links).to_have_count(2)
    expect(links.first).to_have_text("Email: An email address must have an @-sign.")
    expect(links.nth(1)).to_contain_text("Mobile number is not a GB phone number")
    expect(page.locator("#in-email")).to_be_focused()  # the first problem, without a script
    links.nth(1).click()
    expect(page.locator("#in-phone")).to_be_focused()
    # The phone box looks like every other box, error border included.
    widths = page.evaluate("['in-email', 'in-phone'].map(id => document.getElementById(id).offsetWidth)")
    assert widths[0] == widths[1]
    expect(page.locator("#in-phone")).to_have_css("border-top-color", "rgb(179, 38, 30)")


def test_a_choice_groups_error_is_tied_to_the_group(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/skin-quiz")
    page.get_by_role("button", name="Next").click()
    group = page.get_by_role("group", name="Pick the closest")
    expect(group).to_have_attribute("aria-describedby", "err-skin_type")
    expect(page.locator("#err-skin_type")).to_have_text("Pick the closest is required")
    expect(page.get_by_label("Tight or flaky")).to_be_focused()
    expect(page.get_by_label("Tight or flaky")).to_have_attribute("aria-invalid", "true")


def test_a_date_is_asked_in_the_experiences_order_not_the_browsers(stack: Stack, page: Page) -> None:
    page.goto(stack.base + "/e/vip-signup")
    page.locator("#in-email").fill("dates@example.com")
    page.get_by_role("button", name="Next").click()
    birthday = page.get_by_label("Date of birth")
    expect(birthday).to_have_attribute("type", "text")  # not the picker, which writes mm/dd/yyyy in en-US
    expect(birthday).to_have_attribute("placeholder", "DD/MM/YYYY")
    expect(birthday).to_have_accessible_description("For example, 31/12/1990")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_brand_theme_keeps_the_pages_clean_in_light_and_dark(stack: Stack, browser: Browser, scheme: str) -> None:
    context = browser.new_context(viewport=WIDTHS["phone"], color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    try:
        page.goto(stack.base + "/e/skin-quiz")  # its theme: a green brand colour, rounded type, mode auto
        button = page.get_by_role("button", name="Next")
        expect(button).to_have_css("background-color", "rgb(10, 125, 79)")
        expect(page.locator("body")).to_have_css(
            "background-color", "rgb(17, 17, 24)" if scheme == "dark" else "rgb(244, 244, 248)"
        )
        assert violations(page) == []
        button.click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert violations(page) == [], "with errors"
    finally:
        context.close()
