"""Scales: a rating (1 to N stars), a Net Promoter Score question (0 to 10) and an opinion scale
(0 or 1 up to 5-10). Each answer is a whole number, sent to Braze as a number attribute and
compared by conditions as a number; pages show the points as a radio group."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from zeroparty.domain.experience.element_base import ElementBase, optional_line
from zeroparty.domain.experience.translatable import TEXT

_EndLabel = Annotated[str | None, Field(min_length=1, max_length=100), AfterValidator(optional_line), TEXT]


class _Scale(ElementBase):
    low_label: _EndLabel = Field(None, description="Shown at the low end of the scale.")
    high_label: _EndLabel = Field(None, description="Shown at the high end of the scale.")

    @property
    def lowest(self) -> int:
        raise NotImplementedError

    @property
    def highest(self) -> int:
        raise NotImplementedError

    def points(self) -> range:
        return range(self.lowest, self.highest + 1)

    @property
    def low_text(self) -> str | None:
        return self.low_label

    @property
    def high_text(self) -> str | None:
        return self.high_label


class Rating(_Scale):
    """1 to `stars` (5 unless given)."""

    type: Literal["rating"]
    stars: Annotated[
        int | None, Field(ge=3, le=10, strict=True, description="How many stars: 3 to 10 (default 5).")
    ] = None

    @property
    def lowest(self) -> int:
        return 1

    @property
    def highest(self) -> int:
        return self.stars or 5


class Nps(_Scale):
    """How likely the respondent is to recommend, 0 to 10."""

    type: Literal["nps"]

    @property
    def lowest(self) -> int:
        return 0

    @property
    def highest(self) -> int:
        return 10

    @property
    def low_text(self) -> str | None:
        return self.low_label or "Not at all likely"

    @property
    def high_text(self) -> str | None:
        return self.high_label or "Extremely likely"


class OpinionScale(_Scale):
    """`min` (0 or 1; 1 unless given) to `max` (5 to 10; 5 unless given)."""

    type: Literal["opinion_scale"]
    # Strict: YAML's `true` is not the number 1.
    min: Annotated[int | None, Field(ge=0, le=1, strict=True, description="The lowest point: 0 or 1 (default 1).")] = (
        None
    )
    max: Annotated[
        int | None, Field(ge=5, le=10, strict=True, description="The highest point: 5 to 10 (default 5).")
    ] = None

    @property
    def lowest(self) -> int:
        return 1 if self.min is None else self.min

    @property
    def highest(self) -> int:
        return self.max or 5


SCALE_TYPES = frozenset({"rating", "nps", "opinion_scale"})
