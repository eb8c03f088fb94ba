"""How a screen's problems are worded and linked on the page: each names its question (a message
such as "is not a GB phone number" reads as "Mobile number is not a GB phone number"), and the
summary at the top links each one to the control it is about, in the order the screen shows them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zeroparty.domain.experience.i18n import Labels
from zeroparty.domain.experience.model import Screen
from zeroparty.domain.experience.standard_fields import DateOrder

_DATE_EXAMPLE = {"dmy": "31/12/1990", "mdy": "12/31/1990"}


@dataclass(frozen=True)
class Problem:
    target: str  # the id of the control to move to
    message: str


def named(label: str, message: str) -> str:
    """The message with its question's label: a fragment ("is not…") follows the label, a whole
    sentence ("An email address must…") follows it after a colon."""
    label = label.strip().rstrip(":?")
    if not message or message[0].islower():
        return f"{label} {message}".strip()
    return f"{label}: {message}"


def screen_problems(
    screen: Screen, errors: Mapping[str, str], targets: Mapping[str, str] | None = None
) -> tuple[list[Problem], dict[str, str]]:
    """The summary's entries in screen order, and each element's named message. `targets` names
    another control for an element's problem (an "other" choice's text box)."""
    problems: list[Problem] = []
    messages: dict[str, str] = {}
    for el in screen.elements:
        if el.id in errors:
            messages[el.id] = named(el.label, errors[el.id])
            problems.append(Problem((targets or {}).get(el.id, f"in-{el.id}"), messages[el.id]))
    return problems, messages


def date_placeholder(order: DateOrder | None, labels: Labels | None = None) -> str:
    """How a date is to be typed (DD/MM/YYYY), in the page's language (JJ/MM/AAAA)."""
    return (labels or Labels())(f"date_{order or 'dmy'}")


def date_example(order: DateOrder | None) -> str:
    return _DATE_EXAMPLE[order or "dmy"]
