"""The weights strategy (a personality quiz): each chosen option adds its points to outcomes; the
highest total wins. A tie goes to the outcome listed first in the definition, so the same answers
always pick the same outcome."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from zeroparty.domain.experience.elements import MultiChoice, Option, SingleChoice

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience, Outcome

Problems = list[tuple[str, str]]


def chosen_options(exp: Experience, answers: Mapping[str, Any]) -> Iterator[tuple[SingleChoice | MultiChoice, Option]]:
    """Every option the answers pick, element by element in definition order."""
    for element_id, (_screen, el) in exp.elements().items():
        if not isinstance(el, SingleChoice | MultiChoice) or element_id not in answers:
            continue
        value = answers[element_id]
        picked = set(value) if isinstance(value, list) else {value}
        for option in el.options:
            if option.value in picked:
                yield el, option


def totals(exp: Experience, answers: Mapping[str, Any]) -> dict[str, int]:
    """Each outcome's total, in outcome order (0 for an outcome no chosen option weighs)."""
    sums = {o.id: 0 for o in exp.outcomes}
    for _el, option in chosen_options(exp, answers):
        for outcome_id, points in (option.weights or {}).items():
            if outcome_id in sums:
                sums[outcome_id] += points
    return sums


def by_weights(exp: Experience, answers: Mapping[str, Any]) -> Outcome:
    sums = totals(exp, answers)
    best = max(sums.values())
    # max() keeps the first of equals: ties go to definition order.
    return next(o for o in exp.outcomes if sums[o.id] == best)


def weight_problems(exp: Experience) -> Problems:
    """Weights name outcomes that exist; they are only used by the weights strategy."""
    problems: Problems = []
    outcome_ids = {o.id for o in exp.outcomes}
    weighed = False
    for path, option in option_paths(exp):
        if option.weights is None:
            continue
        weighed = True
        if exp.strategy != "weights":
            problems.append((f"{path}.weights", "weights only count when outcome_strategy is weights"))
            continue
        for outcome_id in option.weights:
            if outcome_id not in outcome_ids:
                problems.append((f"{path}.weights.{outcome_id}", f"unknown outcome '{outcome_id}'"))
    if exp.strategy == "weights" and not weighed:
        problems.append(("outcome_strategy", "weights needs at least one option with weights"))
    return problems


def option_paths(exp: Experience) -> Iterator[tuple[str, Option]]:
    """Every option of every choice, with its path in the definition."""
    for si, screen in enumerate(exp.screens):
        for ei, el in enumerate(screen.elements):
            if isinstance(el, SingleChoice | MultiChoice):
                for oi, option in enumerate(el.options):
                    yield f"screens[{si}].elements[{ei}].options[{oi}]", option
