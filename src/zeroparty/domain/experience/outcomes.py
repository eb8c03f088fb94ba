"""Choosing the outcome of a response, by the experience's `outcome_strategy`:

- rules (and feed, whose products come with the outcome): the first outcome whose condition
  holds, else the fallback (the last);
- weights: the highest total of the chosen options' weights, ties to the outcome listed first;
- score: the score band the number of right answers falls in.

The server decides from the stored answers alone, so the same answers always give the same outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zeroparty.domain.experience.choices import for_conditions
from zeroparty.domain.experience.conditions import evaluate
from zeroparty.domain.experience.feed import Product, pick_products
from zeroparty.domain.experience.model import Experience, Outcome
from zeroparty.domain.experience.score import by_score, score
from zeroparty.domain.experience.weights import by_weights

_EMPTY: Mapping[str, Any] = {}


def _by_rules(
    exp: Experience, answers: Mapping[str, Any], variables: Mapping[str, Any], inputs: Mapping[str, Any]
) -> Outcome:
    seen = for_conditions(exp, answers)  # an "other" text reads as `other`
    for outcome in exp.outcomes:
        if outcome.when is None or evaluate(outcome.when, seen, inputs, variables):
            return outcome
    raise AssertionError("validated definitions always end with a fallback outcome")


def choose_outcome(
    exp: Experience,
    answers: Mapping[str, Any],
    variables: Mapping[str, Any] = _EMPTY,
    inputs: Mapping[str, Any] = _EMPTY,
) -> Outcome:
    """`variables` are the response's after its route (`logic.route`) and `inputs` its hidden
    values (`domain.experience.hidden`); an outcome's `when` may read both."""
    if exp.strategy == "weights":
        return by_weights(exp, answers)
    if exp.strategy == "score":
        return by_score(exp, answers)
    return _by_rules(exp, answers, variables, inputs)


@dataclass(frozen=True)
class Result:
    """What a completed response shows and sends beside its outcome."""

    outcome: Outcome
    score: int | None
    products: tuple[Product, ...]


def result(exp: Experience, answers: Mapping[str, Any], outcome_id: str) -> Result | None:
    """The stored outcome with its score and products (computed again from the answers); None
    when the outcome is not one of this version's."""
    outcome = next((o for o in exp.outcomes if o.id == outcome_id), None)
    if outcome is None:
        return None
    points = score(exp, answers) if exp.strategy == "score" else None
    return Result(outcome, points, tuple(pick_products(exp, answers)))


def outcome_attributes(exp: Experience, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The score and product attributes a completed response sends (attribute name -> value)."""
    attrs: dict[str, Any] = {}
    if exp.score_attribute is not None and exp.strategy == "score":
        attrs[exp.score_attribute] = score(exp, answers)
    if exp.products_attribute is not None and exp.feed is not None:
        attrs[exp.products_attribute] = [p.id for p in pick_products(exp, answers)]
    return attrs
