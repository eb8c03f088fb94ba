"""Analytics events and the funnel computed from them. Pure: no storage, no clock.

An event is one thing a respondent did (a page load, a screen seen or submitted, a completion, a
click on the outcome's call to action). Events are appended, never changed. The funnel counts them:
loads → starts → completions → emails captured → opted in, per screen the views, submits, drop-off
and median time on screen, and how often each outcome was reached; once per variant too when the
events carry more than one."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    LOAD = "load"  # the hosted page's first GET (or an embed's load)
    START = "start"  # the response was created
    SCREEN_VIEW = "screen_view"
    SCREEN_SUBMIT = "screen_submit"  # stored; carries the time on screen
    COMPLETE = "complete"
    OUTCOME_SHOWN = "outcome_shown"
    CTA_CLICK = "cta_click"


# A respondent who leaves a tab open for a day is not "on the screen" for a day: longer is not kept.
MAX_SCREEN_MS = 60 * 60 * 1000


@dataclass(frozen=True)
class Event:
    """One respondent action. Holds no IP address or user agent, by design."""

    kind: EventKind
    slug: str
    at: datetime
    version: int | None = None
    response_id: str | None = None
    screen_id: str | None = None
    outcome_id: str | None = None
    variant: str | None = None
    duration_ms: int | None = None  # time on screen, screen_submit only


@dataclass(frozen=True)
class ResponseFacts:
    """What the responses themselves say, for the end of the funnel: the ids of responses that
    captured an email, and of those whose email-marketing consent was given."""

    emails: frozenset[str] = frozenset()
    opted_in: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ScreenStats:
    id: str
    views: int
    submits: int
    drop_off: int  # views that were not followed by a submit
    drop_off_rate: float | None  # drop_off / views; None without views
    median_ms: int | None  # median time on screen over the submits that carried one


@dataclass(frozen=True)
class Funnel:
    loads: int
    starts: int
    completions: int
    emails_captured: int
    opted_in: int
    screens: tuple[ScreenStats, ...]
    outcomes: dict[str, int]
    cta_clicks: int

    def as_json(self) -> dict[str, Any]:
        return {
            "loads": self.loads,
            "starts": self.starts,
            "completions": self.completions,
            "emails_captured": self.emails_captured,
            "opted_in": self.opted_in,
            "cta_clicks": self.cta_clicks,
            "screens": [
                {
                    "id": s.id,
                    "views": s.views,
                    "submits": s.submits,
                    "drop_off": s.drop_off,
                    "drop_off_rate": s.drop_off_rate,
                    "median_ms": s.median_ms,
                }
                for s in self.screens
            ],
            "outcomes": dict(self.outcomes),
        }


@dataclass(frozen=True)
class Stats:
    overall: Funnel
    variants: dict[str, Funnel]  # only when the events name two or more variants

    def as_json(self) -> dict[str, Any]:
        shown = self.overall.as_json()
        if self.variants:
            shown["variants"] = {name: f.as_json() for name, f in self.variants.items()}
        return shown


@dataclass
class _Tally:
    counts: dict[EventKind, int] = field(default_factory=lambda: dict.fromkeys(EventKind, 0))
    views: dict[str, int] = field(default_factory=dict)
    submits: dict[str, int] = field(default_factory=dict)
    durations: dict[str, list[int]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    def add(self, e: Event) -> None:
        self.counts[e.kind] += 1
        if e.kind is EventKind.START and e.response_id is not None:
            self.started.add(e.response_id)
        elif e.kind is EventKind.SCREEN_VIEW and e.screen_id is not None:
            self.views[e.screen_id] = self.views.get(e.screen_id, 0) + 1
        elif e.kind is EventKind.SCREEN_SUBMIT and e.screen_id is not None:
            self.submits[e.screen_id] = self.submits.get(e.screen_id, 0) + 1
            if e.duration_ms is not None and 0 <= e.duration_ms <= MAX_SCREEN_MS:
                self.durations.setdefault(e.screen_id, []).append(e.duration_ms)
        elif e.kind is EventKind.COMPLETE and e.outcome_id is not None:
            self.outcomes[e.outcome_id] = self.outcomes.get(e.outcome_id, 0) + 1

    def funnel(
        self, screen_ids: Sequence[str], outcome_ids: Sequence[str], facts: ResponseFacts, whole: bool
    ) -> Funnel:
        # Overall, every response in the range counts; per variant, only those it started.
        emails = facts.emails if whole else facts.emails & self.started
        opted = facts.opted_in if whole else facts.opted_in & self.started
        order = list(screen_ids) + sorted((set(self.views) | set(self.submits)) - set(screen_ids))
        outcomes = dict.fromkeys(outcome_ids, 0) | {k: self.outcomes[k] for k in sorted(self.outcomes)}
        return Funnel(
            loads=self.counts[EventKind.LOAD],
            starts=self.counts[EventKind.START],
            completions=self.counts[EventKind.COMPLETE],
            emails_captured=len(emails),
            opted_in=len(opted),
            screens=tuple(self._screen(s) for s in order),
            outcomes=outcomes,
            cta_clicks=self.counts[EventKind.CTA_CLICK],
        )

    def _screen(self, screen_id: str) -> ScreenStats:
        views, submits = self.views.get(screen_id, 0), self.submits.get(screen_id, 0)
        drop = max(views - submits, 0)
        spent = self.durations.get(screen_id)
        return ScreenStats(
            id=screen_id,
            views=views,
            submits=submits,
            drop_off=drop,
            drop_off_rate=round(drop / views, 4) if views else None,
            median_ms=round(statistics.median(spent)) if spent else None,
        )


def funnel_stats(
    events: Iterable[Event],
    screen_ids: Sequence[str],
    outcome_ids: Sequence[str],
    facts: ResponseFacts = ResponseFacts(),
    variant: str | None = None,
) -> Stats:
    """The funnel of `events` (read once, in any order), screens in `screen_ids` order (screens of
    other versions that no longer exist follow, by id), every outcome of `outcome_ids` listed even
    when never reached. Given a `variant`, only that variant's events and responses count."""
    if variant is not None:
        alone = _Tally()
        for e in events:
            if e.variant == variant:
                alone.add(e)
        return Stats(overall=alone.funnel(screen_ids, outcome_ids, facts, whole=False), variants={})
    overall = _Tally()
    per_variant: dict[str, _Tally] = {}
    for e in events:
        overall.add(e)
        if e.variant is not None:
            per_variant.setdefault(e.variant, _Tally()).add(e)
    variants: Mapping[str, _Tally] = per_variant if len(per_variant) > 1 else {}
    return Stats(
        overall=overall.funnel(screen_ids, outcome_ids, facts, whole=True),
        variants={v: t.funnel(screen_ids, outcome_ids, facts, whole=False) for v, t in sorted(variants.items())},
    )


def time_on_screen(shown_ms: str | None, now_ms: int) -> int | None:
    """Milliseconds between a screen's rendering (`shown_ms`, epoch milliseconds the page carried in
    a hidden field: outside input) and its submit; None when missing, malformed, in the future or
    longer than MAX_SCREEN_MS."""
    if shown_ms is None or not (0 < len(shown_ms) <= 16) or not shown_ms.isascii() or not shown_ms.isdigit():
        return None
    spent = now_ms - int(shown_ms)
    return spent if 0 <= spent <= MAX_SCREEN_MS else None
