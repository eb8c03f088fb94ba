"""The elements a screen of an experience holds: choices (`choices.py`), scales (`scales.py`),
inputs, consents and content; and the union a screen's `elements` list is validated as.

The shared parts (patterns, text rules, `TargetRules`) live in `element_base.py` and are named
here too, for the modules that import them from here.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from zeroparty.domain.experience.choices import OTHER, MultiChoice, Option, OtherChoice, SingleChoice
from zeroparty.domain.experience.element_base import (
    COUNTRY,
    HTTPS,
    IDENT,
    IMAGE,
    KEY,
    PATTERN_RULES,
    REQUIRED,
    SLUG,
    URL,
    CountryCode,
    DefinitionModel,
    ElementBase,
    Ident,
    LongText,
    TargetRules,
    rules_of,
    unset_if,
)
from zeroparty.domain.experience.scales import SCALE_TYPES, Nps, OpinionScale, Rating
from zeroparty.domain.experience.translatable import LONG_TEXT
from zeroparty.domain.untrusted import definition_text_problem

__all__ = [
    "COUNTRY",
    "HTTPS",
    "IDENT",
    "IMAGE",
    "KEY",
    "OTHER",
    "PATTERN_RULES",
    "REQUIRED",
    "SCALE_TYPES",
    "SLUG",
    "URL",
    "Consent",
    "Content",
    "CountryCode",
    "DateInput",
    "DefinitionModel",
    "Element",
    "ElementBase",
    "EmailInput",
    "Ident",
    "LongText",
    "LongTextInput",
    "MultiChoice",
    "NumberInput",
    "Nps",
    "OpinionScale",
    "Option",
    "OtherChoice",
    "Rating",
    "SingleChoice",
    "TargetRules",
    "TextInput",
    "rules_of",
    "unset_if",
]


class EmailInput(ElementBase):
    """The respondent's email: the Braze identifier (`email`) for everything this response sends."""

    type: Literal["email"]


class TextInput(ElementBase):
    type: Literal["text"]
    max_length: Annotated[int, Field(ge=1, le=255)] = 255
    phone_country: CountryCode | None = None


class LongTextInput(ElementBase):
    """Several lines of text, in a text area."""

    type: Literal["long_text"]
    max_length: Annotated[int | None, Field(ge=1, le=5000, description="At most 5000 (default 2000).")] = None

    @property
    def most(self) -> int:
        return self.max_length or 2000


class NumberInput(ElementBase):
    """A number: sent to Braze as a number attribute."""

    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool | None = Field(None, description="Only whole numbers.")


class DateInput(ElementBase):
    """A calendar date: sent to Braze as a time attribute (or as `dob`)."""

    type: Literal["date"]


ConsentPurpose = Literal["email_marketing", "subscription_group", "custom"]


class Consent(ElementBase):
    """A checkbox, sent when the response completes (its final state). `email_marketing` sets
    Braze's `email_subscribe` (`opted_in` when ticked; `unsubscribed` when an opt-out box is
    ticked); `subscription_group` subscribes to (or, opt-out, unsubscribes from) the group the
    destination maps the consent key to; `custom` writes true/false to `attribute`."""

    type: Literal["consent"]
    purpose: ConsentPurpose = "email_marketing"
    meaning: Literal["opt_in", "opt_out"] | None = Field(
        None, description="opt_in (default): ticking gives consent; opt_out: ticking withdraws it."
    )
    subscription_group: Annotated[
        str | None, Field(pattern=IDENT, description="Consent key; each destination maps it to a group id.")
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _group_implies_purpose(cls, data: Any) -> Any:
        # `subscription_group: newsletter` alone says what the box is for.
        if isinstance(data, dict) and data.get("subscription_group") is not None and "purpose" not in data:
            return {**data, "purpose": "subscription_group"}
        return data

    @property
    def opt_out(self) -> bool:
        return self.meaning == "opt_out"

    @property
    def consent_key(self) -> str:
        """What the consent is about: the group's key, `email_marketing`, or the custom attribute."""
        if self.purpose == "subscription_group":
            return str(self.subscription_group)
        return self.purpose if self.purpose == "email_marketing" else str(self.attribute)


def _markdown(value: str) -> str:
    problem = definition_text_problem(value, required=True, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


class Content(DefinitionModel):
    """Text between the questions, in a small safe subset of Markdown (rendered by
    `domain.experience.content`). It takes no answer: no label, attribute or `required`."""

    id: Ident
    type: Literal["content"]
    text: Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(_markdown), LONG_TEXT] = Field(
        description="Markdown: paragraphs, *emphasis*, **strong**, https links, lists, ## headings, images."
    )
    # What every element answers to, for the code that walks a screen's elements.
    required: ClassVar[bool] = False
    attribute: ClassVar[str | None] = None

    @property
    def label(self) -> str:
        return ""


Element = Annotated[
    SingleChoice
    | MultiChoice
    | EmailInput
    | TextInput
    | LongTextInput
    | NumberInput
    | DateInput
    | Consent
    | Rating
    | Nps
    | OpinionScale
    | Content,
    Field(discriminator="type"),
]
INPUT_TYPES = frozenset({"email", "text", "long_text", "number", "date", "consent"})
CHOICE_TYPES = frozenset({"single_choice", "multi_choice"})
# Under `answers` in the JSON API: what a respondent picks (choices, points on a scale); the rest
# goes under `inputs`.
PICKED_TYPES = CHOICE_TYPES | SCALE_TYPES

ELEMENT_TYPES = (
    "single_choice",
    "multi_choice",
    "email",
    "text",
    "long_text",
    "number",
    "date",
    "consent",
    "rating",
    "nps",
    "opinion_scale",
    "content",
)
