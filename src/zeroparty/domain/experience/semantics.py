"""Checks that span several parts of an experience definition: unique ids, what each element may
fill, consents asked once, outcome rules that name real elements and options."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zeroparty.domain.experience.choices import OTHER
from zeroparty.domain.experience.content import content_problems
from zeroparty.domain.experience.elements import (
    Consent,
    Content,
    Element,
    EmailInput,
    LongTextInput,
    MultiChoice,
    NumberInput,
    SingleChoice,
    TargetRules,
    TextInput,
)
from zeroparty.domain.experience.paths import condition_problems, logic_problems
from zeroparty.domain.experience.standard_fields import DIALING, STANDARD_FIELDS, option_problem, target_problem
from zeroparty.domain.experience.strategies import strategy_problems
from zeroparty.domain.experience.theme import theme_problems

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience

Problems = list[tuple[str, str]]


def _email_problems(el: EmailInput, path: str, _exp: Experience) -> Problems:
    if el.attribute is not None:
        return [(f"{path}.attribute", "an email element always maps to Braze 'email'")]
    return []


def _consent_problems(el: Consent, path: str, _exp: Experience) -> Problems:
    problems: Problems = []
    wants_attribute = el.purpose == "custom"
    if wants_attribute and el.attribute is None:
        problems.append((f"{path}.attribute", "a custom consent needs an attribute to write to"))
    if not wants_attribute and el.attribute is not None:
        target = "'email_subscribe'" if el.purpose == "email_marketing" else "the subscription group"
        problems.append((f"{path}.attribute", f"{el.purpose} consent maps to {target}"))
    if el.purpose == "subscription_group" and el.subscription_group is None:
        problems.append((f"{path}.subscription_group", "a subscription_group consent needs a consent key"))
    if el.purpose != "subscription_group" and el.subscription_group is not None:
        problems.append(
            (f"{path}.subscription_group", f"only a subscription_group consent names one; this is {el.purpose}")
        )
    if el.purpose == "custom" and el.meaning is not None:
        problems.append((f"{path}.meaning", "a custom consent writes true/false as ticked; meaning does not apply"))
    if el.opt_out and el.required:
        problems.append((f"{path}.required", "an opt-out box cannot be required"))
    return problems


def _display_problems(el: SingleChoice | MultiChoice, path: str) -> Problems:
    problems: Problems = []
    if isinstance(el, MultiChoice) and el.display == "dropdown":
        problems.append((f"{path}.display", "a dropdown picks one option; a multi_choice shows buttons or cards"))
    if el.shown_as != "cards":
        problems += [
            (f"{path}.options[{oi}].image", "an option's image shows on a card; set display: cards")
            for oi, option in enumerate(el.options)
            if option.image is not None
        ]
    if el.other is not None:
        problems += [
            (f"{path}.options[{oi}].value", f"'{OTHER}' is the value of the other choice; give this option another")
            for oi, option in enumerate(el.options)
            if option.value == OTHER
        ]
        if el.attribute in STANDARD_FIELDS:
            problems.append((f"{path}.other", f"Braze's {el.attribute} takes set values; a typed text cannot fill it"))
    return problems


def _selection_problems(el: MultiChoice, path: str) -> Problems:
    if el.min_selected is None:
        return []
    if el.max_selected is not None and el.min_selected > el.max_selected:
        return [(f"{path}.min_selected", f"must not be above max_selected ({el.max_selected})")]
    choices = len(el.options) + (el.other is not None)
    if el.min_selected > choices:
        return [(f"{path}.min_selected", f"must not be above the number of choices ({choices})")]
    return []


def _choice_problems(el: SingleChoice | MultiChoice, path: str, exp: Experience) -> Problems:
    values = [o.value for o in el.options]
    problems = [(f"{path}.options", f"duplicate option value '{dup}'") for dup in sorted(_repeated(values))]
    problems += _display_problems(el, path)
    if isinstance(el, MultiChoice):
        problems += _selection_problems(el, path)
    if isinstance(el, SingleChoice) and el.attribute in STANDARD_FIELDS:
        ctx = exp.field_context(el)
        for oi, option in enumerate(el.options):
            problem = option_problem(el.attribute, option.sent, ctx)
            if problem:
                where = "braze_value" if option.braze_value is not None else "value"
                problems.append((f"{path}.options[{oi}].{where}", problem))
    return problems


def _text_problems(el: TextInput, path: str, _exp: Experience) -> Problems:
    if el.phone_country is not None and el.attribute != "phone":
        return [(f"{path}.phone_country", "only an element filling 'phone' reads phone numbers")]
    return []


# Braze keeps at most 255 characters of a custom string attribute.
BRAZE_STRING = 255


def _long_text_problems(el: LongTextInput, path: str, _exp: Experience) -> Problems:
    if el.attribute is not None and el.most > BRAZE_STRING:
        why = f"a string attribute keeps at most {BRAZE_STRING} characters; set max_length to {BRAZE_STRING} or less"
        return [(f"{path}.max_length" if el.max_length else f"{path}.attribute", why)]
    return []


def _content_problems(el: Content, path: str, _exp: Experience) -> Problems:
    return [(f"{path}.text", problem) for problem in content_problems(el.text)]


def _number_problems(el: NumberInput, path: str, _exp: Experience) -> Problems:
    if el.min is not None and el.max is not None and el.min > el.max:
        return [(f"{path}.max", f"must not be below min ({el.min:g})")]
    return []


def _repeated(values: list[str]) -> set[str]:
    return {v for v in values if values.count(v) > 1}


# Element type -> the checks only that type needs.
_ELEMENT_CHECKS: dict[type[Any], Callable[[Any, str, Experience], Problems]] = {
    EmailInput: _email_problems,
    Consent: _consent_problems,
    SingleChoice: _choice_problems,
    MultiChoice: _choice_problems,
    TextInput: _text_problems,
    LongTextInput: _long_text_problems,
    Content: _content_problems,
    NumberInput: _number_problems,
}


def _element_problems(
    el: Element, path: str, exp: Experience, attributes: dict[str, str], rules: TargetRules
) -> Problems:
    check = _ELEMENT_CHECKS.get(type(el))
    problems = check(el, path, exp) if check else []
    if el.attribute is not None:
        _check_attribute(el.attribute, f"{path}.attribute", attributes, problems, rules)
        problem = target_problem(el.type, el.attribute)
        if problem:
            problems.append((f"{path}.attribute", problem))
    return problems


def semantic_problems(exp: Experience, rules: TargetRules) -> Problems:
    """Checks that span several parts of a definition; each problem is (path, message)."""
    problems: Problems = []
    seen_screens: set[str] = set()
    seen_elements: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for si, screen in enumerate(exp.screens):
        spath = f"screens[{si}]"
        if screen.id in seen_screens:
            problems.append((f"{spath}.id", f"duplicate screen id '{screen.id}'"))
        seen_screens.add(screen.id)
        for ei, el in enumerate(screen.elements):
            epath = f"{spath}.elements[{ei}]"
            if el.id in seen_elements:
                problems.append((f"{epath}.id", f"duplicate element id '{el.id}' (first at {seen_elements[el.id]})"))
            seen_elements.setdefault(el.id, epath)
            problems.extend(_element_problems(el, epath, exp, attributes, rules))
    if sum(isinstance(el, EmailInput) for _s, el in exp.elements().values()) > 1:
        problems.append(("screens", "at most one email element: it is the Braze identifier"))
    problems.extend(_experience_problems(exp, attributes, rules))
    problems.extend(_hidden_problems(exp, seen_elements, attributes, rules))
    if exp.theme is not None:
        problems.extend(theme_problems(exp.theme))
    problems.extend(_outcome_problems(exp))
    problems.extend(strategy_problems(exp))
    problems.extend(logic_problems(exp))
    return problems


def _hidden_problems(
    exp: Experience, elements: dict[str, str], attributes: dict[str, str], rules: TargetRules
) -> Problems:
    # A hidden value is kept beside the answers under its key: it may not share an element's id.
    problems: Problems = []
    keys: set[str] = set()
    for hi, field in enumerate(exp.hidden()):
        path = f"hidden_fields[{hi}]"
        if field.key in keys:
            problems.append((f"{path}.key", f"duplicate hidden field '{field.key}'"))
        keys.add(field.key)
        if field.key in elements:
            problems.append((f"{path}.key", f"'{field.key}' is already the id of {elements[field.key]}"))
        if field.attribute is not None:
            _check_attribute(field.attribute, f"{path}.attribute", attributes, problems, rules)
            if field.attribute in STANDARD_FIELDS:
                why = "is one of Braze's standard fields; a hidden value goes to a custom attribute"
                problems.append((f"{path}.attribute", f"'{field.attribute}' {why}"))
    return problems


def _experience_problems(exp: Experience, attributes: dict[str, str], rules: TargetRules) -> Problems:
    problems: Problems = []
    for path, name, what in (
        ("outcome_attribute", exp.outcome_attribute, "the outcome id"),
        ("completion_attribute", exp.completion_attribute, "the completion time"),
        ("score_attribute", exp.score_attribute, "the score"),
        ("products_attribute", exp.products_attribute, "the product ids"),
        *(
            (f"variables[{vi}].attribute", var.attribute, f"variable '{var.id}'")
            for vi, var in enumerate(exp.declared_variables)
        ),
    ):
        if name is None:
            continue
        _check_attribute(name, path, attributes, problems, rules)
        if name in STANDARD_FIELDS:
            problems.append((path, f"'{name}' is one of Braze's standard fields; {what} goes to a custom attribute"))
    countries = [("phone_country", exp.phone_country)] + [
        (f"screens[{si}].elements[{ei}].phone_country", el.phone_country)
        for si, screen in enumerate(exp.screens)
        for ei, el in enumerate(screen.elements)
        if isinstance(el, TextInput)
    ]
    asked: dict[str, str] = {}
    for si, screen in enumerate(exp.screens):
        for ei, el in enumerate(screen.elements):
            if isinstance(el, Consent) and el.purpose != "custom":
                # Two boxes for one consent would send whichever came last.
                path = f"screens[{si}].elements[{ei}]"
                if el.consent_key in asked:
                    problems.append((path, f"consent '{el.consent_key}' is already asked by {asked[el.consent_key]}"))
                asked.setdefault(el.consent_key, path)
    known = ", ".join(sorted(DIALING))
    for path, country in countries:
        if country is not None and country not in DIALING:
            problems.append((path, f"'{country}' is not a country whose numbers zeroparty reads; use one of {known}"))
    return problems


def _check_attribute(
    name: str, path: str, seen: dict[str, str], problems: list[tuple[str, str]], rules: TargetRules
) -> None:
    problem = rules.attribute_problem(name)
    if problem:
        problems.append((path, problem))
    if name in seen:
        problems.append((path, f"attribute '{name}' is already filled by {seen[name]}"))
    seen.setdefault(name, path)


def _outcome_problems(exp: Experience) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    ids: set[str] = set()
    by_rules = exp.strategy in ("rules", "feed")
    for oi, outcome in enumerate(exp.outcomes):
        opath = f"outcomes[{oi}]"
        if outcome.id in ids:
            problems.append((f"{opath}.id", f"duplicate outcome id '{outcome.id}'"))
        ids.add(outcome.id)
        if not by_rules:
            if outcome.when is not None:
                why = f"outcome_strategy {exp.strategy} picks the outcome; 'when' does not apply"
                problems.append((f"{opath}.when", why))
            continue
        if outcome.when is None:
            if oi != len(exp.outcomes) - 1:
                problems.append((f"{opath}.when", "only the last outcome may be the fallback (no 'when')"))
            continue
        problems.extend(condition_problems(exp, outcome.when, f"{opath}.when"))
    if by_rules and exp.outcomes and exp.outcomes[-1].when is not None:
        problems.append(
            (f"outcomes[{len(exp.outcomes) - 1}].when", "the last outcome must be a fallback without 'when'")
        )
    return problems
