"""Static checks of the outcome strategies and endings: what weights, score bands, tags and
redirects refer to exists and fits the strategy chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zeroparty.domain.experience.feed import tag_problems
from zeroparty.domain.experience.score import band_problems
from zeroparty.domain.experience.weights import weight_problems

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience

Problems = list[tuple[str, str]]


def _ending_problems(exp: Experience) -> Problems:
    problems: Problems = []
    for oi, outcome in enumerate(exp.outcomes):
        path = f"outcomes[{oi}]"
        if outcome.ends_with == "redirect" and outcome.redirect_url is None:
            problems.append((f"{path}.redirect_url", "a redirect ending needs an https:// URL to go to"))
        if outcome.ends_with != "redirect" and outcome.redirect_url is not None:
            problems.append((f"{path}.redirect_url", "only a redirect ending goes to a URL; set ending: redirect"))
        if outcome.pass_values and outcome.ends_with != "redirect":
            problems.append((f"{path}.pass_values", "values are only appended to a redirect ending's URL"))
    return problems


def strategy_problems(exp: Experience) -> Problems:
    return [*weight_problems(exp), *band_problems(exp), *tag_problems(exp), *_ending_problems(exp)]
