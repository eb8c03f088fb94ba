"""Conditions over answers, used to pick outcomes. A tiny sandboxed interpreter: no eval."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from zeroparty.domain.untrusted import definition_text_problem, kind_of, not_text

# Each condition is recognised by the one operator key it holds; the order is the one authors read.
OPERATORS = ("equals", "includes", "in", "all", "any", "not")
_OPERATOR_LIST = ", ".join(OPERATORS)
EXAMPLE = "{element: skin_type, equals: dry}"


def checked_line(value: str) -> str:
    problem = definition_text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Line = Annotated[str, AfterValidator(checked_line)]


class _Cond(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _text_or_boolean(value: Any) -> Any:
    # One message, where the str | bool union would report each member's mismatch.
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError(not_text(value))
    return checked_line(value)


class Equals(_Cond):
    element: Line
    equals: Annotated[str | bool, BeforeValidator(_text_or_boolean)]


class Includes(_Cond):
    """A multi-choice answer contains this value."""

    element: Line
    includes: Line


class OneOf(_Cond):
    element: Line
    in_: Annotated[list[Line], Field(alias="in", min_length=1)]


class All(_Cond):
    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(_Cond):
    any: Annotated[list[Condition], Field(min_length=1)]


class Not(_Cond):
    not_: Annotated[Condition, Field(alias="not")]


_TAGS = {"equals": "Equals", "includes": "Includes", "in": "OneOf", "all": "All", "any": "AnyOf", "not": "Not"}


def _shape(value: Any) -> Any:
    """One plain message for a condition that is not one of the six shapes; without it, every
    union member would report its own mismatch."""
    if isinstance(value, _Cond):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"a condition is a mapping such as {EXAMPLE}, not {kind_of(value)}")
    found = [op for op in OPERATORS if op in value]
    if len(found) > 1:
        raise ValueError(
            f"a condition takes one of {_OPERATOR_LIST}; this one has {' and '.join(found)} "
            "(combine conditions with all or any)"
        )
    if not found:
        unknown = sorted(repr(str(k)) for k in value if k != "element")
        if unknown:
            raise ValueError(f"unknown key {', '.join(unknown)}; a condition takes one of {_OPERATOR_LIST}")
        raise ValueError(f"a condition needs one of {_OPERATOR_LIST}")
    return value


def _tag(value: Any) -> str:
    if isinstance(value, _Cond):
        return type(value).__name__
    return next(_TAGS[op] for op in OPERATORS if op in value)  # `_shape` ran first


# Tags are the class names, which the error path printer leaves out.
Condition = Annotated[
    Annotated[Equals, Tag("Equals")]
    | Annotated[Includes, Tag("Includes")]
    | Annotated[OneOf, Tag("OneOf")]
    | Annotated[All, Tag("All")]
    | Annotated[AnyOf, Tag("AnyOf")]
    | Annotated[Not, Tag("Not")],
    Discriminator(_tag),
    BeforeValidator(_shape),
]
for _model in (All, AnyOf, Not):
    _model.model_rebuild()


def evaluate(cond: Condition, answers: Mapping[str, Any]) -> bool:
    match cond:
        case Equals(element=e, equals=v):
            return answers.get(e) == v
        case Includes(element=e, includes=v):
            value = answers.get(e)
            return isinstance(value, list) and v in value
        case OneOf(element=e, in_=values):
            return answers.get(e) in values
        case All(all=parts):
            return all(evaluate(p, answers) for p in parts)
        case AnyOf(any=parts):
            return any(evaluate(p, answers) for p in parts)
        case Not(not_=inner):
            return not evaluate(inner, answers)
    raise AssertionError(f"unknown condition {cond!r}")


def condition_references(cond: Condition) -> Iterator[tuple[str, str | bool]]:
    """Every (element id, compared value) a condition mentions: an option value, or true/false."""
    match cond:
        case Equals(element=e, equals=v):
            yield e, v
        case Includes(element=e, includes=v):
            yield e, v
        case OneOf(element=e, in_=values):
            for v in values:
                yield e, v
        case All(all=parts) | AnyOf(any=parts):
            for p in parts:
                yield from condition_references(p)
        case Not(not_=inner):
            yield from condition_references(inner)
