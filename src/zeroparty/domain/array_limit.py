"""Braze's limit on array attributes, checked against a definition before it is published.

Braze keeps at most 25 values in an array attribute unless the company had the limit raised for
it; past the limit Braze drops the oldest values without an error
(https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes/#arrays: 25 by default;
later versions of that page allow up to 500). A multi-choice answer is the only array zeroparty
sends, so an element whose possible selections exceed the limit would lose picks in Braze while
the record says they are held: it is refused before it is published. Pure.
"""

from __future__ import annotations

import shlex

from zeroparty.domain.destination_settings import DEFAULT_ARRAY_LIMIT
from zeroparty.domain.experience.elements import MultiChoice
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import FieldError


def possible_selections(el: MultiChoice) -> int:
    """The most values one answer to `el` can hold: `max_selected`, at most one per option (and
    one typed for `other`)."""
    options = len(el.options) + (el.other is not None)
    return options if el.max_selected is None else min(el.max_selected, options)


def array_limit_problems(
    exp: Experience, limit: int = DEFAULT_ARRAY_LIMIT, destination: str | None = None
) -> list[FieldError]:
    """One problem per multi-choice element mapped to an attribute whose answers could hold more
    values than Braze keeps in an array: `limit` is the smallest `array_limit` among the
    destinations, `destination` the one that has it (named in the fix; None: any)."""
    name = "NAME" if destination is None else shlex.quote(destination)
    problems: list[FieldError] = []
    for si, screen in enumerate(exp.screens):
        for ei, el in enumerate(screen.elements):
            if not isinstance(el, MultiChoice) or el.attribute is None or possible_selections(el) <= limit:
                continue
            path = f"screens[{si}].elements[{ei}]"
            if el.max_selected is None:
                where, what = f"{path}.options", f"all {len(el.options)} options can be selected"
            else:
                where, what = f"{path}.max_selected", f"{possible_selections(el)} options can be selected"
            problems.append(
                FieldError(
                    where,
                    f"{what}, but Braze keeps at most {limit} values in array attribute '{el.attribute}' and "
                    f"drops the others; set max_selected: {limit} or fewer, or, if Braze raised the limit for "
                    "your company, raise the destination's array_limit "
                    f"(zeroparty destinations set {name} array_limit=N)",
                )
            )
    return problems
