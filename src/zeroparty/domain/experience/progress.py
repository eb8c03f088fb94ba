"""Where a respondent stands: "screen N of M" along their own route, not the definition's order.

N is the number of screens the route has shown before this one, plus one. M is N - 1 plus the
number of screens on the longest path from this screen to the end. Rules on later screens are
followed when their conditions read only what is already known (answers of screens before this
one, hidden values); other rules may go either way, and every way they may go counts. So from one
screen to the next, N grows by one and M never grows: the bar never goes backwards, and N <= M.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from zeroparty.domain.experience.conditions import evaluate, leaves
from zeroparty.domain.experience.logic import End, Jump, Skip, settled_route

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience


@dataclass(frozen=True)
class Position:
    step: int  # N: this screen's place on the route, from 1
    steps: int  # M: as many screens as the longest route through here can show

    @property
    def percent(self) -> int:
        return round(100 * self.step / self.steps)


class _Graph:
    """The screens a response may go to next from each screen, given what is known."""

    def __init__(self, exp: Experience, known: set[str], answers: Mapping[str, Any], inputs: Mapping[str, Any]):
        self.exp = exp
        self.index = {s.id: i for i, s in enumerate(exp.screens)}
        self.known = known  # element ids whose answers are settled
        self.answers = answers
        self.inputs = inputs
        self.skippable = {a.skip for s in exp.screens for r in s.rules or () for a in r.then if isinstance(a, Skip)}

    def decided(self, rule: Any) -> bool | None:
        """Whether a rule applies, when what it reads is known; None when it may go either way."""
        if rule.when is None:
            return True
        for leaf in leaves(rule.when):
            kind = leaf.ref.kind
            if kind == "variable" or (kind == "element" and leaf.ref.key not in self.known):
                return None
        return evaluate(rule.when, self.answers, self.inputs)

    def targets(self, si: int) -> list[int | None]:
        """Each screen index a response may jump to from `si` (None: the end)."""
        screen = self.exp.screens[si]
        found: list[int | None] = []
        for rule in screen.rules or ():
            jumps = [a for a in rule.then if isinstance(a, Jump | End)]
            applies = self.decided(rule)
            if not jumps or applies is False:
                continue
            first = jumps[0]
            found.append(self.index.get(first.jump, si + 1) if isinstance(first, Jump) else None)
            if applies:  # it jumps for sure: neither later rules nor the fallback happen
                return found
        found.append(self.index.get(screen.next, si + 1) if screen.next else si + 1)
        return found

    def successors(self, si: int) -> set[int]:
        following: set[int] = set()
        for target in self.targets(si):
            while target is not None and si < target < len(self.exp.screens):
                following.add(target)
                target = target + 1 if self.exp.screens[target].id in self.skippable else None
        return following

    def longest(self, si: int) -> int:
        @cache
        def from_(at: int) -> int:
            return 1 + max((from_(n) for n in self.successors(at)), default=0)

        return from_(si)


def position(exp: Experience, screen_id: str, answers: Mapping[str, Any]) -> Position:
    """Screen `screen_id`'s position for a response holding `answers` (hidden values included)."""
    keys = {f.key for f in exp.hidden()}
    inputs = {k: v for k, v in answers.items() if k in keys}
    given = {k: v for k, v in answers.items() if k not in keys}
    order = {s.id: i for i, s in enumerate(exp.screens)}
    here = order[screen_id]
    route, read = settled_route(exp, given, inputs, until=screen_id)
    shown = sum(1 for s in route.path if order[s] < here)  # a screen reached off the route counts what came before
    earlier = {el.id for s in exp.screens[:here] for el in s.elements}
    graph = _Graph(exp, earlier & set(read), read, inputs)
    return Position(shown + 1, shown + graph.longest(here))
