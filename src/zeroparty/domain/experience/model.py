"""Experience definitions: the published, immutable description of screens, elements and outcomes.

Authors write these as YAML or JSON; the JSON Schema for editors is generated from these models
(`Experience.model_json_schema()`). Semantic checks (unique ids, rule references, attribute names)
run as a model validator so one `Experience.model_validate` reports everything; the destination's
rules come in as the validation context (`elements.TargetRules`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, model_validator

from zeroparty.domain.experience.conditions import Condition, Line
from zeroparty.domain.experience.elements import (
    REQUIRED,
    SLUG,
    URL,
    CountryCode,
    DefinitionModel,
    Element,
    EmailInput,
    Ident,
    LongText,
    TextInput,
    rules_of,
)
from zeroparty.domain.experience.logic import Rule, ScreenRef, Variable
from zeroparty.domain.experience.semantics import semantic_problems
from zeroparty.domain.experience.standard_fields import DateOrder, FieldContext


class Screen(DefinitionModel):
    id: Ident
    title: Annotated[str, Field(min_length=1, max_length=500), REQUIRED]
    body: LongText = None
    elements: Annotated[list[Element], Field(min_length=1, max_length=50)]
    button: Annotated[str, Field(min_length=1, max_length=100), REQUIRED] = "Next"
    # Left out when unset (None, not []), so a definition without logic keeps its stored form.
    rules: Annotated[
        list[Rule] | None,
        Field(max_length=50, description="Run in order after this screen is submitted; the first jump wins."),
    ] = None
    next: ScreenRef | None = Field(None, description="A later screen to go to when no rule jumps.")


class Outcome(DefinitionModel):
    id: Ident
    title: Annotated[str, Field(min_length=1, max_length=500), REQUIRED]
    description: LongText = None
    url: Annotated[Line | None, Field(max_length=2000, pattern=URL)] = None
    when: Condition | None = Field(default=None, description="Chosen when this holds; omit on the fallback.")


class Experience(DefinitionModel):
    slug: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1, max_length=500), REQUIRED]
    description: LongText = None
    screens: Annotated[list[Screen], Field(min_length=1, max_length=100)]
    outcome_attribute: Annotated[Line | None, Field(description="Braze attribute receiving the outcome id.")] = None
    completion_attribute: Annotated[
        Line | None, Field(description="Braze time attribute set to the completion time.")
    ] = None
    phone_country: CountryCode | None = None
    date_order: DateOrder | None = Field(None, description="How 03/04/1990 is read: dmy (default) or mdy.")
    outcomes: Annotated[list[Outcome], Field(min_length=1, max_length=100)]
    variables: Annotated[
        list[Variable] | None,
        Field(max_length=100, description="Numbers and texts rules set; usable in conditions and {{name}} text."),
    ] = None

    @model_validator(mode="after")
    def _semantics(self, info: ValidationInfo) -> Experience:
        problems = list(semantic_problems(self, rules_of(info)))
        if problems:
            raise ValueError("\n".join(f"{path}: {msg}" for path, msg in problems))
        return self

    @property
    def declared_variables(self) -> list[Variable]:
        return self.variables or []

    def elements(self) -> dict[str, tuple[Screen, Element]]:
        return {el.id: (screen, el) for screen in self.screens for el in screen.elements}

    def stored_form(self) -> dict[str, Any]:
        """The definition as it is published and kept: JSON values, fields by alias, unset options left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def email_element(self) -> EmailInput | None:
        return next((el for _s, el in self.elements().values() if isinstance(el, EmailInput)), None)

    def field_context(self, el: Element | None = None, today: date | None = None) -> FieldContext:
        """How an element's values are normalised for Braze's standard fields."""
        own = el.phone_country if isinstance(el, TextInput) else None
        return FieldContext(phone_country=own or self.phone_country, date_order=self.date_order or "dmy", today=today)


def canonical_text(stored: Any) -> str:
    """One text per stored definition (`Experience.stored_form`), whatever its key order: two
    publications of the same definition compare equal."""
    return json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
