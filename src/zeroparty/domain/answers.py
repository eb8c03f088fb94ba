"""Validating submitted answers against a published definition. Pure; raises InvalidInput."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from email_validator import EmailNotValidError, validate_email

from zeroparty.domain.definition import (
    CHOICE_TYPES,
    Consent,
    Element,
    EmailInput,
    Experience,
    MultiChoice,
    Screen,
    SingleChoice,
    TextInput,
)
from zeroparty.domain.untrusted import text_problem
from zeroparty.errors import FieldError, InvalidInput

MAX_EMAIL = 254


def normalize_email(raw: str) -> str:
    """Validated, normalised email (lower-cased: Braze matches emails case-insensitively)."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return checked.normalized.lower()


def _single(el: SingleChoice, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be one option value (a string)")
    if value not in {o.value for o in el.options}:
        raise ValueError(f"'{value}' is not an option; expected one of {[o.value for o in el.options]}")
    return value


def _multi(el: MultiChoice, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of option values")
    allowed = {o.value for o in el.options}
    bad = [v for v in value if v not in allowed]
    if bad:
        raise ValueError(f"{bad} not among the options {sorted(allowed)}")
    if len(set(value)) != len(value):
        raise ValueError("must not repeat a value")
    if el.max_selected is not None and len(value) > el.max_selected:
        raise ValueError(f"at most {el.max_selected} may be selected")
    return list(value)


def _email(_el: EmailInput, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an email address (a string)")
    if len(value) > MAX_EMAIL:
        raise ValueError(f"must be at most {MAX_EMAIL} characters")
    return normalize_email(value)


def _text(el: TextInput, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    problem = text_problem(value)  # a one-line text: no tab or line break either
    if problem:
        raise ValueError(problem)
    text = value.strip()
    if len(text) > el.max_length:
        raise ValueError(f"must be at most {el.max_length} characters")
    return text


def _consent(_el: Consent, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


# Element type → the stored form of one answer, or ValueError saying what is wrong with it.
_CHECKS: dict[type[Any], Callable[[Any, Any], Any]] = {
    SingleChoice: _single,
    MultiChoice: _multi,
    EmailInput: _email,
    TextInput: _text,
    Consent: _consent,
}


def _check(el: Element, value: Any) -> Any:
    # Encoding and control characters were checked where the input was parsed (domain.untrusted);
    # what an element type adds (one line for a text input) is checked by its own function.
    return _CHECKS[type(el)](el, value)


def _is_blank(value: Any) -> bool:
    """Nothing given: whitespace-only text counts as missing."""
    return value is None or value == [] or value is False or (isinstance(value, str) and not value.strip())


def validate_elements(
    elements: list[Element], raw: Mapping[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check the values given for these elements; return (clean values, problems)."""
    clean: dict[str, Any] = {}
    problems: list[FieldError] = []
    for el in elements:
        value = raw.get(el.id)
        if _is_blank(value) and not (isinstance(el, Consent) and value is False):
            if el.required:
                problems.append(FieldError(prefix + el.id, "is required"))
            continue
        try:
            clean[el.id] = _check(el, value)
        except ValueError as exc:
            problems.append(FieldError(prefix + el.id, str(exc)))
        else:
            if el.required and isinstance(el, Consent) and value is False:
                problems.append(FieldError(prefix + el.id, "must be accepted to continue"))
    return clean, problems


def validate_screen(screen: Screen, raw: Mapping[str, Any]) -> dict[str, Any]:
    clean, problems = validate_elements(list(screen.elements), raw)
    unknown = sorted(set(raw) - {el.id for el in screen.elements})
    problems += [FieldError(k, f"is not an element of screen '{screen.id}'") for k in unknown]
    if problems:
        raise InvalidInput(problems, "the answers on this screen are not valid")
    return clean


def missing_required(exp: Experience, answers: Mapping[str, Any]) -> list[FieldError]:
    """Required elements, on any screen, without a valid answer (a respondent who skipped ahead)."""
    return [
        FieldError(el.id, f"is required (screen '{screen.id}')")
        for screen in exp.screens
        for el in screen.elements
        if validate_elements([el], {el.id: answers[el.id]} if el.id in answers else {})[1]
    ]


def validate_whole_response(exp: Experience, answers: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A complete response in one call: choices under `answers`, form inputs under `inputs`."""
    elements = exp.elements()
    problems: list[FieldError] = []
    for group, given, wanted in (("answers", answers, CHOICE_TYPES), ("inputs", inputs, None)):
        for key in given:
            if key not in elements:
                problems.append(FieldError(f"{group}.{key}", f"no element '{key}' in experience '{exp.slug}'"))
                continue
            is_choice = elements[key][1].type in CHOICE_TYPES
            if (wanted is not None) != is_choice:
                right = "answers" if is_choice else "inputs"
                problems.append(
                    FieldError(f"{group}.{key}", f"'{key}' is a {elements[key][1].type}; send it under '{right}'")
                )
    merged = {**answers, **inputs}
    clean: dict[str, Any] = {}
    for screen in exp.screens:
        for el in screen.elements:
            group = "answers" if el.type in CHOICE_TYPES else "inputs"
            values, errs = validate_elements([el], {el.id: merged[el.id]} if el.id in merged else {}, f"{group}.")
            clean.update(values)
            problems += errs
    if problems:
        raise InvalidInput(problems, "the response is not valid")
    return clean
