"""Choice elements: options shown as buttons, image cards or a dropdown, in the written or a
shuffled order, with an optional "other" choice whose typed text becomes the answer.

A choice with `other` stores what the respondent typed in place of an option value (Braze gets
that text); conditions read such an answer as the value `other` (`for_conditions`). The value
`other` alone (the choice picked, nothing typed) is never a valid answer.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field

from zeroparty.domain.experience.conditions import Line
from zeroparty.domain.experience.element_base import (
    IMAGE,
    REQUIRED,
    DefinitionModel,
    ElementBase,
    Ident,
    optional_line,
    unset_if,
    within_max_selected,
)
from zeroparty.domain.experience.translatable import TEXT, Translatable

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience

OTHER = "other"  # the value of the "other" choice, as forms send it and conditions compare it
Display = Literal["buttons", "cards", "dropdown"]


OTHER_LABEL = Translatable(builtin="other")  # an other choice left as "Other" is the built-in label


class Option(DefinitionModel):
    value: Annotated[str, Field(min_length=1, max_length=255), REQUIRED]
    label: Annotated[str, Field(min_length=1, max_length=500), REQUIRED, TEXT]
    braze_value: Annotated[
        str | None,
        Field(min_length=1, max_length=255, description="Sent to Braze instead of `value` (e.g. F for gender)."),
        AfterValidator(optional_line),
    ] = None
    image: Annotated[
        str | None,
        Field(max_length=2000, pattern=IMAGE, description="An https URL or an asset name, shown on a card."),
    ] = None

    # What an option adds to the outcome strategies (domain/experience/weights.py, score.py, feed.py).
    weights: Annotated[
        dict[Ident, Annotated[int, Field(ge=-10, le=10)]] | None,
        Field(description="Points (-10 to 10) this option adds to outcomes, by outcome id (strategy weights)."),
    ] = None
    correct: bool | None = Field(None, description="A right answer (outcome_strategy: score).")
    tags: Annotated[
        dict[Ident, Annotated[list[Line], Field(min_length=1, max_length=50)]] | None,
        Field(description="Feed column -> values a product must hold to match (outcome_strategy: feed)."),
    ] = None

    @property
    def sent(self) -> str:
        """What Braze receives when this option is chosen."""
        return self.value if self.braze_value is None else self.braze_value


class OtherChoice(DefinitionModel):
    """An extra choice with a text box; the typed text is the answer."""

    label: Annotated[str, Field(min_length=1, max_length=500), REQUIRED, OTHER_LABEL] = "Other"
    # Braze keeps at most 255 characters of a string attribute.
    max_length: Annotated[int, Field(ge=1, le=255)] = 200


class _Choice(ElementBase):
    options: Annotated[list[Option], Field(min_length=1, max_length=50)]
    display: Display | None = Field(
        None, description="buttons (default), cards (with each option's image) or dropdown (single_choice)."
    )
    shuffle: Annotated[bool | None, unset_if(False)] = Field(
        None, description="Show the options in a random order, the same for one response."
    )
    other: OtherChoice | None = Field(None, description="An extra choice with a text box: {label, max_length}.")

    @property
    def shown_as(self) -> Display:
        return self.display or "buttons"

    def option_values(self) -> set[str]:
        return {o.value for o in self.options}


class SingleChoice(_Choice):
    type: Literal["single_choice"]


class MultiChoice(_Choice):
    type: Literal["multi_choice"]
    # The destination caps this (`TargetRules.max_selected`: Braze's array attributes keep at most
    # 500 values); whether it fits the destinations' `array_limit` is `domain.array_limit`'s check.
    max_selected: Annotated[
        int | None,
        Field(ge=1, description="The most options one answer may pick."),
        AfterValidator(within_max_selected),
    ] = None
    min_selected: Annotated[int | None, Field(ge=1, description="The fewest options an answer may pick.")] = None


T = TypeVar("T")


def shuffled(items: Sequence[T], seed: str, element_id: str) -> list[T]:
    """`items` in an order drawn from `seed` (a response id) and the element: the same on every
    render of one response, different between responses and between questions."""
    digest = hashlib.sha256(f"{seed}\x00{element_id}".encode()).digest()
    order = list(items)
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return order


def is_other_text(el: SingleChoice | MultiChoice, value: Any) -> bool:
    """Whether `value` (one stored value) is the text typed for the "other" choice."""
    return el.other is not None and isinstance(value, str) and value not in el.option_values()


def for_conditions(exp: Experience, answers: Mapping[str, Any]) -> Mapping[str, Any]:
    """The answers as conditions read them: an "other" text reads as the value `other`."""
    seen: dict[str, Any] | None = None
    for _screen, el in exp.elements().values():
        if not isinstance(el, SingleChoice | MultiChoice) or el.other is None or el.id not in answers:
            continue
        value = answers[el.id]
        seen = seen if seen is not None else dict(answers)
        if isinstance(value, list):
            seen[el.id] = [OTHER if is_other_text(el, v) else v for v in value]
        elif is_other_text(el, value):
            seen[el.id] = OTHER
    return answers if seen is None else seen
