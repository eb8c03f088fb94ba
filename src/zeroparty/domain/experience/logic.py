"""Screen rules, variables and piping: which screen comes next, and what a response computes on
the way. Pure: the capture service asks `route` after every submit; nothing in a browser decides.

A screen's rules run, in order, after it is submitted. Each rule whose `when` holds (a rule without
one always applies) runs its actions: `set` and `add` change variables (later rules see the
change), `skip` marks a later screen to be passed over, and the first `jump` or `end` decides where
the response goes. Without one, it goes to the screen's `next`, else to the following screen; a
skipped screen is passed over for the one after it. Jumps only go forward (`domain.experience.paths`
checks it), so a response reaches the end within as many steps as there are screens.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from zeroparty.domain.experience.choices import for_conditions
from zeroparty.domain.experience.conditions import Condition, Line, evaluate
from zeroparty.domain.experience.elements import IDENT, DefinitionModel
from zeroparty.domain.untrusted import kind_of

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience, Screen

Value = int | float | str
_EMPTY: Mapping[str, Any] = {}
ScreenRef = Annotated[str, Field(pattern=IDENT)]
VariableRef = Annotated[str, Field(pattern=IDENT)]


def _value(value: Any) -> Any:
    # One message, where the union would report each member's mismatch; true is no number here.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"should be a number or text, not {kind_of(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("should be a finite number")
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"should be a number, not {kind_of(value)}")
    return _value(value)


VariableValue = Annotated[int | float | str, BeforeValidator(_value)]
Number = Annotated[int | float, BeforeValidator(_number)]


class Variable(DefinitionModel):
    """A number or a text a response carries from screen to screen; `attribute` sends its final value."""

    id: Annotated[str, Field(pattern=IDENT, description="Letters, digits and _; starts with a letter.")]
    type: Literal["number", "text"]
    initial: VariableValue | None = Field(None, description="The value a response starts with: 0 or empty text.")
    attribute: Annotated[Line | None, Field(description="Braze attribute receiving the final value.")] = None

    @property
    def start(self) -> Value:
        if self.initial is not None:
            return self.initial
        return 0 if self.type == "number" else ""


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Jump(_Action):
    """Go on to this later screen."""

    jump: ScreenRef


class End(_Action):
    """Finish the response here: its outcome is chosen now."""

    end: Literal[True]


class Skip(_Action):
    """Pass over this later screen when the response would reach it."""

    skip: ScreenRef


class SetVariable(_Action):
    set: VariableRef
    value: VariableValue


class AddToVariable(_Action):
    """Add `value` (negative to subtract) to a number variable."""

    add: VariableRef
    value: Number


ACTION_KEYS = ("jump", "end", "skip", "set", "add")
_ACTION_TAGS = {"jump": "Jump", "end": "End", "skip": "Skip", "set": "SetVariable", "add": "AddToVariable"}
ACTION_TAGS = frozenset(_ACTION_TAGS.values())
_ACTION_LIST = ", ".join(ACTION_KEYS)


def _action_shape(value: Any) -> Any:
    if isinstance(value, _Action):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"an action is a mapping such as {{jump: contact}}, not {kind_of(value)}")
    found = [k for k in ACTION_KEYS if k in value]
    if len(found) > 1:
        raise ValueError(f"an action does one of {_ACTION_LIST}; this one has {' and '.join(found)}")
    if not found:
        raise ValueError(f"an action needs one of {_ACTION_LIST}")
    return value


def _action_tag(value: Any) -> str:
    if isinstance(value, _Action):
        return type(value).__name__
    return next(_ACTION_TAGS[k] for k in ACTION_KEYS if k in value)


Action = Annotated[
    Annotated[Jump, Tag("Jump")]
    | Annotated[End, Tag("End")]
    | Annotated[Skip, Tag("Skip")]
    | Annotated[SetVariable, Tag("SetVariable")]
    | Annotated[AddToVariable, Tag("AddToVariable")],
    Discriminator(_action_tag),
    BeforeValidator(_action_shape),
]


class Rule(DefinitionModel):
    when: Condition | None = Field(default=None, description="Applies when this holds; omit to always apply.")
    then: Annotated[list[Action], Field(min_length=1, max_length=20)]


@dataclass(frozen=True)
class Route:
    """Where a response goes: the screens it visits in order, its variables after them, and the
    screen after the last of them (None: the end)."""

    path: tuple[str, ...]
    variables: dict[str, Value]
    next: str | None


def initial_variables(exp: Experience) -> dict[str, Value]:
    return {v.id: v.start for v in exp.declared_variables}


def _apply(action: Any, variables: dict[str, Value], skipped: set[str]) -> None:
    match action:
        case SetVariable(set=name, value=value):
            variables[name] = value
        case AddToVariable(add=name, value=value):
            was = variables.get(name, 0)
            variables[name] = (was if isinstance(was, int | float) else 0) + value
        case Skip(skip=screen_id):
            skipped.add(screen_id)


def run_rules(
    screen: Screen,
    answers: Mapping[str, Any],
    inputs: Mapping[str, Any],
    variables: dict[str, Value],
    skipped: set[str],
) -> str | Literal[True] | None:
    """Apply a submitted screen's rules to `variables` and `skipped`; return the first jump's
    target, True for an end, or None when no rule jumps."""
    target: str | Literal[True] | None = None
    for rule in screen.rules or ():
        if rule.when is not None and not evaluate(rule.when, answers, inputs, variables):
            continue
        for action in rule.then:
            _apply(action, variables, skipped)
            if target is None and isinstance(action, Jump):
                target = action.jump
            elif target is None and isinstance(action, End):
                target = True
    return target


def route(
    exp: Experience,
    answers: Mapping[str, Any],
    inputs: Mapping[str, Any] = _EMPTY,
    until: str | None = None,
) -> Route:
    """Follow the rules from the first screen with these answers, to the end or, given `until`,
    to just after that screen. Screens not answered yet read as unanswered."""
    index = {s.id: i for i, s in enumerate(exp.screens)}
    variables = initial_variables(exp)
    skipped: set[str] = set()
    path: list[str] = []
    at: int | None = 0
    seen = for_conditions(exp, answers)  # an "other" text reads as `other`
    while at is not None:
        screen = exp.screens[at]
        path.append(screen.id)
        target = run_rules(screen, seen, inputs, variables, skipped)
        following = None if target is True else _following(exp, at, index, target or screen.next, skipped)
        if screen.id == until or following is None:
            return Route(tuple(path), variables, None if following is None else exp.screens[following].id)
        at = following
    raise AssertionError("unreachable")


def _following(exp: Experience, at: int, index: dict[str, int], target: str | None, skipped: set[str]) -> int | None:
    """The index of the screen after screen `at` (None: the end): the target, else the next one,
    passing over skipped screens."""
    following = index[target] if target else at + 1
    if following <= at:  # `paths` refuses such a definition; never loop on one
        raise AssertionError(f"screen '{exp.screens[at].id}' leads back to '{exp.screens[following].id}'")
    while following < len(exp.screens) and exp.screens[following].id in skipped:
        following += 1
    return following if following < len(exp.screens) else None


def settled_route(
    exp: Experience, answers: Mapping[str, Any], inputs: Mapping[str, Any] = _EMPTY, until: str | None = None
) -> tuple[Route, dict[str, Any]]:
    """The route, reading only answers of the screens it visits, and those answers. Answers kept
    from a screen the route now passes over (the respondent went back and changed an earlier
    answer) are not read, as if never given: a rule reads answers up to its own screen, so the
    route settles within as many rounds as there are screens."""
    screen_of = {el.id: s.id for s in exp.screens for el in s.elements}
    read = dict(answers)
    for _ in range(len(exp.screens) + 1):
        found = route(exp, read, inputs, until)
        visited = set(found.path)
        kept = {k: v for k, v in answers.items() if screen_of.get(k) in visited}
        if kept == read:
            return found, kept
        read = kept
    raise AssertionError("a route that does not settle")


PIPE = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")


def piped_names(text: str | None) -> list[str]:
    return PIPE.findall(text or "")


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def pipe(text: str, values: Mapping[str, Any]) -> str:
    """`{{name}}` replaced by an answer or a variable, as plain text (pages escape it like any
    other text); a name without a value reads as nothing."""
    if "{{" not in text:
        return text
    return PIPE.sub(lambda m: _shown(values.get(m.group(1))), text)
