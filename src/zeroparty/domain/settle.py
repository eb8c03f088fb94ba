"""What to do with a batch once Braze has answered (or not): one `SettlePlan` per request, decided
here in pure code and applied by the outbox in one transaction (docs/delivery.md, "Settling").
Which decider answers which outcome is the table in `answer_table.py`.

- Accepted objects: their rows are delivered and what they carried becomes the record of what
  Braze holds (so it is never sent again unchanged).
- An object Braze refuses is never dead-lettered whole at once: the field its message names is
  stripped and the rest resent; without a named field its rows are resent one by one; only a row
  refused on its own is dead, with Braze's reason for *it*.
- A 400 that names bad objects by index: the others were valid but not applied, so they are resent.
- Each object of a user is settled on its own: an event Braze accepted is recorded and never sent
  again, even when the same user's attributes are refused (and the other way round); a row whose
  completion event Braze refuses is dead with a reason naming the event.
- A request whose outcome is unknown (timeout, dropped connection) may still be applied later: its
  users wait out a settle window, and the keys it carried are forgotten from the record of what
  Braze holds, so they go again with their newest values (the newest values win).
- A request that provably never reached Braze (`NotSent`: refused connection, DNS, connect timeout)
  is a plain retry with backoff.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from zeroparty.domain.braze_payload import Batch, Change, Rendered, UserChanges
from zeroparty.domain.classify import (
    WRONG_ENDPOINT_ADVICE,
    Accepted,
    AuthFailed,
    ObjectRef,
    ObjectsRejected,
    RateLimited,
    Rejected,
    Transient,
    Verdict,
    WrongEndpoint,
    field_named,
)
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.verify import missing_permission_advice, permission_for

MAX_STRIPS = 3  # fields stripped from one user before its rows are tried one by one


@dataclass(frozen=True)
class NotSent:
    """The request never reached Braze (connection refused, DNS): nothing was applied."""

    reason: str


@dataclass(frozen=True)
class Unknown:
    """The request may have reached Braze (timeout, connection dropped mid-answer)."""

    reason: str


@dataclass(frozen=True)
class Broken:
    """Something unexpected happened while sending (a bug, not Braze): pin it on one object."""

    reason: str


Outcome = Verdict | NotSent | Unknown | Broken


@dataclass(frozen=True)
class RowState:
    attempts: int  # including the claim that handed the row over
    created_at: datetime


@dataclass(frozen=True)
class Retry:
    user_key: str
    item_ids: tuple[str, ...]
    at: datetime
    reason: str
    full: bool  # nobody knows what went (a worker died): next time send everything the rows carry


@dataclass(frozen=True)
class Resend:
    """Send this user again within the same lease: whole, stripped of a refused field, or one row."""

    user: UserChanges
    strips: int = 0  # fields stripped so far
    alone: bool = False  # a single row sent on its own after its object was refused


@dataclass(frozen=True)
class Pause:
    reason: str
    until: datetime | None  # None: until an operator resumes it


Dead = tuple[tuple[tuple[str, ...], str], ...]  # (item ids, reason) of rows that end dead


@dataclass(frozen=True)
class SettlePlan:
    delivered: tuple[str, ...] = ()
    accepted: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # user → values Braze now holds
    dead: Dead = ()
    retry: tuple[Retry, ...] = ()
    release: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (user, item ids) back without using an attempt
    resend: tuple[Resend, ...] = ()
    resend_batches: tuple[tuple[Resend, ...], ...] = ()  # halves of a batch to send apart
    notes: Mapping[str, str] = field(default_factory=dict)  # item id → what happened to part of it
    doubt: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # user → record keys a request in doubt carried
    pause: Pause | None = None
    points_sent: int = 0
    points_saved: int = 0
    health: Literal["ok", "failed", "neutral"] = "neutral"  # for the circuit breaker


@dataclass(frozen=True)
class SettleContext:
    rows: Mapping[str, RowState]
    policy: RetryPolicy
    now: datetime
    settle_window: timedelta
    rng: random.Random
    strips: Mapping[str, int] = field(default_factory=dict)  # user → fields already stripped
    alone: frozenset[str] = frozenset()  # users whose single row was sent on its own
    renames: Mapping[str, str] = field(default_factory=dict)  # attribute ID → the name Braze knows


@dataclass(frozen=True)
class Refusals:
    """What Braze refused of one user's objects: the attributes object, and events by their index."""

    attributes: str | None = None
    events: Mapping[int, str] = field(default_factory=dict)


def _refusals(batch: Batch, failed: Mapping[ObjectRef, str]) -> dict[int, Refusals]:
    """Position in the batch → what Braze refused of that user's objects. By position, not by
    user: a user's rows sent one by one share a batch, one object each."""
    found: dict[int, Refusals] = {}
    for ref, message in failed.items():
        where = batch.locate(ref)
        if where is None:
            continue
        n, event = where
        was = found.get(n, Refusals())
        if event is None:
            found[n] = replace(was, attributes=was.attributes or message)
        else:
            found[n] = replace(was, events={**was.events, event: message})
    return found


def _held(user: Rendered) -> dict[str, Any]:
    """What accepting the user's attributes object tells of what Braze now holds."""
    if user.record:
        return dict(user.sent)
    return {k: v for k, v in user.sent.items() if k.startswith("$")}  # the identity marks only


NOTHING_REFUSED = Refusals()


def _applied(user: Rendered, refused: Refusals) -> dict[str, Any]:
    """The record of what Braze now holds from this user's objects, all but the refused ones."""
    record = {m: True for j, m in enumerate(user.event_marks) if j not in refused.events}
    if refused.attributes is None:
        record.update(_held(user))
    return record


def _without_refused_events(user: Rendered, refused: Refusals) -> tuple[Dead, Rendered]:
    """The rows whose completion event Braze refused, dead with a reason naming the event; and the
    user without those rows."""
    name = user.events[0].get("name") if user.events else None
    dead = tuple(
        ((user.event_rows[j],), f"Braze refused the completion event '{name}': {message}")
        for j, message in sorted(refused.events.items())
    )
    gone = {user.event_rows[j] for j in refused.events}
    rest = UserChanges(user.user.user_key, tuple(row for row in user.user.rows if row.item_id not in gone))
    return dead, replace(user, user=rest)


def _answered(user: Rendered, refused: Refusals, ctx: SettleContext) -> SettlePlan:
    """Braze applied this user's objects but those it refused: record each accepted one on its own."""
    key = user.user.user_key
    record = _applied(user, refused)
    dead, rest = _without_refused_events(user, refused)
    points = len(user.events) - len(refused.events)
    if refused.attributes is None:
        return SettlePlan(
            delivered=rest.item_ids,
            accepted={key: record} if record else {},
            dead=dead,
            points_sent=user.attribute_points + points,
        )
    # The attributes were refused: the other rows go the way a refused object goes (strip the
    # field, or row by row), without the events already accepted.
    base = SettlePlan(accepted={key: record} if record else {}, dead=dead, points_sent=points)
    return _merge(base, _refused(rest, refused.attributes, ctx)) if rest.user.rows else base


def accepted(batch: Batch, outcome: Accepted, ctx: SettleContext) -> SettlePlan:
    refusals = _refusals(batch, outcome.failed)
    delivered: list[str] = []
    record: dict[str, dict[str, Any]] = {}
    points = 0
    partial: list[SettlePlan] = []
    for n, user in enumerate(batch.users):
        refused = refusals.get(n)
        if refused is not None:
            partial.append(_answered(user, refused, ctx))
            continue
        # Everything of this user was applied (the common case, kept to one pass: a batch holds
        # up to 75 users, and merging a plan per user would copy the growing plan each time).
        delivered += user.item_ids
        # A user's rows sent one by one share a batch: the record holds what each accepted.
        record.setdefault(user.user.user_key, {}).update(_applied(user, NOTHING_REFUSED))
        points += user.points_sent
    base = SettlePlan(
        delivered=tuple(delivered),
        accepted={k: v for k, v in record.items() if v},
        points_sent=points,
        points_saved=sum(u.points_saved for u in batch.users),
        health="ok",
    )
    return _merge(base, *partial)


def objects_rejected(batch: Batch, outcome: ObjectsRejected, ctx: SettleContext) -> SettlePlan:
    # Nothing was applied: the objects not named were valid and go again, without the bad ones.
    refusals = _refusals(batch, outcome.failed)
    plans: list[SettlePlan] = []
    for n, user in enumerate(batch.users):
        refused = refusals.get(n, NOTHING_REFUSED)
        dead, rest = _without_refused_events(user, refused)
        if dead:
            plans.append(SettlePlan(dead=dead))
        if not rest.user.rows:
            continue
        if refused.attributes is not None:
            plans.append(_refused(rest, refused.attributes, ctx))
        else:
            plans.append(SettlePlan(resend=(Resend(rest.user, ctx.strips.get(rest.user.user_key, 0)),)))
    return _merge(SettlePlan(health="ok"), *plans)


def _refused(user: Rendered, message: str, ctx: SettleContext) -> SettlePlan:
    """One user's object was refused: strip the named field, else try its rows one by one."""
    key = user.user.user_key
    reason = f"Braze rejected this profile update: {message}"
    strips = ctx.strips.get(key, 0)
    name = field_named(message)
    if name is not None and strips < MAX_STRIPS and key not in ctx.alone:
        stripped = _strip(user, name, ctx.renames)
        if stripped is not None:
            kept, gone = stripped
            notes = {i: f"Braze refused attribute '{name}': {message}" for row in kept.rows for i in [row.item_id]}
            dead = ((gone, reason),) if gone else ()
            return SettlePlan(resend=(Resend(kept, strips + 1),), dead=dead, notes=notes)
    if len(user.user.rows) > 1 and key not in ctx.alone:
        return SettlePlan(resend=tuple(Resend(UserChanges(key, (row,)), strips, alone=True) for row in user.user.rows))
    return SettlePlan(dead=((user.item_ids, reason),))


def _strip(user: Rendered, braze_name: str, renames: Mapping[str, str]) -> tuple[UserChanges, tuple[str, ...]] | None:
    """The user without the refused field, and the rows that carried nothing else; None when the
    field is not one the object sent (or nothing would be left)."""
    if user.attributes is None or braze_name not in user.attributes or braze_name not in user.sent:
        return None
    # The message names Braze's name; rows hold attribute IDs, which a destination may rename.
    kept: list[Change] = []
    gone: list[str] = []
    for row in user.user.rows:
        rest = {k: v for k, v in row.attributes.items() if renames.get(k, k) != braze_name}
        if rest or row.groups or row.completion is not None:
            kept.append(replace(row, attributes=rest))
        else:
            gone.append(row.item_id)
    if not kept:
        return None
    return UserChanges(user.user.user_key, tuple(kept)), tuple(gone)


def rejected(batch: Batch, outcome: Rejected, ctx: SettleContext) -> SettlePlan:
    if outcome.splittable and len(batch.users) > 1:
        half = len(batch.users) // 2
        halves = tuple(
            tuple(Resend(u.user, ctx.strips.get(u.user.user_key, 0)) for u in part)
            for part in (batch.users[:half], batch.users[half:])
        )
        return SettlePlan(resend_batches=halves)
    if len(batch.users) == 1 and len(batch.users[0].user.rows) > 1 and batch.users[0].user.user_key not in ctx.alone:
        return _refused(batch.users[0], outcome.reason, replace(ctx, strips={batch.users[0].user.user_key: MAX_STRIPS}))
    return SettlePlan(dead=tuple((u.item_ids, f"Braze rejected the request: {outcome.reason}") for u in batch.users))


def _paused(batch: Batch, reason: str, until: datetime | None) -> SettlePlan:
    return SettlePlan(
        release=tuple((u.user.user_key, u.item_ids) for u in batch.users), pause=Pause(reason, until), health="neutral"
    )


def auth_failed(batch: Batch, outcome: AuthFailed, _ctx: SettleContext) -> SettlePlan:
    path = outcome.forbidden
    permission = permission_for(path) if path is not None else None
    if path is not None and permission is not None:
        advice = missing_permission_advice(permission, path)
        return _paused(batch, f"Braze refused POST {path} ({outcome.reason}): {advice}", None)
    return _paused(batch, f"Braze refused the API key ({outcome.reason}); update the key", None)


def wrong_endpoint(batch: Batch, outcome: WrongEndpoint, _ctx: SettleContext) -> SettlePlan:
    reason = f"Braze answered {outcome.reason}: {WRONG_ENDPOINT_ADVICE}"
    return _paused(batch, reason, None)


def rate_limited(batch: Batch, outcome: RateLimited, ctx: SettleContext) -> SettlePlan:
    until = ctx.now + timedelta(seconds=outcome.wait_s)
    return _paused(batch, f"rate limited ({outcome.reason})", until)


def _retry_all(batch: Batch, reason: str, ctx: SettleContext, *, full: bool, at_least: timedelta) -> SettlePlan:
    retries: list[Retry] = []
    dead: list[tuple[tuple[str, ...], str]] = []
    for user in batch.users:
        live: list[str] = []
        worst = 0
        for item_id in user.item_ids:
            row = ctx.rows[item_id]
            if ctx.policy.exhausted(row.attempts, row.created_at, ctx.now):
                dead.append(((item_id,), f"retries exhausted: {reason}"))
            else:
                live.append(item_id)
                worst = max(worst, row.attempts)
        if live:
            wait = max(timedelta(seconds=ctx.policy.backoff(worst, ctx.rng)), at_least)
            retries.append(Retry(user.user.user_key, tuple(live), ctx.now + wait, reason, full))
    return SettlePlan(retry=tuple(retries), dead=tuple(dead), health="failed")


def transient(batch: Batch, outcome: Transient, ctx: SettleContext) -> SettlePlan:
    return _retry_all(batch, outcome.reason, ctx, full=False, at_least=timedelta(0))


def not_sent(batch: Batch, outcome: NotSent, ctx: SettleContext) -> SettlePlan:
    return _retry_all(batch, outcome.reason, ctx, full=False, at_least=timedelta(0))


def unknown(batch: Batch, outcome: Unknown, ctx: SettleContext) -> SettlePlan:
    reason = f"outcome unknown ({outcome.reason}); will resend what it carried after the settle window"
    plan = _retry_all(batch, reason, ctx, full=False, at_least=ctx.settle_window)
    doubt = {u.user.user_key: tuple(u.sent) for u in batch.users if u.sent}
    return replace(plan, doubt=doubt)


def broken(batch: Batch, outcome: Broken, ctx: SettleContext) -> SettlePlan:
    if len(batch.users) > 1:  # find the object that causes it: send each half on its own
        return rejected(batch, Rejected(outcome.reason, splittable=True), ctx)
    return replace(_retry_all(batch, outcome.reason, ctx, full=False, at_least=timedelta(0)), health="neutral")


def _merge(base: SettlePlan, *plans: SettlePlan) -> SettlePlan:
    out = base
    for p in plans:
        out = SettlePlan(
            delivered=out.delivered + p.delivered,
            accepted=_combined(out.accepted, p.accepted),
            dead=out.dead + p.dead,
            retry=out.retry + p.retry,
            release=out.release + p.release,
            resend=out.resend + p.resend,
            resend_batches=out.resend_batches + p.resend_batches,
            notes={**out.notes, **p.notes},
            doubt=_joined(out.doubt, p.doubt),
            pause=out.pause or p.pause,
            points_sent=out.points_sent + p.points_sent,
            points_saved=out.points_saved + p.points_saved,
            health=out.health if out.health != "neutral" else p.health,
        )
    return out


def _combined(a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Records of two plans: a user in both (their rows sent one by one) holds what both accepted."""
    out = dict(a)
    for user, values in b.items():
        out[user] = {**out.get(user, {}), **values}
    return out


def _joined(a: Mapping[str, tuple[str, ...]], b: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out = dict(a)
    for user, keys in b.items():
        out[user] = tuple(dict.fromkeys(out.get(user, ()) + keys))
    return out
