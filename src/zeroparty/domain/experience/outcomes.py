"""Choosing the outcome of a response: the first outcome whose condition holds, else the fallback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeroparty.domain.experience.conditions import evaluate
from zeroparty.domain.experience.model import Experience, Outcome


def choose_outcome(exp: Experience, answers: Mapping[str, Any]) -> Outcome:
    for outcome in exp.outcomes:
        if outcome.when is None or evaluate(outcome.when, answers):
            return outcome
    raise AssertionError("validated definitions always end with a fallback outcome")
