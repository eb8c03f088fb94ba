"""Each outcome strategy over real HTTP: the JSON API answers with the outcome the server chose
from the answers, the hosted pages show it (right or wrong after a question, the score, product
cards), and the score and the products reach Braze (the sandbox) as attributes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.definitions import ROOT
from tests.support.stack import Stack, running_stack
from tests.support.waiting import wait_for
from zeroparty.cli.experiences import load_definition_file
from zeroparty.domain.experience.hidden import HiddenField

SAMPLES = ("travel-personality.yaml", "skincare-trivia.yaml", "skincare-finder.yaml")


def _publish(stack: Stack) -> None:
    for name in SAMPLES:
        exp, problems = load_definition_file(ROOT / "examples" / name)
        assert exp is not None, problems
        stack.rt.experiences.publish(exp, stack.now())


@pytest.fixture
def samples(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        _publish(s)
        yield s


def _api(stack: Stack, slug: str, answers: dict[str, Any], email: str) -> httpx.Response:
    body = {"answers": answers, "inputs": {"email": email}}
    return httpx.post(f"{stack.base}/api/v1/experiences/{slug}/responses", json=body)


CASES = [
    ("travel-personality", {"first_morning": "museum", "must_pack": ["camera", "boots"]}, "culture_seeker"),
    ("travel-personality", {"first_morning": "pool", "must_pack": ["camera"]}, "relaxer"),
    ("skincare-trivia", {"spf": "yes", "skin_layer": "epidermis", "humectants": ["glycerin"]}, "enthusiast"),
    ("skincare-trivia", {"spf": "no", "skin_layer": "dermis", "humectants": ["mineral_oil"]}, "beginner"),
    ("skincare-finder", {"finder_skin_type": "oily", "finder_goals": ["breakouts"]}, "oily_routine"),
]


@pytest.mark.parametrize(("slug", "answers", "outcome"), CASES)
def test_the_json_api_answers_with_the_strategys_outcome(
    samples: Stack, slug: str, answers: dict[str, Any], outcome: str
) -> None:
    r = _api(samples, slug, answers, f"{outcome}@example.com")
    assert r.status_code == 201, r.text
    assert r.json()["outcome"] == outcome
    shown = httpx.get(samples.base + r.headers["location"], headers=samples.auth).json()
    assert shown["outcome"] == outcome  # stored with the response


def test_the_score_and_the_products_reach_braze(samples: Stack) -> None:
    trivia = {"spf": "yes", "skin_layer": "epidermis", "humectants": ["glycerin", "hyaluronic_acid"]}
    assert _api(samples, "skincare-trivia", trivia, "score@example.com").status_code == 201
    finder = {"finder_skin_type": "dry", "finder_goals": ["hydration"], "finder_texture": "cream"}
    assert _api(samples, "skincare-finder", finder, "products@example.com").status_code == 201
    [scored] = wait_for(lambda: samples.export_by_email("score@example.com"), bool, timeout=20)
    assert scored["custom_attributes"]["skin_trivia_score"] == 3
    assert scored["custom_attributes"]["skin_trivia_level"] == "expert"
    [shopper] = wait_for(lambda: samples.export_by_email("products@example.com"), bool, timeout=20)
    assert shopper["custom_attributes"]["skincare_finder_products"] == [
        "gentle-cleanser",
        "rich-moisturiser",
        "hyaluronic-serum",
    ]


def _post(c: httpx.Client, url: str, data: dict[str, Any]) -> str:
    r = c.post(url, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_the_trivia_pages_reveal_each_answer_and_show_the_score(samples: Stack) -> None:
    with httpx.Client(base_url=samples.base) as c:
        second = _post(c, "/e/skincare-trivia", {"spf": "no"})
        page = c.get(second).text
        assert 'class="reveal wrong"' in page and "Not quite: Yes, UV gets through clouds." in page
        third = _post(c, second, {"skin_layer": "epidermis"})
        assert 'class="reveal right"' in c.get(third).text
        fourth = _post(c, third, {"humectants": ["glycerin", "hyaluronic_acid"]})
        assert 'class="reveal right"' in c.get(fourth).text
        outcome = c.get(_post(c, fourth, {"email": "pages-trivia@example.com"})).text
        assert 'data-outcome="enthusiast"' in outcome and "You scored 2 out of 3." in outcome
        # The call to action is logged on its way to the outcome's own link.
        go = re.search(r'href="([^"]+/go)">Go further</a>', outcome)
        assert go is not None
        followed = c.get(go.group(1), follow_redirects=False)
        assert followed.status_code == 303 and followed.headers["location"] == "https://example.com/guides/further"


def test_the_finder_page_shows_product_cards(samples: Stack) -> None:
    with httpx.Client(base_url=samples.base) as c:
        second = _post(c, "/e/skincare-finder", {"finder_skin_type": "oily"})
        third = _post(c, second, {"finder_goals": ["breakouts", "dark_spots"]})
        fourth = _post(c, third, {"finder_texture": "gel"})
        outcome = c.get(_post(c, fourth, {"email": "pages-finder@example.com"})).text
    assert re.findall(r'data-product="([^"]+)"', outcome) == ["clarifying-gel", "oil-free-gel", "niacinamide-serum"]
    assert "12.50 EUR" in outcome and 'href="https://example.com/products/clarifying-gel"' in outcome


def test_a_redirect_ending_sends_the_browser_on(samples: Stack) -> None:
    exp, _ = load_definition_file(ROOT / "examples" / "travel-personality.yaml")
    assert exp is not None
    away = exp.outcomes[0].model_copy(update={"ending": "redirect", "redirect_url": "https://example.com/trips"})
    samples.rt.experiences.publish(exp.model_copy(update={"outcomes": [away, *exp.outcomes[1:]]}), samples.now())
    with httpx.Client(base_url=samples.base) as c:
        second = _post(c, "/e/travel-personality", {"first_morning": "hike"})
        third = _post(c, second, {"must_pack": ["boots"]})
        done = c.get(_post(c, third, {"email": "away@example.com"}), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "https://example.com/trips"


def test_a_redirect_ending_can_pass_the_links_hidden_values_on(samples: Stack) -> None:
    exp, _ = load_definition_file(ROOT / "examples" / "travel-personality.yaml")
    assert exp is not None
    away = [
        o.model_copy(
            update={"ending": "redirect", "redirect_url": "https://example.com/trips?ref=quiz", "pass_values": True}
        )
        for o in exp.outcomes
    ]
    hidden = HiddenField(key="utm_campaign")
    samples.rt.experiences.publish(exp.model_copy(update={"outcomes": away, "hidden_fields": [hidden]}), samples.now())
    with httpx.Client(base_url=samples.base) as c:
        second = _post(c, "/e/travel-personality?utm_campaign=spring&other=x", {"first_morning": "hike"})
        third = _post(c, second, {"must_pack": ["boots"]})
        done = c.get(_post(c, third, {"email": "passed@example.com"}), follow_redirects=False)
    assert (
        done.status_code == 303 and done.headers["location"] == "https://example.com/trips?ref=quiz&utm_campaign=spring"
    )


def test_a_message_ending_shows_the_text_alone(samples: Stack) -> None:
    exp, _ = load_definition_file(ROOT / "examples" / "skincare-finder.yaml")
    assert exp is not None
    quiet = [o.model_copy(update={"ending": "message"}) for o in exp.outcomes]
    samples.rt.experiences.publish(exp.model_copy(update={"outcomes": quiet}), samples.now())
    with httpx.Client(base_url=samples.base) as c:
        second = _post(c, "/e/skincare-finder", {"finder_skin_type": "dry"})
        third = _post(c, second, {"finder_goals": ["hydration"]})
        fourth = _post(c, third, {"finder_texture": "cream"})
        outcome = c.get(_post(c, fourth, {"email": "message@example.com"})).text
    assert 'data-outcome="care_routine"' in outcome and "keep moisture in" in outcome
    assert "data-product" not in outcome
