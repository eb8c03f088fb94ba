"""Conditions over answers, used to pick outcomes. A tiny sandboxed interpreter: no eval."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field


class _Cond(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Equals(_Cond):
    element: str
    equals: str | bool


class Includes(_Cond):
    """A multi-choice answer contains this value."""

    element: str
    includes: str


class OneOf(_Cond):
    element: str
    in_: Annotated[list[str], Field(alias="in", min_length=1)]


class All(_Cond):
    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(_Cond):
    any: Annotated[list[Condition], Field(min_length=1)]


class Not(_Cond):
    not_: Annotated[Condition, Field(alias="not")]


Condition = Union[Equals, Includes, OneOf, All, AnyOf, Not]  # noqa: UP007  (recursive alias)
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


def condition_references(cond: Condition) -> Iterator[tuple[str, str | None]]:
    """Every (element id, compared option value or None) a condition mentions."""
    match cond:
        case Equals(element=e, equals=v):
            yield e, v if isinstance(v, str) else None
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
