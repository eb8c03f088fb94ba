"""Validating submitted answers against a published definition. Pure; raises InvalidInput."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any

from zeroparty.domain.emails import MAX_EMAIL, normalize_email
from zeroparty.domain.experience.choices import OTHER, is_other_text
from zeroparty.domain.experience.elements import (
    PICKED_TYPES,
    Consent,
    Content,
    DateInput,
    Element,
    EmailInput,
    LongTextInput,
    MultiChoice,
    Nps,
    NumberInput,
    OpinionScale,
    Rating,
    SingleChoice,
    TextInput,
)
from zeroparty.domain.experience.model import Experience, Screen
from zeroparty.domain.experience.standard_fields import FieldContext, normalise, normalise_dob, parse_date
from zeroparty.domain.untrusted import MAX_INT_DIGITS, text_problem
from zeroparty.errors import FieldError, InvalidInput

# `normalize_email` lives in domain.emails; it is named here too for the callers that import it from here.
__all__ = ["missing_required", "normalize_email", "validate_elements", "validate_screen", "validate_whole_response"]


def _other_text(el: SingleChoice | MultiChoice, value: str) -> str:
    """The text typed for the "other" choice (any value that is no option), or why it cannot be one."""
    assert el.other is not None
    text = _one_line(value)
    if text in ("", OTHER):  # the choice picked, its box left empty
        raise ValueError(f"needs a text typed in for '{el.other.label}'")
    if len(text) > el.other.max_length:
        raise ValueError(f"needs a shorter text for '{el.other.label}': at most {el.other.max_length} characters")
    return text


def _single(el: SingleChoice, value: Any, _ctx: FieldContext) -> str:
    if not isinstance(value, str):
        raise ValueError("must be one option value (a string)")
    if is_other_text(el, value):
        return _other_text(el, value)
    if value not in el.option_values():
        raise ValueError(f"'{value}' is not an option; expected one of {[o.value for o in el.options]}")
    return value


def _multi(el: MultiChoice, value: Any, _ctx: FieldContext) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of option values")
    allowed = el.option_values()
    bad = [v for v in value if v not in allowed]
    if el.other is not None and len(bad) == 1:  # one text typed for "other"
        value = [_other_text(el, v) if v == bad[0] else v for v in value]
    elif el.other is not None and bad:
        raise ValueError(f"takes one text for '{el.other.label}'; the others must be options {sorted(allowed)}")
    elif bad:
        raise ValueError(f"{bad} not among the options {sorted(allowed)}")
    if len(set(value)) != len(value):
        raise ValueError("must not repeat a value")
    if el.max_selected is not None and len(value) > el.max_selected:
        raise ValueError(f"at most {el.max_selected} may be selected")
    if el.min_selected is not None and len(value) < el.min_selected:
        raise ValueError(f"needs at least {el.min_selected} selected")
    return list(value)


def _email(_el: EmailInput, value: Any, _ctx: FieldContext) -> str:
    if not isinstance(value, str):
        raise ValueError("must be an email address (a string)")
    if len(value) > MAX_EMAIL:
        raise ValueError(f"must be at most {MAX_EMAIL} characters")
    return normalize_email(value)


def _one_line(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    problem = text_problem(value)  # a one-line text: no tab or line break either
    if problem:
        raise ValueError(problem)
    return value.strip()


def _text(el: TextInput, value: Any, ctx: FieldContext) -> str:
    text = _one_line(value)
    if len(text) > el.max_length:
        raise ValueError(f"must be at most {el.max_length} characters")
    # A Braze standard field gets the format Braze takes (gender code, E.164 phone, …).
    return text if el.attribute is None else normalise(el.attribute, text, ctx)


def _long_text(el: LongTextInput, value: Any, _ctx: FieldContext) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    problem = text_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    # A browser's text area sends CRLF line breaks: one kind is kept.
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > el.most:
        raise ValueError(f"must be at most {el.most} characters")
    return text


def _scale(el: Rating | Nps | OpinionScale, value: Any, _ctx: FieldContext) -> int:
    try:
        number = _as_number(value)
    except ValueError:
        number = None
    if number is None or number != int(number) or not el.lowest <= number <= el.highest:
        raise ValueError(f"must be a whole number from {el.lowest} to {el.highest}")
    return int(number)


def _content(el: Content, _value: Any, _ctx: FieldContext) -> None:
    raise ValueError(f"is a content element ('{el.id}'); it takes no answer")


_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def _as_number(value: Any) -> int | float:
    """A JSON number, or the text of one (a form post): 12, -3.5."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a number")
    number: int | float
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.fullmatch(text) or len(text) > MAX_INT_DIGITS + 2:
            raise ValueError("must be a number such as 12 or 3.5")
        number = int(text) if text.lstrip("+-").isdigit() else float(text)
    else:
        number = value
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError("must be a finite number")
    if isinstance(number, int) and len(str(abs(number))) > MAX_INT_DIGITS:
        raise ValueError(f"must have at most {MAX_INT_DIGITS} digits")
    return number


def _number(el: NumberInput, value: Any, _ctx: FieldContext) -> int | float:
    number = _as_number(value)
    if el.integer:
        if number != int(number):
            raise ValueError("must be a whole number")
        number = int(number)
    if el.min is not None and number < el.min:
        raise ValueError(f"must be at least {el.min:g}")
    if el.max is not None and number > el.max:
        raise ValueError(f"must be at most {el.max:g}")
    return number


# Braze stores a top-level time attribute with a year above 3000 as a string
# (https://www.braze.com/docs/user_guide/data/activation/custom_data/custom_attributes/).
MAX_YEAR = 3000


def _date(el: DateInput, value: Any, ctx: FieldContext) -> str:
    text = _one_line(value)
    if el.attribute == "dob":
        return normalise_dob(text, ctx)
    day = parse_date(text, ctx.date_order)
    if day.year > MAX_YEAR:
        raise ValueError(f"must be a date before the year {MAX_YEAR + 1}")
    return day.isoformat()


def _consent(_el: Consent, value: Any, _ctx: FieldContext) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


# Element type → the stored form of one answer, or ValueError saying what is wrong with it.
_CHECKS: dict[type[Any], Callable[[Any, Any, FieldContext], Any]] = {
    SingleChoice: _single,
    MultiChoice: _multi,
    EmailInput: _email,
    TextInput: _text,
    LongTextInput: _long_text,
    Rating: _scale,
    Nps: _scale,
    OpinionScale: _scale,
    Content: _content,
    NumberInput: _number,
    DateInput: _date,
    Consent: _consent,
}


def _check(el: Element, value: Any, ctx: FieldContext) -> Any:
    # Encoding and control characters were checked where the input was parsed (domain.untrusted);
    # what an element type adds (one line for a text input) is checked by its own function.
    return _CHECKS[type(el)](el, value, ctx)


def _context(exp: Experience | None, el: Element, today: date | None) -> FieldContext:
    if exp is not None:
        return exp.field_context(el, today)
    return FieldContext(phone_country=el.phone_country if isinstance(el, TextInput) else None, today=today)


def _is_blank(value: Any) -> bool:
    """Nothing given: whitespace-only text counts as missing."""
    return value is None or value == [] or value is False or (isinstance(value, str) and not value.strip())


def validate_elements(
    elements: list[Element],
    raw: Mapping[str, Any],
    prefix: str = "",
    exp: Experience | None = None,
    today: date | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check the values given for these elements; return (clean values, problems). `exp` gives
    the defaults standard fields are read with (phone country, date order); `today` bounds a
    date of birth."""
    clean: dict[str, Any] = {}
    problems: list[FieldError] = []
    for el in elements:
        value = raw.get(el.id)
        if isinstance(el, Content) and el.id not in raw:
            continue
        if _is_blank(value) and not (isinstance(el, Consent) and value is False):
            if el.required:
                problems.append(FieldError(prefix + el.id, "is required"))
            continue
        try:
            clean[el.id] = _check(el, value, _context(exp, el, today))
        except ValueError as exc:
            problems.append(FieldError(prefix + el.id, str(exc)))
        else:
            if el.required and isinstance(el, Consent) and value is False:
                problems.append(FieldError(prefix + el.id, "must be accepted to continue"))
    return clean, problems


def validate_screen(
    screen: Screen, raw: Mapping[str, Any], exp: Experience | None = None, today: date | None = None
) -> dict[str, Any]:
    clean, problems = validate_elements(list(screen.elements), raw, exp=exp, today=today)
    unknown = sorted(set(raw) - {el.id for el in screen.elements})
    problems += [FieldError(k, f"is not an element of screen '{screen.id}'") for k in unknown]
    if problems:
        raise InvalidInput(problems, "the answers on this screen are not valid")
    return clean


def missing_required(
    exp: Experience, answers: Mapping[str, Any], screens: Collection[str] | None = None
) -> list[FieldError]:
    """Required elements without a valid answer (a respondent who skipped ahead), on any screen
    or, given `screens`, on those (the ones the rules route the response through)."""
    return [
        FieldError(el.id, f"is required (screen '{screen.id}')")
        for screen in exp.screens
        if screens is None or screen.id in screens
        for el in screen.elements
        if validate_elements([el], {el.id: answers[el.id]} if el.id in answers else {}, exp=exp)[1]
    ]


Visits = Callable[[Mapping[str, Any]], Collection[str]]


Checked = dict[str, tuple[dict[str, Any], list[FieldError]]]  # element id -> (clean value, problems)


def _check_each(exp: Experience, merged: Mapping[str, Any], today: date | None) -> Checked:
    """Every element's value checked once, whichever screens the response turns out to visit."""
    checked: Checked = {}
    for screen in exp.screens:
        for el in screen.elements:
            group = "answers" if el.type in PICKED_TYPES else "inputs"
            given = {el.id: merged[el.id]} if el.id in merged else {}
            checked[el.id] = validate_elements([el], given, f"{group}.", exp, today)
    return checked


def _on_screens(screens: list[Screen], checked: Checked) -> tuple[dict[str, Any], list[FieldError]]:
    clean: dict[str, Any] = {}
    problems: list[FieldError] = []
    for screen in screens:
        for el in screen.elements:
            values, errs = checked[el.id]
            clean.update(values)
            problems += errs
    return clean, problems


def validate_whole_response(
    exp: Experience,
    answers: Mapping[str, Any],
    inputs: Mapping[str, Any],
    today: date | None = None,
    visits: Visits | None = None,
) -> dict[str, Any]:
    """A complete response in one call: choices and scales under `answers`, form inputs under `inputs`.
    `visits` names the screens the rules route these answers through: elements elsewhere are not
    required, and an answer given for one is refused (the respondent of a hosted page never sees
    those screens)."""
    elements = exp.elements()
    problems: list[FieldError] = []
    for group, given, wanted in (("answers", answers, PICKED_TYPES), ("inputs", inputs, None)):
        for key in given:
            if key not in elements:
                problems.append(FieldError(f"{group}.{key}", f"no element '{key}' in experience '{exp.slug}'"))
                continue
            is_choice = elements[key][1].type in PICKED_TYPES
            if isinstance(elements[key][1], Content):
                continue  # refused below, as an answer to an element that takes none
            if (wanted is not None) != is_choice:
                right = "answers" if is_choice else "inputs"
                problems.append(
                    FieldError(f"{group}.{key}", f"'{key}' is a {elements[key][1].type}; send it under '{right}'")
                )
    merged = {**answers, **inputs}
    for group, given in (("answers", answers), ("inputs", inputs)):
        for key in [k for k in given if k in elements and isinstance(elements[k][1], Content)]:
            problems.append(FieldError(f"{group}.{key}", f"is a content element ('{key}'); it takes no answer"))
            merged.pop(key, None)
    checked = _check_each(exp, merged, today)
    clean, found = _on_screens(list(exp.screens), checked)
    if visits is not None:
        on_route = set(visits(clean))
        clean, found = _on_screens([s for s in exp.screens if s.id in on_route], checked)
        problems += [
            FieldError(
                f"{'answers' if el.type in PICKED_TYPES else 'inputs'}.{el.id}",
                f"is on screen '{screen.id}', which the rules skip for these answers; leave it out",
            )
            for screen in exp.screens
            if screen.id not in on_route
            for el in screen.elements
            if el.id in merged
        ]
    problems += found
    if problems:
        raise InvalidInput(problems, "the response is not valid")
    return clean
