"""A definition with rules, variables and piping, for the logic tests: a coffee quiz where tea
drinkers skip the roast question and a score decides the outcome."""

from __future__ import annotations

import copy
from typing import Any

from zeroparty.domain.experience.model import Experience

BRANCHING: dict[str, Any] = {
    "slug": "coffee-finder",
    "title": "Find your coffee",
    "variables": [
        {"id": "strength", "type": "number", "initial": 0, "attribute": "coffee_strength"},
        {"id": "drink", "type": "text"},
    ],
    "screens": [
        {
            "id": "habit",
            "title": "What do you drink in the morning?",
            "elements": [
                {
                    "id": "morning",
                    "type": "single_choice",
                    "label": "Pick one",
                    "required": True,
                    "attribute": "morning_drink",
                    "options": [
                        {"value": "coffee", "label": "Coffee"},
                        {"value": "tea", "label": "Tea"},
                        {"value": "nothing", "label": "Nothing"},
                    ],
                },
                {"id": "cups", "type": "number", "label": "Cups a day", "integer": True},
            ],
            "rules": [
                {
                    "when": {"element": "morning", "equals": "tea"},
                    "then": [{"set": "drink", "value": "tea"}, {"jump": "contact"}],
                },
                {"when": {"element": "morning", "equals": "nothing"}, "then": [{"end": True}]},
                {"when": {"element": "cups", "gte": 3}, "then": [{"add": "strength", "value": 2}]},
                {"when": {"element": "morning", "equals": "coffee"}, "then": [{"set": "drink", "value": "coffee"}]},
            ],
        },
        {
            "id": "roast",
            "title": "How do you like your {{drink}}?",
            "elements": [
                {
                    "id": "roast_level",
                    "type": "single_choice",
                    "label": "Roast",
                    "required": True,
                    "options": [{"value": "light", "label": "Light"}, {"value": "dark", "label": "Dark"}],
                }
            ],
            "rules": [
                {"when": {"element": "roast_level", "equals": "dark"}, "then": [{"add": "strength", "value": 1}]}
            ],
        },
        {
            "id": "contact",
            "title": "Where do we send your {{drink}} pick?",
            "elements": [{"id": "email", "type": "email", "label": "Email", "required": True}],
        },
    ],
    "outcomes": [
        {"id": "strong", "title": "A strong {{drink}}", "when": {"variable": "strength", "gte": 2}},
        {"id": "tea_pick", "title": "Green tea", "when": {"variable": "drink", "equals": "tea"}},
        {"id": "mild", "title": "A mild {{drink}}"},
    ],
}


def branching_data() -> dict[str, Any]:
    return copy.deepcopy(BRANCHING)


def branching() -> Experience:
    return Experience.model_validate(branching_data())
