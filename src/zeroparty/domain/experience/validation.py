"""Validating raw definition data: every problem as one `path: message` line an author can act on.

pydantic's locations and wording are turned into the author's terms (a path into their document, no
union member names); the destination's rules come in as `TargetRules`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from zeroparty.domain.experience.conditions import CONDITION_TAGS, Line
from zeroparty.domain.experience.elements import ELEMENT_TYPES, PATTERN_RULES, CountryCode, TargetRules
from zeroparty.domain.experience.feed import PATTERN_RULES as FEED_PATTERN_RULES
from zeroparty.domain.experience.logic import ACTION_TAGS, Variable
from zeroparty.domain.experience.model import Experience, Outcome, Screen
from zeroparty.domain.experience.semantics import semantic_problems
from zeroparty.domain.experience.standard_fields import DateOrder
from zeroparty.domain.untrusted import BLANK, kind_of, not_text, printable, text_problem


def _is_member_tag(loc: tuple[int | str, ...], i: int) -> bool:
    """Whether loc[i] names the union member tried (an element type, a condition class) rather
    than a field: it says nothing to an author, whose document holds no such key there."""
    part, before = loc[i], loc[max(i - 2, 0) : i]
    if part in ELEMENT_TYPES:
        return len(before) == 2 and before[0] == "elements" and isinstance(before[1], int)
    if part in CONDITION_TAGS:
        return bool(before) and (before[-1] in ("when", "not") or (len(before) == 2 and before[0] in ("all", "any")))
    if part in ACTION_TAGS:
        return len(before) == 2 and before[0] == "then" and isinstance(before[1], int)
    return False


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif not _is_member_tag(loc, i):
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _ctx(err: ErrorDetails, key: str) -> object:
    return err.get("ctx", {}).get(key)


_TYPES = ", ".join(ELEMENT_TYPES)
_ANSWER_FIELDS = frozenset({"label", "required", "attribute"})


def _extra_field(err: ErrorDetails) -> str:
    loc = err["loc"]
    if len(loc) >= 2 and loc[-2] == "content" and loc[-1] in _ANSWER_FIELDS:
        return f"a content element takes no answer, so it has no {loc[-1]}; its text is `text`"
    return "is not a field here; check the spelling"


# pydantic error type -> the wording an author reads; None keeps pydantic's own message.
_WORDING: dict[str, Callable[[ErrorDetails], str | None]] = {
    "string_pattern_mismatch": lambda err: (PATTERN_RULES | FEED_PATTERN_RULES).get(str(_ctx(err, "pattern"))),
    "string_type": lambda err: not_text(err["input"]),
    "string_unicode": lambda err: text_problem(str(err["input"])),
    "string_too_short": lambda err: BLANK if _ctx(err, "min_length") == 1 else None,
    "extra_forbidden": lambda err: _extra_field(err),
    "union_tag_invalid": lambda err: f"unknown type '{_ctx(err, 'tag')}'; use one of {_TYPES}",
    "union_tag_not_found": lambda err: f"Field required (one of {_TYPES})",
    "model_type": lambda err: f"should be a mapping of fields, not {kind_of(err['input'])}",
    "model_attributes_type": lambda err: f"should be a mapping of fields, not {kind_of(err['input'])}",
    "dict_type": lambda err: f"should be a mapping of fields, not {kind_of(err['input'])}",
    "list_type": lambda err: f"should be a list, not {kind_of(err['input'])}",
}


def _message(err: ErrorDetails) -> str:
    """The author-facing wording of one pydantic error."""
    reword = _WORDING.get(err["type"])
    return (reword(err) if reword else None) or err["msg"].removeprefix("Value error, ")


def _problems_of(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "value_error" and not loc:
            # The semantic checks report all their problems in one error, one per line.
            for line in _message(err).splitlines():
                path, _, text = line.partition(": ")
                problems.append((path, text))
            continue
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "type")
        problems.append((_path(loc), _message(err)))
    return problems


def definition_problems(data: object, rules: TargetRules) -> tuple[Experience | None, list[tuple[str, str]]]:
    """Validate raw definition data against the experience's rules and the destination's;
    (experience, []) when valid, else (None, [(path, message)]).

    Paths and messages are printable as they are: whatever the input held, they hold no control
    character or unpaired surrogate."""
    if data is None:
        return None, [
            (
                "(top level)",
                "the definition is empty; it needs slug, title, screens and outcomes (see examples/skin-quiz.yaml)",
            )
        ]
    if not isinstance(data, dict):
        return None, [
            ("(top level)", f"should be a mapping with slug, title, screens and outcomes, not {kind_of(data)}")
        ]
    try:
        return Experience.model_validate(data, context=rules), []
    except ValidationError as exc:
        problems = _problems_of(exc) + _semantics_despite_other_errors(data, rules)
        return None, list(dict.fromkeys((printable(path), printable(message)) for path, message in problems))


def _semantics_despite_other_errors(data: dict[Any, Any], rules: TargetRules) -> list[tuple[str, str]]:
    """When only unrelated fields are broken (a missing title, say), still check the screens and
    outcomes against each other, so an author sees every problem in one run."""
    try:
        screens = TypeAdapter(list[Screen]).validate_python(data.get("screens"), context=rules)
        outcomes = TypeAdapter(list[Outcome]).validate_python(data.get("outcomes"), context=rules)
        outcome_attribute = TypeAdapter(Line | None).validate_python(data.get("outcome_attribute"))
        completion_attribute = TypeAdapter(Line | None).validate_python(data.get("completion_attribute"))
        phone_country = TypeAdapter(CountryCode | None).validate_python(data.get("phone_country"))
        date_order = TypeAdapter(DateOrder | None).validate_python(data.get("date_order"))
        strategy = _strategy_fields(data, rules)
        variables = TypeAdapter(list[Variable] | None).validate_python(data.get("variables"))
    except ValidationError:
        return []
    partial = Experience.model_construct(
        slug=str(data.get("slug")),
        title=str(data.get("title")),
        screens=screens,
        outcomes=outcomes,
        outcome_attribute=outcome_attribute,
        completion_attribute=completion_attribute,
        phone_country=phone_country,
        date_order=date_order,
        **strategy,
        variables=variables,
    )
    return semantic_problems(partial, rules)


def _strategy_fields(data: dict[Any, Any], rules: TargetRules) -> dict[str, Any]:
    """The outcome strategy's fields, each validated alone (defaults where absent)."""
    fields = Experience.model_fields
    names = ("outcome_strategy", "score_bands", "reveal_answers", "score_attribute", "feed", "products_attribute")
    return {
        name: TypeAdapter[Any](fields[name].annotation or Any).validate_python(data[name], context=rules)
        for name in names
        if name in data
    }
