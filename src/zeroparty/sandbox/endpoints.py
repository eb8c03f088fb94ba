"""Braze's user-data endpoints: parse the body, apply it to the store, answer as Braze does.

Answers: https://www.braze.com/docs/api/endpoints/user_data/post_user_track (201 with `message`,
`*_processed` and, on partial failure, `errors`; "Valid data must be provided…" when nothing is valid),
https://www.braze.com/docs/api/errors ("Max Input Length Exceeded"), and each endpoint's own page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from zeroparty.sandbox import requests as rq
from zeroparty.sandbox.config import SandboxConfig
from zeroparty.sandbox.faults import FaultScript
from zeroparty.sandbox.identity import IdentityStore
from zeroparty.sandbox.rules.validation import NO_VALID_DATA, count_objects, over_object_limit
from zeroparty.sandbox.store import SandboxStore

SUCCESS = {"message": "success"}
M = TypeVar("M", bound=BaseModel)


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    data_points: int = 0
    notes: list[str] = field(default_factory=list)
    objects: dict[str, int] = field(default_factory=dict)  # processed per array, for the stats


Handler = Callable[[dict[str, Any], datetime], Awaitable[Answer]]


def parse(
    model: type[M], body: dict[str, Any], precheck: Callable[[dict[str, Any]], str | None] | None = None
) -> M | Answer:
    """The body as `model`, or a 400 whose message names each bad field (or says what `precheck`,
    Braze's own wording for a body it refuses before looking at fields, found wrong)."""
    problem = precheck(body) if precheck is not None else None
    if problem:
        return Answer(400, {"message": problem})
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'body'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        return Answer(400, {"message": problems})


def _handler(model: type[M], act: Callable[[M, datetime], Answer]) -> Handler:
    async def handle(body: dict[str, Any], now: datetime) -> Answer:
        req = parse(model, body)
        if isinstance(req, Answer):
            return req
        return await run_in_threadpool(act, req, now)

    return handle


class _Endpoints:
    """The handlers, over the stores and the config they share."""

    def __init__(
        self, store: SandboxStore, identity: IdentityStore, config: SandboxConfig, faults: FaultScript
    ) -> None:
        self.store = store
        self.identity = identity
        self.config = config
        self.faults = faults

    async def track(self, body: dict[str, Any], now: datetime) -> Answer:
        counts = count_objects(body)
        if over_object_limit(counts, self.config.max_objects, self.config.per_array):
            return Answer(400, {"message": "Max Input Length Exceeded"})
        if not any(counts.values()):
            return Answer(400, {"message": NO_VALID_DATA})
        # Scripted per-object rejections (control API) join Braze's own validation.
        forced = self.faults.rejections("/users/track", body)
        outcome = await run_in_threadpool(self.store.track, body, now, forced)
        if not any(outcome.processed.values()):
            return Answer(400, {"message": NO_VALID_DATA, "errors": outcome.errors})
        answer: dict[str, Any] = {"message": "success"}
        answer.update({f"{array}_processed": n for array, n in outcome.processed.items()})
        if outcome.errors:
            answer["errors"] = outcome.errors
        return Answer(201, answer, outcome.data_points, outcome.notes, outcome.processed)

    async def export_ids(self, body: dict[str, Any], _now: datetime) -> Answer:
        req = parse(rq.Export, body, rq.export_problem)
        if isinstance(req, Answer):
            return req
        users, invalid = await run_in_threadpool(self.store.export, req.model_dump(exclude_none=True))
        answer: dict[str, Any] = {"message": "success", "users": users}
        if invalid:
            answer["invalid_user_ids"] = invalid
        return Answer(201, answer)

    async def merge(self, body: dict[str, Any], now: datetime) -> Answer:
        req = parse(rq.Merge, body, rq.merge_problem)
        if isinstance(req, Answer):
            return req
        await run_in_threadpool(self.identity.merge, req, now)
        return Answer(202, dict(SUCCESS))  # asynchronous at Braze: accepted, not done

    def alias_new(self, r: rq.AliasNew, now: datetime) -> Answer:
        return Answer(201, {"aliases_processed": self.identity.alias_new(r, now), **SUCCESS})

    def alias_update(self, r: rq.AliasUpdates, _now: datetime) -> Answer:
        self.identity.alias_update(r)
        return Answer(201, dict(SUCCESS))

    def identify(self, r: rq.Identify, now: datetime) -> Answer:
        return Answer(201, {"aliases_processed": self.identity.identify(r, now), **SUCCESS})

    def delete(self, r: rq.Delete, _now: datetime) -> Answer:
        return Answer(201, {"deleted": self.identity.delete(r), **SUCCESS})

    def subscription_v1(self, r: rq.SubscriptionV1, now: datetime) -> Answer:
        refs = rq.refs(r.external_id, r.email, r.phone)
        self.identity.set_group_state(r.subscription_group_id, r.subscription_state, refs, now)
        return Answer(201, dict(SUCCESS))

    def subscription_v2(self, r: rq.SubscriptionV2, now: datetime) -> Answer:
        for g in r.subscription_groups:
            refs = rq.refs(g.external_ids, g.emails, g.phones)
            self.identity.set_group_state(g.subscription_group_id, g.subscription_state, refs, now)
        return Answer(201, dict(SUCCESS))

    def email_status(self, r: rq.EmailStatus, now: datetime) -> Answer:
        self.identity.set_email_state(rq.as_list(r.email), r.subscription_state, now)
        return Answer(201, dict(SUCCESS))


def braze_endpoints(
    store: SandboxStore, identity: IdentityStore, config: SandboxConfig, faults: FaultScript
) -> dict[str, tuple[str, Handler]]:
    """Path → (the key permission it needs, handler)."""
    e = _Endpoints(store, identity, config, faults)
    return {
        "/users/track": ("users.track", e.track),
        "/users/export/ids": ("users.export.ids", e.export_ids),
        "/users/alias/new": ("users.alias.new", _handler(rq.AliasNew, e.alias_new)),
        "/users/alias/update": ("users.alias.update", _handler(rq.AliasUpdates, e.alias_update)),
        "/users/identify": ("users.identify", _handler(rq.Identify, e.identify)),
        "/users/merge": ("users.merge", e.merge),
        "/users/delete": ("users.delete", _handler(rq.Delete, e.delete)),
        "/subscription/status/set": ("subscription.status.set", _handler(rq.SubscriptionV1, e.subscription_v1)),
        "/v2/subscription/status/set": ("subscription.status.set", _handler(rq.SubscriptionV2, e.subscription_v2)),
        "/email/status": ("email.status", _handler(rq.EmailStatus, e.email_status)),
    }
