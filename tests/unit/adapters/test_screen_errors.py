"""How the page words a screen's problems: each names its question."""

from __future__ import annotations

import pytest

from zeroparty.adapters.http.screen_errors import date_example, date_placeholder, named, screen_problems
from zeroparty.domain.experience.model import Screen


@pytest.mark.parametrize(
    ("label", "message", "shown"),
    [
        ("Mobile number", "is not a GB phone number", "Mobile number is not a GB phone number"),
        ("Email", "An email address must have an @-sign.", "Email: An email address must have an @-sign."),
        ("How old are you?", "must be a whole number", "How old are you must be a whole number"),
        ("Pick one:", "is required", "Pick one is required"),
        ("Email", "", "Email"),
    ],
)
def test_a_message_names_its_question(label: str, message: str, shown: str) -> None:
    assert named(label, message) == shown


def test_the_summary_follows_the_screens_order_and_links_each_control() -> None:
    screen = Screen.model_validate(
        {
            "id": "s",
            "title": "T",
            "elements": [
                {"id": "a", "type": "text", "label": "First"},
                {"id": "b", "type": "email", "label": "Second"},
            ],
        }
    )
    problems, messages = screen_problems(screen, {"b": "is required", "a": "is too long"})
    assert [(p.target, p.message) for p in problems] == [("in-a", "First is too long"), ("in-b", "Second is required")]
    assert messages == {"a": "First is too long", "b": "Second is required"}


def test_dates_are_asked_in_the_experiences_order() -> None:
    assert (date_placeholder(None), date_example(None)) == ("DD/MM/YYYY", "31/12/1990")
    assert (date_placeholder("mdy"), date_example("mdy")) == ("MM/DD/YYYY", "12/31/1990")
