"""The elements a screen of an experience holds, and the field types and text rules they share.

A destination's own limits (attribute names, how many values an array attribute keeps) are not
this package's to know: whoever validates a definition passes them in as `TargetRules`, through
pydantic's validation context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from zeroparty.domain.experience.conditions import Line
from zeroparty.domain.experience.translatable import TEXT
from zeroparty.domain.untrusted import definition_text_problem


def _no_attribute_rule(_name: str) -> str | None:
    return None


@dataclass(frozen=True)
class TargetRules:
    """What the destination of the answers accepts. Without any, only the experience's own rules
    apply (a stored definition read back was checked against them when it was published)."""

    attribute_problem: Callable[[str], str | None] = _no_attribute_rule  # why a name cannot be written
    max_selected: int | None = None  # the most values one array attribute keeps


def rules_of(info: ValidationInfo) -> TargetRules:
    """The rules passed to `model_validate(..., context=rules)`, or none."""
    return info.context if isinstance(info.context, TargetRules) else TargetRules()


def _within_max_selected(value: int | None, info: ValidationInfo) -> int | None:
    limit = rules_of(info).max_selected
    if value is not None and limit is not None and value > limit:
        # The wording and error type of a `le` bound, which this check was before it moved here.
        raise PydanticCustomError("less_than_equal", "Input should be less than or equal to {le}", {"le": limit})
    return value


SLUG = r"^[a-z0-9][a-z0-9-]{0,99}$"
IDENT = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"
URL = r"^https?://"
COUNTRY = r"^[A-Za-z]{2}$"
KEY = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"  # a hidden field's key: a URL parameter's name

# The patterns above, in the words shown to authors.
PATTERN_RULES = {
    SLUG: "must be lowercase letters, digits and hyphens, starting with a letter or digit, at most 100 characters",
    IDENT: "must be letters, digits and underscores, starting with a letter, at most 100 characters",
    URL: "must start with https:// or http://",
    COUNTRY: "must be a two-letter ISO 3166-1 country code such as GB",
    KEY: "must be letters, digits and underscores, starting with a letter, at most 64 characters",
}

Ident = Annotated[str, Field(pattern=IDENT, description="Letters, digits and _; starts with a letter.")]
CountryCode = Annotated[
    str,
    Field(pattern=COUNTRY, description="ISO 3166-1 alpha-2 code national phone numbers are read in."),
    AfterValidator(str.upper),
]


def _required_line(value: str) -> str:
    problem = definition_text_problem(value, required=True)
    if problem:
        raise ValueError(problem)
    return value


def _optional_line(value: str | None) -> str | None:
    return None if value is None else _required_line(value)


def _long_text(value: str | None) -> str | None:
    problem = None if value is None else definition_text_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


# Required one-line texts (titles, labels, option values): whitespace only counts as missing.
REQUIRED = AfterValidator(_required_line)
# Body and descriptions may hold tabs and line breaks.
_LONG = AfterValidator(_long_text)
LongText = Annotated[str | None, Field(max_length=5000), _LONG]


class DefinitionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(DefinitionModel):
    value: Annotated[str, Field(min_length=1, max_length=255), REQUIRED]
    label: Annotated[str, Field(min_length=1, max_length=500), REQUIRED, TEXT]
    braze_value: Annotated[
        str | None,
        Field(min_length=1, max_length=255, description="Sent to Braze instead of `value` (e.g. F for gender)."),
        AfterValidator(_optional_line),
    ] = None

    # What an option adds to the outcome strategies (domain/experience/weights.py, score.py, feed.py).
    weights: Annotated[
        dict[Ident, Annotated[int, Field(ge=-10, le=10)]] | None,
        Field(description="Points (-10 to 10) this option adds to outcomes, by outcome id (strategy weights)."),
    ] = None
    correct: bool | None = Field(None, description="A right answer (outcome_strategy: score).")
    tags: Annotated[
        dict[Ident, Annotated[list[Line], Field(min_length=1, max_length=50)]] | None,
        Field(description="Feed column -> values a product must hold to match (outcome_strategy: feed)."),
    ] = None

    @property
    def sent(self) -> str:
        """What Braze receives when this option is chosen."""
        return self.value if self.braze_value is None else self.braze_value


class _Element(DefinitionModel):
    id: Ident
    label: Annotated[str, Field(min_length=1, max_length=1000), REQUIRED, TEXT]
    required: bool = False
    attribute: Annotated[Line | None, Field(description="Braze attribute name this element fills.")] = None


class SingleChoice(_Element):
    type: Literal["single_choice"]
    options: Annotated[list[Option], Field(min_length=1, max_length=50)]


class MultiChoice(_Element):
    type: Literal["multi_choice"]
    options: Annotated[list[Option], Field(min_length=1, max_length=50)]
    # The destination caps this (`TargetRules.max_selected`: Braze's array attributes keep at most
    # 500 values); whether it fits the destinations' `array_limit` is `domain.array_limit`'s check.
    max_selected: Annotated[
        int | None,
        Field(ge=1, description="The most options one answer may pick."),
        AfterValidator(_within_max_selected),
    ] = None


class EmailInput(_Element):
    """The respondent's email: the Braze identifier (`email`) for everything this response sends."""

    type: Literal["email"]


class TextInput(_Element):
    type: Literal["text"]
    max_length: Annotated[int, Field(ge=1, le=255)] = 255
    phone_country: CountryCode | None = None


class NumberInput(_Element):
    """A number: sent to Braze as a number attribute."""

    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool | None = Field(None, description="Only whole numbers.")


class DateInput(_Element):
    """A calendar date: sent to Braze as a time attribute (or as `dob`)."""

    type: Literal["date"]


ConsentPurpose = Literal["email_marketing", "subscription_group", "custom"]


class Consent(_Element):
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


Element = Annotated[
    SingleChoice | MultiChoice | EmailInput | TextInput | NumberInput | DateInput | Consent,
    Field(discriminator="type"),
]
INPUT_TYPES = frozenset({"email", "text", "number", "date", "consent"})
CHOICE_TYPES = frozenset({"single_choice", "multi_choice"})

ELEMENT_TYPES = ("single_choice", "multi_choice", "email", "text", "number", "date", "consent")
