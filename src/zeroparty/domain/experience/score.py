"""The score strategy (trivia): options marked `correct: true` are the right answers; the score is
the number of questions answered right, and the score band it falls in picks the outcome.

A single choice is right when the chosen option is marked correct; a multi choice when exactly the
options marked correct are chosen. Only questions with a correct option count towards the score,
so the highest score is the number of such questions, and the bands must cover 0 to it, without
overlapping, so every score has exactly one outcome.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from zeroparty.domain.experience.elements import DefinitionModel, Ident, MultiChoice, SingleChoice
from zeroparty.domain.experience.weights import option_paths

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience, Outcome, Screen

Problems = list[tuple[str, str]]


class ScoreBand(DefinitionModel):
    min: Annotated[int, Field(ge=0, le=1000)]
    max: Annotated[int, Field(ge=0, le=1000)]
    outcome: Ident


@dataclass(frozen=True)
class Reveal:
    """Whether one answered question was right, and its right answers (labels), for the page after it."""

    element_id: str
    label: str
    right: bool
    answers: tuple[str, ...]


def _questions(screens: list[Screen]) -> Iterator[SingleChoice | MultiChoice]:
    for screen in screens:
        for el in screen.elements:
            if isinstance(el, SingleChoice | MultiChoice) and any(o.correct for o in el.options):
                yield el


def _is_right(el: SingleChoice | MultiChoice, value: Any) -> bool:
    right = {o.value for o in el.options if o.correct}
    if isinstance(el, MultiChoice):
        return isinstance(value, list) and set(value) == right
    return value in right


def max_score(exp: Experience) -> int:
    return sum(1 for _el in _questions(exp.screens))


def score(exp: Experience, answers: Mapping[str, Any]) -> int:
    """How many questions the answers get right."""
    return sum(1 for el in _questions(exp.screens) if el.id in answers and _is_right(el, answers[el.id]))


def by_score(exp: Experience, answers: Mapping[str, Any]) -> Outcome:
    points = score(exp, answers)
    band = next(b for b in exp.score_bands or [] if b.min <= points <= b.max)  # the bands cover every score
    return next(o for o in exp.outcomes if o.id == band.outcome)


def reveal(screen: Screen, answers: Mapping[str, Any]) -> list[Reveal]:
    """Right or wrong for each scored question of `screen` the answers hold."""
    return [
        Reveal(
            el.id,
            el.label,
            _is_right(el, answers[el.id]),
            tuple(o.label for o in el.options if o.correct),
        )
        for el in _questions([screen])
        if el.id in answers
    ]


def band_problems(exp: Experience) -> Problems:
    """Bands name outcomes that exist, run low to high, and cover 0 to the highest score once."""
    if exp.strategy != "score":
        problems = [("score_bands", "score bands only apply when outcome_strategy is score")] if exp.score_bands else []
        marked = any(o.correct is not None for _path, o in option_paths(exp))
        if marked:
            problems.append(("outcome_strategy", "options are marked correct, which only counts when it is score"))
        return problems
    if not exp.score_bands:
        return [("score_bands", "outcome_strategy score needs score bands ({min, max, outcome})")]
    top = max_score(exp)
    if top == 0:
        return [("outcome_strategy", "score needs at least one option marked correct: true")]
    problems = []
    outcome_ids = {o.id for o in exp.outcomes}
    covered: dict[int, int] = {}
    for bi, band in enumerate(exp.score_bands):
        path = f"score_bands[{bi}]"
        if band.outcome not in outcome_ids:
            problems.append((f"{path}.outcome", f"unknown outcome '{band.outcome}'"))
        if band.min > band.max:
            problems.append((f"{path}.max", f"must not be below min ({band.min})"))
        if band.max > top:
            problems.append((f"{path}.max", f"the highest score is {top}"))
        for points in range(band.min, min(band.max, top) + 1):
            if points in covered:
                problems.append((path, f"overlaps score_bands[{covered[points]}] at score {points}"))
                break
            covered[points] = bi
    gaps = [points for points in range(top + 1) if points not in covered]
    if gaps:
        problems.append(("score_bands", f"no band covers score {_ranges(gaps)}; cover 0 to {top}"))
    return problems


def _ranges(points: list[int]) -> str:
    """3, 5 to 7 — consecutive scores said as one range."""
    parts: list[str] = []
    start = prev = points[0]
    for p in [*points[1:], None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        parts.append(str(start) if start == prev else f"{start} to {prev}")
        if p is not None:
            start = prev = p
    return ", ".join(parts)
