"""Hidden fields: the values an experience takes from outside its screens — a link's URL parameters
(`?utm_source=newsletter`), the page that embeds it, or a JSON API client — each declared by the
definition with what it accepts. Undeclared names are ignored, never stored: a link can carry
anything, and only what the author asked for becomes part of a response.

A hidden value is kept with the response's answers under its key (no screen), so it reaches the
response export, the outcome rules' inputs and, when it names one, a profile attribute."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zeroparty.domain.experience.conditions import Line
from zeroparty.domain.experience.elements import KEY
from zeroparty.domain.experience.publishing import RESERVED_PARAMETERS
from zeroparty.domain.untrusted import kind_of, text_problem

MAX_FIELDS = 30
MAX_LENGTH = 255  # a URL parameter is a label (a campaign, a source), not a document
NO_SCREEN = ""  # the screen id stored with a hidden value: it was answered on none
# A repeated group that itself repeats, as in (a+)+: Python's matcher may take exponential time on
# such a pattern, and the value comes from anyone's link, so the definition may not hold one.
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def _compiles(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"is not a regular expression: {exc}") from None
        if _NESTED_REPEAT.search(pattern):
            raise ValueError("must not repeat a group that itself repeats, such as (a+)+: it can take exponential time")
    return pattern


def _not_reserved(key: str) -> str:
    if key in RESERVED_PARAMETERS:
        raise ValueError(f"'{key}' is a parameter of zeroparty's own pages; choose another key")
    return key


class HiddenField(BaseModel):
    """One value an experience accepts from outside its screens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[
        str,
        Field(pattern=KEY, description="The URL parameter / JSON key: letters, digits and _, at most 64."),
        AfterValidator(_not_reserved),
    ]
    max_length: Annotated[int, Field(ge=1, le=MAX_LENGTH)] = 100
    pattern: Annotated[
        str | None,
        Field(max_length=200, description="A regular expression the whole value must match."),
        AfterValidator(_compiles),
    ] = None
    attribute: Annotated[Line | None, Field(description="Braze attribute this value fills.")] = None


def value_problem(field: HiddenField, value: Any) -> str | None:
    """Why `value` cannot be `field`'s value, or None."""
    if isinstance(value, list):  # a link's parameter given twice reads as a list: one value is taken
        return "is given more than once; it takes one value"
    if not isinstance(value, str):
        return f"must be text, not {kind_of(value)}"
    if len(value) > field.max_length:
        return f"must be at most {field.max_length} characters"
    problem = text_problem(value)
    if problem:
        return problem
    if field.pattern is not None and re.fullmatch(field.pattern, value) is None:
        return f"must match the pattern {field.pattern}"
    return None


def hidden_values(fields: list[HiddenField], raw: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The declared values among `raw` (empty ones left out) and, for each bad one, (key, why).
    Names not declared are dropped without a word."""
    values: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for field in fields:
        if field.key not in raw or raw[field.key] in ("", None):
            continue
        value = raw[field.key]
        problem = value_problem(field, value)
        if problem:
            problems.append((field.key, problem))
        else:
            values[field.key] = value
    return values, problems
