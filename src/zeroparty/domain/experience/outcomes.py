"""Choosing the outcome of a response: the first outcome whose condition holds, else the fallback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeroparty.domain.experience.conditions import evaluate
from zeroparty.domain.experience.model import Experience, Outcome

_EMPTY: Mapping[str, Any] = {}


def choose_outcome(
    exp: Experience,
    answers: Mapping[str, Any],
    variables: Mapping[str, Any] = _EMPTY,
    inputs: Mapping[str, Any] = _EMPTY,
) -> Outcome:
    """`variables` are the response's after its route (`logic.route`); conditions may read them."""
    for outcome in exp.outcomes:
        if outcome.when is None or evaluate(outcome.when, answers, inputs, variables):
            return outcome
    raise AssertionError("validated definitions always end with a fallback outcome")
