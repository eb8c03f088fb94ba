"""Where a returning respondent continues: after the last screen submitted, as the rules route."""

from __future__ import annotations

from tests.support.logic_definitions import branching
from zeroparty.domain.experience.resume import previous_screen, resume_screen


def test_nothing_submitted_yet_starts_at_the_first_screen() -> None:
    assert resume_screen(branching(), {}, ()) == "habit"


def test_the_screen_after_the_last_submitted_one_as_the_rules_route() -> None:
    exp = branching()
    assert resume_screen(exp, {"morning": "coffee"}, ("habit",)) == "roast"
    assert resume_screen(exp, {"morning": "tea"}, ("habit",)) == "contact"  # tea drinkers skip the roast
    assert resume_screen(exp, {"morning": "coffee", "roast_level": "dark"}, ("habit", "roast")) == "contact"


def test_a_route_that_ends_on_the_last_submitted_screen_stays_there() -> None:
    assert resume_screen(branching(), {"morning": "nothing"}, ("habit",)) == "habit"


def test_screens_no_longer_in_the_definition_are_passed_over() -> None:
    assert resume_screen(branching(), {"morning": "coffee"}, ("habit", "gone")) == "roast"


def test_back_leads_to_the_screen_before_on_the_route() -> None:

    assert previous_screen(("habit", "contact"), "contact") == "habit"  # the roast screen was skipped
    assert previous_screen(("habit",), "habit") is None
    assert previous_screen(("habit",), "roast") == "habit"  # the screen after the route so far
    assert previous_screen((), "habit") is None
