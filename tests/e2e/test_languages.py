"""The lead form in Chromium in two languages: a French browser gets French texts and labels (axe-core
clean, `<html lang="fr">`), `?lang=en` gets English, and both responses reach the sandbox alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.axe import PHONE, violations_at_widths
from tests.support.stack import Stack, publish_samples, running_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        publish_samples(s, "vip-signup.yaml")
        yield s


@pytest.fixture
def french(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="fr-FR")  # Accept-Language: fr-FR
    yield context.new_page()
    context.close()


def answer(page: Page, email: str, labels: dict[str, str]) -> None:
    page.get_by_role("textbox", name=labels["email"]).fill(email)
    page.get_by_label(labels["first_name"]).fill("Camille")
    page.get_by_label(labels["consent"]).check()
    page.get_by_role("button", name=labels["next"]).click()
    page.get_by_label(labels["gender"]).check()
    page.get_by_label(labels["birthday"]).fill("31/12/1990")
    page.get_by_role("button", name=labels["join"]).click()


def profile_of(stack: Stack, email: str) -> dict[str, Any]:
    [profile] = wait_for(lambda: stack.export_by_email(email), bool, timeout=20)
    kept = {k: v for k, v in profile.items() if k in {"first_name", "gender", "dob", "email_subscribe"}}
    return kept | {"custom": sorted(profile.get("custom_attributes", {}))}  # the completion time differs


def test_a_french_browser_answers_in_french_and_the_profile_is_the_same_as_in_english(
    stack: Stack, french: Page
) -> None:
    page = french
    page.goto(stack.base + "/e/vip-signup")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Où pouvons-nous vous joindre ?")
    page.get_by_role("button", name="Suivant").click()  # nothing answered: the problems, in French
    expect(page.locator(".error-summary h2")).to_have_text("Veuillez vérifier cette réponse")
    expect(page.locator(".error-summary a")).to_have_text("E-mail est obligatoire")
    assert violations_at_widths(page) == {}
    answer(
        page,
        "camille@example.com",
        {
            "email": "E-mail",
            "first_name": "Prénom",
            "consent": "Envoyez-moi des offres",
            "next": "Suivant",
            "gender": "Femme",
            "birthday": "Date de naissance",
            "join": "Rejoindre",
        },
    )
    expect(page.locator("#outcome")).to_have_text("Bienvenue au club")

    page.goto(stack.base + "/e/vip-signup?lang=en")  # the link's language wins over the browser's
    expect(page.locator("html")).to_have_attribute("lang", "en")
    answer(
        page,
        "camille.en@example.com",
        {
            "email": "Email",
            "first_name": "First name",
            "consent": "Email me offers",
            "next": "Next",
            "gender": "Female",
            "birthday": "Date of birth",
            "join": "Join",
        },
    )
    expect(page.locator("#outcome")).to_have_text("Welcome to the club")

    in_french = profile_of(stack, "camille@example.com")
    assert in_french == profile_of(stack, "camille.en@example.com")
    assert in_french["gender"] == "F" and in_french["dob"] == "1990-12-31" and in_french["first_name"] == "Camille"
    assert in_french["email_subscribe"] == "opted_in" and in_french["custom"] == ["vip_signup_completed_at"]
