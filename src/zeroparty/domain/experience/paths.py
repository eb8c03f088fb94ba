"""Static checks of an experience's logic, run at validate and import: every reference resolves,
jumps only go forward (so there is no cycle and every path reaches the end), no screen is left
unreachable, operators fit what they read, variables are used as their type, and every `{{name}}`
names an answer or a variable. Each problem is (path, message)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from zeroparty.domain.experience.choices import OTHER
from zeroparty.domain.experience.conditions import COMPARISONS, Condition, leaves
from zeroparty.domain.experience.logic import AddToVariable, End, Jump, SetVariable, Skip, Variable, piped_names
from zeroparty.domain.experience.scales import SCALE_TYPES

if TYPE_CHECKING:
    from zeroparty.domain.experience.conditions import _Leaf
    from zeroparty.domain.experience.model import Experience, Screen

Problems = list[tuple[str, str]]

_ORDERED = ("equals", "in", *COMPARISONS)
# What each kind of value may be asked: a multi-choice holds a list, a consent true or false.
OPERATORS_FOR: dict[str, tuple[str, ...]] = {
    "single_choice": ("equals", "in", "answered"),
    "multi_choice": ("includes", "answered"),
    "email": ("equals", "in", "answered"),
    "text": ("equals", "in", "answered"),
    "long_text": ("equals", "in", "answered"),
    "number": (*_ORDERED, "answered"),
    "rating": (*_ORDERED, "answered"),
    "nps": (*_ORDERED, "answered"),
    "opinion_scale": (*_ORDERED, "answered"),
    "date": ("equals", *COMPARISONS, "answered"),
    "consent": ("equals", "answered"),
    "number variable": _ORDERED,
    "text variable": ("equals", "in"),
    "input": ("equals", "in", "answered"),
}


def _or_list(items: tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + f" or {items[-1]}" if len(items) > 1 else items[0]


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _value_problem(kind: str, name: str, value: Any, el: Any) -> str | None:
    """Why `value` can never match what `name` holds, or None."""
    if kind in ("single_choice", "multi_choice"):
        if isinstance(value, bool):
            # YAML reads an unquoted yes/no as a boolean, which no option value can equal.
            return (
                f"'{name}' is a choice; compare it with an option value in quotes, not the boolean {str(value).lower()}"
            )
        if str(value) not in el.option_values() and not (el.other is not None and value == OTHER):
            return f"'{value}' is not an option of '{name}'"
        return None
    if kind in SCALE_TYPES:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not el.lowest <= value <= el.highest:
            return f"'{name}' is a {kind} from {el.lowest} to {el.highest}; compare it with a whole number in it"
        return None
    if kind == "consent":
        return None if isinstance(value, bool) else f"'{name}' is a consent; compare it with true or false"
    if kind in ("number", "number variable"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"'{name}' is a {kind}; compare it with a number"
    if kind == "date":
        return None if _is_date(value) else f"'{name}' is a date; compare it with a date such as 2000-01-31"
    return None if isinstance(value, str) else f"'{name}' is a {kind}; compare it with text"


class _Scope:
    """What conditions at one place may read: elements answered by then, and the variables."""

    def __init__(self, exp: Experience, upto: int | None) -> None:
        self.elements: dict[str, tuple[int, Any]] = {}
        for si, screen in enumerate(exp.screens):
            for el in screen.elements:  # a duplicated id (reported on its own) reads as its first
                self.elements.setdefault(el.id, (si, el))
        self.variables = {v.id: v for v in exp.declared_variables}
        self.inputs = {f.key for f in exp.hidden()}
        self.upto = upto  # a rule on screen `upto` reads answers of screens up to it; None: all
        self.screens = exp.screens

    def leaf_problem(self, leaf: _Leaf) -> str | None:
        ref, op = leaf.ref, leaf.operator
        if ref.kind == "input":
            if ref.key not in self.inputs:
                return f"unknown input '{ref.key}': declare it under hidden_fields"
            kind, el, name = "input", None, ref.key
        elif ref.kind == "variable":
            var = self.variables.get(ref.key)
            if var is None:
                return f"unknown variable '{ref.key}'"
            kind, el, name = f"{var.type} variable", None, ref.key
        else:
            found = self.elements.get(ref.key)
            if found is None:
                return f"unknown element '{ref.key}'"
            si, el = found
            if self.upto is not None and si > self.upto:
                later = self.screens[si].id
                return (
                    f"'{ref.key}' is answered on a later screen ('{later}'); a rule reads answers up to its own screen"
                )
            kind, name = el.type, ref.key
            if kind == "content":
                return f"'{name}' is a content element; it holds no answer to compare"
        allowed = OPERATORS_FOR[kind]
        if op not in allowed:
            return f"'{name}' is a {kind}; use {_or_list(allowed)}, not {op}"
        for value in leaf.values():
            problem = _value_problem(kind, name, value, el)
            if problem:
                return problem
        return None


def condition_problems(exp: Experience, cond: Condition, path: str, upto: int | None = None) -> Problems:
    scope = _Scope(exp, upto)
    found = (scope.leaf_problem(leaf) for leaf in leaves(cond))
    return [(path, problem) for problem in found if problem]


def _target_problem(index: dict[str, int], here: int, target: str, verb: str) -> str | None:
    if target not in index:
        return f"unknown screen '{target}'"
    if index[target] <= here:
        return f"'{target}' is not after this screen; {verb} only go forward"
    return None


def _variable_problem(variables: dict[str, Variable], action: SetVariable | AddToVariable) -> tuple[str, str] | None:
    if isinstance(action, SetVariable):
        var = variables.get(action.set)
        if var is None:
            return "set", f"unknown variable '{action.set}'"
        is_number = isinstance(action.value, int | float)
        if (var.type == "number") != is_number:
            wanted = "a number" if var.type == "number" else "text"
            return "value", f"'{var.id}' is a {var.type} variable; set it to {wanted}"
        return None
    var = variables.get(action.add)
    if var is None:
        return "add", f"unknown variable '{action.add}'"
    if var.type != "number":
        return "add", f"'{var.id}' is a text variable; add takes a number variable"
    return None


def _rule_problems(exp: Experience, si: int, screen: Screen, index: dict[str, int]) -> Iterator[tuple[str, str]]:
    variables = {v.id: v for v in exp.declared_variables}
    for ri, rule in enumerate(screen.rules or ()):
        rpath = f"screens[{si}].rules[{ri}]"
        if rule.when is not None:
            yield from condition_problems(exp, rule.when, f"{rpath}.when", upto=si)
        for ai, action in enumerate(rule.then):
            apath = f"{rpath}.then[{ai}]"
            problem: str | None = None
            if isinstance(action, Jump):
                problem = _target_problem(index, si, action.jump, "jumps")
                where = "jump"
            elif isinstance(action, Skip):
                problem = _target_problem(index, si, action.skip, "skips")
                where = "skip"
            elif isinstance(action, SetVariable | AddToVariable):
                found = _variable_problem(variables, action)
                where, problem = found if found else ("", None)
            if problem:
                yield f"{apath}.{where}", problem


def _variable_problems(exp: Experience) -> Iterator[tuple[str, str]]:
    elements = exp.elements()
    seen: set[str] = set()
    for vi, var in enumerate(exp.declared_variables):
        vpath = f"variables[{vi}]"
        if var.id in seen:
            yield f"{vpath}.id", f"duplicate variable id '{var.id}'"
        seen.add(var.id)
        if var.id in elements:
            yield (
                f"{vpath}.id",
                f"'{var.id}' is also an element id; {{{{{var.id}}}}} and conditions could not tell them apart",
            )
        if var.initial is not None and isinstance(var.initial, int | float) != (var.type == "number"):
            wanted = "a number" if var.type == "number" else "text"
            yield f"{vpath}.initial", f"'{var.id}' is a {var.type} variable; it starts at {wanted}"


def _successors(exp: Experience, si: int, index: dict[str, int], skippable: set[str]) -> set[int]:
    """The screens a response may go to from screen `si`, whatever its answers (the end left out)."""
    screen = exp.screens[si]
    targets: list[int | None] = []
    for rule in screen.rules or ():
        jumps = [a for a in rule.then if isinstance(a, Jump | End)]
        if not jumps:
            continue
        first = jumps[0]
        targets.append(index.get(first.jump, -1) if isinstance(first, Jump) else None)
        if rule.when is None:  # always applies: neither later rules' jumps nor the fallback can happen
            break
    else:
        targets.append(index.get(screen.next, -1) if screen.next else si + 1)
    found: set[int] = set()
    for target in targets:
        while target is not None and si < target < len(exp.screens):
            found.add(target)
            target = target + 1 if exp.screens[target].id in skippable else None
    return found


def _unreachable(exp: Experience, index: dict[str, int]) -> Iterator[tuple[str, str]]:
    skippable = {a.skip for s in exp.screens for r in s.rules or () for a in r.then if isinstance(a, Skip)}
    reached = {0}
    for si in range(len(exp.screens)):  # jumps go forward: one pass in screen order sees every edge
        if si in reached:
            reached |= _successors(exp, si, index, skippable)
    for si, screen in enumerate(exp.screens):
        if si not in reached:
            yield f"screens[{si}]", f"no path reaches screen '{screen.id}': the rules before it always go past it"


def _texts(exp: Experience) -> Iterator[tuple[str, str | None, int | None]]:
    """Every text that may pipe a name: (path, text, index of the screen showing it; None: the outcome page)."""
    for si, screen in enumerate(exp.screens):
        yield f"screens[{si}].title", screen.title, si
        yield f"screens[{si}].body", screen.body, si
        for ei, el in enumerate(screen.elements):
            if el.type != "content":  # content is shown as written: it pipes nothing
                yield f"screens[{si}].elements[{ei}].label", el.label, si
    for oi, outcome in enumerate(exp.outcomes):
        yield f"outcomes[{oi}].title", outcome.title, None
        yield f"outcomes[{oi}].description", outcome.description, None


def _pipe_problems(exp: Experience) -> Iterator[tuple[str, str]]:
    where = {el.id: si for si, screen in enumerate(exp.screens) for el in screen.elements}
    variables = {v.id for v in exp.declared_variables}
    for path, text, shown_on in _texts(exp):
        for name in piped_names(text):
            if name in variables:
                continue
            if name not in where:
                yield path, f"unknown name '{name}' in {{{{{name}}}}}; pipe an element id or a variable"
            elif shown_on is not None and where[name] >= shown_on:
                yield path, f"'{name}' is answered on this screen or a later one; text shows answers of earlier screens"


def logic_problems(exp: Experience) -> Problems:
    index = {s.id: i for i, s in enumerate(exp.screens)}
    problems: Problems = list(_variable_problems(exp))
    for si, screen in enumerate(exp.screens):
        if screen.next is not None:
            problem = _target_problem(index, si, screen.next, "next screens")
            if problem:
                problems.append((f"screens[{si}].next", problem))
        problems.extend(_rule_problems(exp, si, screen, index))
    if not problems:  # reachability reads jumps that resolve
        problems.extend(_unreachable(exp, index))
    problems.extend(_pipe_problems(exp))
    return problems
