"""Experience definitions: the published, immutable description of screens, elements and outcomes.

Authors write these as YAML or JSON; the JSON Schema for editors is generated from these models
(`Experience.model_json_schema()`). Semantic checks (unique ids, rule references, attribute names)
run as a model validator so one `Experience.model_validate` reports everything; the destination's
rules come in as the validation context (`elements.TargetRules`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from zeroparty.domain.experience.conditions import Condition, Line
from zeroparty.domain.experience.element_base import unset_if
from zeroparty.domain.experience.elements import (
    HTTPS,
    IMAGE,
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
from zeroparty.domain.experience.feed import Feed
from zeroparty.domain.experience.hidden import MAX_FIELDS as MAX_HIDDEN
from zeroparty.domain.experience.hidden import HiddenField
from zeroparty.domain.experience.i18n import DEFAULT_LANGUAGE, LANGUAGE_TAG, TAG_RULE
from zeroparty.domain.experience.logic import Rule, ScreenRef, Variable
from zeroparty.domain.experience.publishing import ExperienceSettings
from zeroparty.domain.experience.score import ScoreBand
from zeroparty.domain.experience.semantics import semantic_problems
from zeroparty.domain.experience.standard_fields import DateOrder, FieldContext
from zeroparty.domain.experience.theme import Theme
from zeroparty.domain.experience.translatable import LONG_TEXT, TEXT, Translatable, label_problems, translation_problems

NEXT = Translatable(builtin="next")  # a button left as "Next" is the built-in label, in each language

Strategy = Literal["rules", "weights", "score", "feed"]
Ending = Literal["outcome", "message", "redirect"]


class Screen(DefinitionModel):
    id: Ident
    title: Annotated[str, Field(min_length=1, max_length=500), REQUIRED, TEXT]
    body: Annotated[LongText, LONG_TEXT] = None
    elements: Annotated[list[Element], Field(min_length=1, max_length=50)]
    button: Annotated[str, Field(min_length=1, max_length=100), REQUIRED, NEXT] = "Next"
    # Left out when unset (None, not []), so a definition without logic keeps its stored form.
    rules: Annotated[
        list[Rule] | None,
        Field(max_length=50, description="Run in order after this screen is submitted; the first jump wins."),
    ] = None
    next: ScreenRef | None = Field(None, description="A later screen to go to when no rule jumps.")


class CallToAction(DefinitionModel):
    label: Annotated[str, Field(min_length=1, max_length=100), REQUIRED, TEXT]
    url: Annotated[str, Field(max_length=2000, pattern=HTTPS)]


class Outcome(DefinitionModel):
    id: Ident
    title: Annotated[str, Field(min_length=1, max_length=500), REQUIRED, TEXT]
    description: Annotated[LongText, LONG_TEXT] = Field(None, description="The outcome's body text.")
    url: Annotated[Line | None, Field(max_length=2000, pattern=URL)] = None
    image: Annotated[
        str | None, Field(max_length=2000, pattern=IMAGE, description="An https URL or an asset name.")
    ] = None
    cta: CallToAction | None = Field(None, description="The call to action: a button label and its https URL.")
    ending: Annotated[Ending | None, unset_if("outcome")] = Field(
        None, description="outcome (default): the outcome page; message: title and text only; redirect: redirect_url."
    )
    redirect_url: Annotated[str | None, Field(max_length=2000, pattern=HTTPS)] = None
    pass_values: Annotated[bool | None, unset_if(False)] = Field(
        None, description="Append the experience's declared values to redirect_url."
    )
    when: Condition | None = Field(default=None, description="Chosen when this holds; omit on the fallback.")

    # Options left unset stay out of the stored form, so definitions published before them keep
    # comparing equal (an unchanged file publishes nothing); these read them with their defaults.
    @property
    def ends_with(self) -> Ending:
        return self.ending or "outcome"


class Experience(DefinitionModel):
    slug: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1, max_length=500), REQUIRED, TEXT]
    description: LongText = None
    screens: Annotated[list[Screen], Field(min_length=1, max_length=100)]
    outcome_attribute: Annotated[Line | None, Field(description="Braze attribute receiving the outcome id.")] = None
    completion_attribute: Annotated[
        Line | None, Field(description="Braze time attribute set to the completion time.")
    ] = None
    phone_country: CountryCode | None = None
    date_order: DateOrder | None = Field(None, description="How 03/04/1990 is read: dmy (default) or mdy.")
    outcomes: Annotated[list[Outcome], Field(min_length=1, max_length=100)]
    theme: Theme | None = None  # brand colour, logo, type, corners, light/dark (domain/experience/theme.py)
    settings: ExperienceSettings | None = None  # listing, embedding (domain/experience/publishing.py)
    # None, not []: a default is left out of the stored form, so re-importing an unchanged file
    # publishes nothing new (definitions are compared as canonical JSON).
    hidden_fields: Annotated[
        list[HiddenField] | None,
        Field(max_length=MAX_HIDDEN, description="Values taken from the link, the embedding page or the API."),
    ] = None
    outcome_strategy: Annotated[Strategy | None, unset_if("rules")] = Field(
        None, description="rules (default): first outcome whose `when` holds; weights; score (score_bands); feed."
    )
    score_bands: Annotated[list[ScoreBand] | None, Field(max_length=100)] = None
    reveal_answers: Annotated[bool | None, unset_if(False)] = Field(
        None, description="Show right or wrong after each scored question."
    )
    score_attribute: Annotated[Line | None, Field(description="Braze attribute receiving the score.")] = None
    feed: Feed | None = None
    products_attribute: Annotated[
        Line | None, Field(description="Braze attribute receiving the ids of the products shown.")
    ] = None
    variables: Annotated[
        list[Variable] | None,
        Field(max_length=100, description="Numbers and texts rules set; usable in conditions and {{name}} text."),
    ] = None
    # Languages (domain/experience/i18n.py, translatable.py); all left out when unset.
    language: Annotated[str | None, unset_if(DEFAULT_LANGUAGE)] = Field(
        None, description="The language the definition's texts are written in: a tag such as en or fr-CA (default en)."
    )
    translations: Annotated[dict[str, dict[str, Any]] | None, Field(max_length=20)] = Field(
        None, description="The author's texts in other languages: language → the same nesting as the definition."
    )
    labels: Annotated[dict[str, dict[str, str]] | None, Field(max_length=21)] = Field(
        None, description="Built-in labels (next, required, step, ...) reworded, by language."
    )

    @model_validator(mode="after")
    def _semantics(self, info: ValidationInfo) -> Experience:
        problems = list(semantic_problems(self, rules_of(info))) + self._language_problems()
        if problems:
            raise ValueError("\n".join(f"{path}: {msg}" for path, msg in problems))
        return self

    def _language_problems(self) -> list[tuple[str, str]]:
        problems = [] if self.language is None or LANGUAGE_TAG.fullmatch(self.language) else [("language", TAG_RULE)]
        problems += translation_problems(self, self.translations or {}, self.default_language)
        return problems + label_problems(self.labels or {}, set(self.languages))

    @property
    def default_language(self) -> str:
        return self.language or DEFAULT_LANGUAGE

    @property
    def languages(self) -> list[str]:
        """The languages respondents may see it in: its own first, then its translations'."""
        return [self.default_language, *(t for t in self.translations or {} if t != self.default_language)]

    @property
    def strategy(self) -> Strategy:
        return self.outcome_strategy or "rules"

    @property
    def declared_variables(self) -> list[Variable]:
        return self.variables or []

    def elements(self) -> dict[str, tuple[Screen, Element]]:
        return {el.id: (screen, el) for screen in self.screens for el in screen.elements}

    def stored_form(self) -> dict[str, Any]:
        """The definition as it is published and kept: JSON values, fields by alias, unset options left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def hidden(self) -> list[HiddenField]:
        """The hidden fields declared (`domain.experience.hidden`), none when none are."""
        return self.hidden_fields or []

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
