"""Conditions over a response: its answers, the inputs it arrived with and its variables. Used to
pick outcomes and by screen rules (`domain.experience.logic`). A tiny sandboxed interpreter: no eval.

A condition is a tree: `all`, `any` and `not` nest; each leaf names what it reads (one of
`element`, `input`, `variable`) and holds one operator with its value."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from zeroparty.domain.untrusted import definition_text_problem, kind_of, not_text

# Each condition is recognised by the one operator key it holds; the order is the one authors read.
OPERATORS = ("equals", "includes", "in", "gt", "gte", "lt", "lte", "answered", "all", "any", "not")
COMPARISONS = ("gt", "gte", "lt", "lte")
_OPERATOR_LIST = ", ".join(OPERATORS)
SUBJECTS = ("element", "input", "variable")
EXAMPLE = "{element: skin_type, equals: dry}"
_EMPTY: Mapping[str, Any] = {}

Literal_ = str | bool | int | float  # what a leaf compares with


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


def _literal(value: Any) -> Any:
    """Text, a number, true or false; one message for anything else."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("should be a finite number")
        return value
    if isinstance(value, str):
        return checked_line(value)
    raise ValueError(f"should be text, a number, true or false, not {kind_of(value)}")


def _number_or_text(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"should be a number or a date such as 2000-01-31, not {kind_of(value)}")
    return _literal(value)


LiteralValue = Annotated[Literal_, BeforeValidator(_literal)]
Bound = Annotated[int | float | str, BeforeValidator(_number_or_text)]


class Ref(BaseModel):
    """What a leaf reads: an answer (`element`), a value the response arrived with (`input`), or a
    variable."""

    model_config = ConfigDict(frozen=True)
    kind: str
    key: str

    def read(self, answers: Mapping[str, Any], inputs: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
        source = {"element": answers, "input": inputs, "variable": variables}[self.kind]
        return source.get(self.key)

    def __str__(self) -> str:
        return f"{self.kind} '{self.key}'"


class _Leaf(_Cond):
    element: Line | None = None
    input: Line | None = None
    variable: Line | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _one_subject(cls, data: Any, handler: ModelWrapValidatorHandler[_Leaf]) -> _Leaf:
        if isinstance(data, dict) and not any(s in data for s in SUBJECTS):
            # Reported as `element` missing (the usual subject), beside whatever else is wrong.
            errors: list[InitErrorDetails] = []
            try:
                handler(data)
            except ValidationError as exc:
                for e in exc.errors():
                    kept: InitErrorDetails = {"type": e["type"], "loc": e["loc"], "input": e["input"]}
                    if "ctx" in e:  # a value_error cannot be raised again without its error
                        kept["ctx"] = e["ctx"]
                    errors.append(kept)
            errors.append({"type": "missing", "loc": ("element",), "input": data})
            raise ValidationError.from_exception_data(cls.__name__, errors)
        leaf = handler(data)
        named = [s for s in SUBJECTS if getattr(leaf, s) is not None]
        if len(named) > 1:
            raise ValueError(f"a condition reads one thing; this one names {' and '.join(named)}")
        return leaf

    @property
    def ref(self) -> Ref:
        kind = next(s for s in SUBJECTS if getattr(self, s) is not None)
        return Ref(kind=kind, key=str(getattr(self, kind)))

    @property
    def operator(self) -> str:
        return next(op for op in OPERATORS if op in type(self).model_fields or f"{op}_" in type(self).model_fields)

    def values(self) -> list[Literal_]:
        """The literals this leaf compares with."""
        return []


class Equals(_Leaf):
    equals: LiteralValue

    def values(self) -> list[Literal_]:
        return [self.equals]


class Includes(_Leaf):
    """A multi-choice answer contains this value."""

    includes: Line

    def values(self) -> list[Literal_]:
        return [self.includes]


class OneOf(_Leaf):
    in_: Annotated[list[LiteralValue], Field(alias="in", min_length=1)]

    def values(self) -> list[Literal_]:
        return list(self.in_)


class _Compare(_Leaf):
    def bound(self) -> int | float | str:
        raise NotImplementedError

    def values(self) -> list[Literal_]:
        return [self.bound()]


class Gt(_Compare):
    gt: Bound

    def bound(self) -> int | float | str:
        return self.gt


class Gte(_Compare):
    gte: Bound

    def bound(self) -> int | float | str:
        return self.gte


class Lt(_Compare):
    lt: Bound

    def bound(self) -> int | float | str:
        return self.lt


class Lte(_Compare):
    lte: Bound

    def bound(self) -> int | float | str:
        return self.lte


class Answered(_Leaf):
    """`answered: true` holds when there is a value; `answered: false` when there is none."""

    answered: bool


class All(_Cond):
    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(_Cond):
    any: Annotated[list[Condition], Field(min_length=1)]


class Not(_Cond):
    not_: Annotated[Condition, Field(alias="not")]


_TAGS = {
    "equals": "Equals",
    "includes": "Includes",
    "in": "OneOf",
    "gt": "Gt",
    "gte": "Gte",
    "lt": "Lt",
    "lte": "Lte",
    "answered": "Answered",
    "all": "All",
    "any": "AnyOf",
    "not": "Not",
}
CONDITION_TAGS = frozenset(_TAGS.values())


def _shape(value: Any) -> Any:
    """One plain message for a condition that is not one of the shapes; without it, every union
    member would report its own mismatch."""
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
        unknown = sorted(repr(str(k)) for k in value if k not in SUBJECTS)
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
    | Annotated[Gt, Tag("Gt")]
    | Annotated[Gte, Tag("Gte")]
    | Annotated[Lt, Tag("Lt")]
    | Annotated[Lte, Tag("Lte")]
    | Annotated[Answered, Tag("Answered")]
    | Annotated[All, Tag("All")]
    | Annotated[AnyOf, Tag("AnyOf")]
    | Annotated[Not, Tag("Not")],
    Discriminator(_tag),
    BeforeValidator(_shape),
]
for _model in (All, AnyOf, Not):
    _model.model_rebuild()


def same(actual: Any, expected: Any) -> bool:
    """Equality that keeps true apart from 1 and false from 0 (Python would not)."""
    return isinstance(actual, bool) == isinstance(expected, bool) and actual == expected


def is_present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _as_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _ordered(actual: Any, bound: Any) -> tuple[Any, Any] | None:
    """Both as numbers, or both as dates; None when they cannot be compared (then nothing holds)."""
    numbers = (int, float)
    if isinstance(actual, bool) or isinstance(bound, bool):
        return None
    if isinstance(actual, numbers) and isinstance(bound, numbers):
        return actual, bound
    if isinstance(actual, str) and isinstance(bound, str):
        a, b = _as_date(actual), _as_date(bound)
        return (a, b) if a is not None and b is not None else None
    return None


def _compare(op: str, actual: Any, bound: Any) -> bool:
    pair = _ordered(actual, bound)
    if pair is None:
        return False
    a, b = pair
    return bool({"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op])


def _leaf(cond: _Leaf, value: Any) -> bool:
    match cond:
        case Equals(equals=v):
            return same(value, v)
        case Includes(includes=v):
            return isinstance(value, list) and v in value
        case OneOf(in_=values):
            return any(same(value, v) for v in values)
        case Answered(answered=wanted):
            return is_present(value) == wanted
        case _Compare():
            return _compare(cond.operator, value, cond.bound())
    raise AssertionError(f"unknown condition {cond!r}")


def evaluate(
    cond: Condition,
    answers: Mapping[str, Any],
    inputs: Mapping[str, Any] = _EMPTY,
    variables: Mapping[str, Any] = _EMPTY,
) -> bool:
    match cond:
        case All(all=parts):
            return all(evaluate(p, answers, inputs, variables) for p in parts)
        case AnyOf(any=parts):
            return any(evaluate(p, answers, inputs, variables) for p in parts)
        case Not(not_=inner):
            return not evaluate(inner, answers, inputs, variables)
        case _Leaf():
            return _leaf(cond, cond.ref.read(answers, inputs, variables))
    raise AssertionError(f"unknown condition {cond!r}")


def leaves(cond: Condition) -> Iterator[_Leaf]:
    """Every leaf of a condition, in the order written."""
    match cond:
        case All(all=parts) | AnyOf(any=parts):
            for p in parts:
                yield from leaves(p)
        case Not(not_=inner):
            yield from leaves(inner)
        case _Leaf():
            yield cond


def condition_references(cond: Condition) -> Iterator[tuple[str, str | bool]]:
    """Every (element id, compared value) an equals/includes/in leaf mentions: an option value, or true/false."""
    for leaf in leaves(cond):
        if leaf.element is not None and isinstance(leaf, Equals | Includes | OneOf):
            for v in leaf.values():
                yield leaf.element, v if isinstance(v, str | bool) else str(v)
