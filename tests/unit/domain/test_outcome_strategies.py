"""Each outcome strategy, table-driven over the shipped samples: the same answers always pick the
same outcome, score and products."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.definitions import ROOT
from zeroparty.cli.experiences import load_definition_file
from zeroparty.domain.experience.mapping import profile_attributes
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.outcomes import choose_outcome, result
from zeroparty.domain.experience.score import max_score, reveal, score
from zeroparty.domain.experience.weights import totals


def _example(name: str) -> Experience:
    exp, problems = load_definition_file(ROOT / "examples" / name)
    assert exp is not None, problems
    return exp


@pytest.fixture(scope="module")
def travel() -> Experience:
    return _example("travel-personality.yaml")


@pytest.fixture(scope="module")
def trivia() -> Experience:
    return _example("skincare-trivia.yaml")


@pytest.fixture(scope="module")
def finder() -> Experience:
    return _example("skincare-finder.yaml")


@pytest.mark.parametrize(
    ("answers", "expected", "why"),
    [
        ({"first_morning": "hike", "must_pack": ["boots"]}, "adventurer", "8 + 5"),
        ({"first_morning": "museum", "must_pack": ["camera", "boots"]}, "culture_seeker", "10 against 7"),
        ({"first_morning": "pool", "must_pack": ["novel"]}, "relaxer", "8 + 5; adventurer -3"),
        ({"first_morning": "hike", "must_pack": ["guidebook"]}, "adventurer", "8 against 5"),
        ({"first_morning": "museum", "must_pack": ["boots"]}, "culture_seeker", "8 against 5"),
        ({"first_morning": "hike", "must_pack": []}, "adventurer", "8 alone"),
        ({"must_pack": ["boots", "camera"], "first_morning": "museum"}, "culture_seeker", "answer order is irrelevant"),
        ({}, "adventurer", "all zero: the first outcome"),
    ],
)
def test_weights_pick_the_highest_total(travel: Experience, answers: dict[str, Any], expected: str, why: str) -> None:
    assert choose_outcome(travel, answers).id == expected, why


def test_weights_tie_goes_to_the_outcome_listed_first(travel: Experience) -> None:
    answers = {"first_morning": "pool", "must_pack": ["boots", "guidebook"]}  # relaxer 8, adventurer 2, culture 5
    assert totals(travel, answers) == {"adventurer": 2, "culture_seeker": 5, "relaxer": 8}
    tied = {"must_pack": ["camera"]}  # adventurer 2, culture seeker 2
    assert totals(travel, tied) == {"adventurer": 2, "culture_seeker": 2, "relaxer": 0}
    assert choose_outcome(travel, tied).id == "adventurer"


@pytest.mark.parametrize(
    ("answers", "points", "expected"),
    [
        ({"spf": "no", "skin_layer": "dermis", "humectants": ["mineral_oil"]}, 0, "beginner"),
        ({"spf": "yes", "skin_layer": "dermis", "humectants": ["mineral_oil"]}, 1, "beginner"),
        ({"spf": "yes", "skin_layer": "epidermis", "humectants": ["glycerin"]}, 2, "enthusiast"),
        # A multi choice is right only with exactly the right options.
        ({"spf": "yes", "skin_layer": "epidermis", "humectants": ["glycerin", "hyaluronic_acid"]}, 3, "expert"),
        (
            {"spf": "yes", "skin_layer": "epidermis", "humectants": ["glycerin", "hyaluronic_acid", "mineral_oil"]},
            2,
            "enthusiast",
        ),
        ({}, 0, "beginner"),
    ],
)
def test_score_bands_pick_the_outcome(trivia: Experience, answers: dict[str, Any], points: int, expected: str) -> None:
    assert score(trivia, answers) == points
    assert choose_outcome(trivia, answers).id == expected
    assert max_score(trivia) == 3


def test_the_score_is_an_attribute_sent_with_the_outcome(trivia: Experience) -> None:
    answers = {"spf": "yes", "skin_layer": "epidermis", "humectants": ["glycerin"], "email": "a@example.com"}
    assert profile_attributes(trivia, answers, None) == {}  # not before the response completes
    assert profile_attributes(trivia, answers, "enthusiast") == {
        "skin_trivia_level": "enthusiast",
        "skin_trivia_score": 2,
    }


def test_reveal_says_right_or_wrong_with_the_right_answers(trivia: Experience) -> None:
    q2 = trivia.screens[1]
    [wrong] = reveal(q2, {"skin_layer": "dermis"})
    assert (wrong.element_id, wrong.right, wrong.answers) == ("skin_layer", False, ("Epidermis",))
    [right] = reveal(trivia.screens[2], {"humectants": ["hyaluronic_acid", "glycerin"]})
    assert right.right and right.answers == ("Glycerin", "Hyaluronic acid")
    assert reveal(trivia.screens[3], {"email": "a@example.com"}) == []


@pytest.mark.parametrize(
    ("answers", "outcome", "products"),
    [
        # dry ∧ hydration ∧ cream: two exact matches, then the closest (2 of 3 questions), catalogue order.
        (
            {"finder_skin_type": "dry", "finder_goals": ["hydration"], "finder_texture": "cream"},
            "care_routine",
            ["gentle-cleanser", "rich-moisturiser", "hyaluronic-serum"],
        ),
        # OR within one question: breakouts or dark spots.
        (
            {"finder_skin_type": "oily", "finder_goals": ["breakouts", "dark_spots"], "finder_texture": "gel"},
            "oily_routine",
            ["clarifying-gel", "oil-free-gel", "niacinamide-serum"],
        ),
        # An untagged option (no preference) narrows nothing: three exact matches.
        (
            {"finder_skin_type": "combination", "finder_goals": ["dark_spots"], "finder_texture": "any"},
            "oily_routine",
            ["niacinamide-serum", "vitamin-c-serum", "retinol-night"],
        ),
        # Nothing matches all three: filled with the closest (most questions matched), in catalogue order.
        (
            {"finder_skin_type": "dry", "finder_goals": ["breakouts"], "finder_texture": "gel"},
            "care_routine",
            ["clarifying-gel", "oil-free-gel", "gentle-cleanser"],
        ),
    ],
)
def test_feed_filters_and_fills(finder: Experience, answers: dict[str, Any], outcome: str, products: list[str]) -> None:
    chosen = choose_outcome(finder, answers)
    assert chosen.id == outcome
    shown = result(finder, answers, chosen.id)
    assert shown is not None and [p.id for p in shown.products] == products
    attrs = profile_attributes(finder, answers, chosen.id)
    assert attrs["skincare_finder_products"] == products


def test_feed_exact_shows_only_exact_matches(finder: Experience) -> None:
    assert finder.feed is not None
    exact = finder.model_copy(update={"feed": finder.feed.model_copy(update={"fallback": "exact"})})
    answers = {"finder_skin_type": "dry", "finder_goals": ["hydration"], "finder_texture": "cream"}
    shown = result(exact, answers, "care_routine")
    assert shown is not None and [p.id for p in shown.products] == ["gentle-cleanser", "rich-moisturiser"]
    none = {"finder_skin_type": "dry", "finder_goals": ["breakouts"], "finder_texture": "gel"}
    shown = result(exact, none, "care_routine")
    assert shown is not None and shown.products == ()


def test_rules_stay_as_they_were() -> None:
    exp = _example("skin-quiz.yaml")
    assert exp.strategy == "rules" and "outcome_strategy" not in exp.stored_form()
    spelt_out = Experience.model_validate({**exp.stored_form(), "outcome_strategy": "rules", "reveal_answers": False})
    assert spelt_out.stored_form() == exp.stored_form()
    assert choose_outcome(exp, {"skin_type": "dry", "skin_goals": []}).id == "hydration_boost"
    assert choose_outcome(exp, {"skin_type": "normal", "skin_goals": ["fine_lines"]}).id == "everyday_glow"


def test_the_catalogue_is_published_with_the_definition(finder: Experience) -> None:
    stored = finder.stored_form()
    assert stored["feed"]["file"] == "skincare-products.csv"
    assert [p["id"] for p in stored["feed"]["products"]][:2] == ["gentle-cleanser", "clarifying-gel"]
    assert stored["feed"]["products"][1]["price"] == "12.50"
    assert Experience.model_validate(stored) == finder  # read back without the CSV beside it


def test_samples_exist_for_each_strategy() -> None:
    strategies = {_example(p.name).strategy for p in sorted(Path(ROOT / "examples").glob("*.yaml"))}
    assert strategies == {"rules", "weights", "score", "feed"}


def test_the_forecast_counts_the_score_and_products_attributes(trivia: Experience, finder: Experience) -> None:
    from zeroparty.domain.forecast import attribute_names

    assert attribute_names(trivia) == ["skin_trivia_level", "skin_trivia_score"]
    assert attribute_names(finder)[-2:] == ["skincare_finder_routine", "skincare_finder_products"]


def test_the_json_schema_describes_the_strategies() -> None:
    from zeroparty.domain.braze_definition import definition_schema

    schema = definition_schema()
    assert {"outcome_strategy", "score_bands", "feed", "score_attribute", "products_attribute"} <= set(
        schema["properties"]
    )
    assert {"weights", "correct", "tags"} <= set(schema["$defs"]["Option"]["properties"])
    assert {"image", "cta", "ending", "redirect_url"} <= set(schema["$defs"]["Outcome"]["properties"])
