"""What every element of a screen shares: its id, label and attribute, the patterns and text rules
of a definition, and the destination's rules (`TargetRules`).

A destination's own limits (attribute names, how many values an array attribute keeps) are not
this package's to know: whoever validates a definition passes them in as `TargetRules`, through
pydantic's validation context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo
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


def within_max_selected(value: int | None, info: ValidationInfo) -> int | None:
    limit = rules_of(info).max_selected
    if value is not None and limit is not None and value > limit:
        # The wording and error type of a `le` bound, which this check was before it moved here.
        raise PydanticCustomError("less_than_equal", "Input should be less than or equal to {le}", {"le": limit})
    return value


SLUG = r"^[a-z0-9][a-z0-9-]{0,99}$"
IDENT = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"
URL = r"^https?://"
HTTPS = r"^https://[^\s<>\"']+$"
# An image: an https URL, or a stored asset's name (`zeroparty assets add`).
IMAGE = r"^(https://[^\s<>\"']+|asset:[0-9a-f]{64}\.(png|jpg|jpeg|webp|svg))$"
COUNTRY = r"^[A-Za-z]{2}$"
KEY = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"  # a hidden field's key: a URL parameter's name

# The patterns above, in the words shown to authors.
PATTERN_RULES = {
    SLUG: "must be lowercase letters, digits and hyphens, starting with a letter or digit, at most 100 characters",
    IDENT: "must be letters, digits and underscores, starting with a letter, at most 100 characters",
    URL: "must start with https:// or http://",
    COUNTRY: "must be a two-letter ISO 3166-1 country code such as GB",
    KEY: "must be letters, digits and underscores, starting with a letter, at most 64 characters",
    HTTPS: "must be an https:// URL",
    IMAGE: "must be an https:// URL or an asset name (asset:<sha256>.png)",
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


def optional_line(value: str | None) -> str | None:
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


def unset_if(default: object) -> AfterValidator:
    """A default spelt out is stored as left out, so both publish the same version."""
    return AfterValidator(lambda value: None if value == default else value)


class ElementBase(DefinitionModel):
    id: Ident
    label: Annotated[str, Field(min_length=1, max_length=1000), REQUIRED, TEXT]
    required: bool = False
    attribute: Annotated[Line | None, Field(description="Braze attribute name this element fills.")] = None
