"""Validating an experience definition for Braze: the experience's own rules plus Braze's limits on
what it writes (attribute names, values kept in an array attribute).

The experience package knows no destination; this is where Braze's rules are handed to it.
"""

from __future__ import annotations

from typing import Any

from zeroparty.domain.braze_fields import attribute_name_problem
from zeroparty.domain.destination_settings import MAX_ARRAY_LIMIT
from zeroparty.domain.experience import validation
from zeroparty.domain.experience.elements import TargetRules
from zeroparty.domain.experience.model import Experience

BRAZE_RULES = TargetRules(attribute_problem=attribute_name_problem, max_selected=MAX_ARRAY_LIMIT)


def definition_problems(data: object) -> tuple[Experience | None, list[tuple[str, str]]]:
    """Validate raw definition data; (experience, []) when valid, else (None, [(path, message)]).

    Paths and messages are printable as they are: whatever the input held, they hold no control
    character or unpaired surrogate."""
    return validation.definition_problems(data, BRAZE_RULES)


def definition_schema() -> dict[str, Any]:
    """The JSON Schema editors check definitions with: the experience's, with Braze's array size."""
    schema = Experience.model_json_schema()
    for branch in schema["$defs"]["MultiChoice"]["properties"]["max_selected"]["anyOf"]:
        if branch.get("type") == "integer":
            branch["maximum"] = MAX_ARRAY_LIMIT
    return schema
