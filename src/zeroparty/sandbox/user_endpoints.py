"""Handlers for the user-data endpoints beyond /users/track and /users/export/ids: parse the body
into its model (400 naming the field when it does not fit), then apply it to the store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from zeroparty.sandbox import requests as rq
from zeroparty.sandbox.identity import IdentityStore

Answer = tuple[int, dict[str, Any], int]  # status, body, data points used
Handler = Callable[[dict[str, Any]], Awaitable[Answer]]
M = TypeVar("M", bound=BaseModel)
SUCCESS = {"message": "success"}


def parse(model: type[M], body: dict[str, Any]) -> M | Answer:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        return 400, {"message": problems}, 0


def _handler(model: type[M], act: Callable[[M, datetime], Answer]) -> Handler:
    async def handle(body: dict[str, Any]) -> Answer:
        req = parse(model, body)
        if isinstance(req, tuple):
            return req
        return await run_in_threadpool(act, req, datetime.now(UTC))

    return handle


def identity_endpoints(store: IdentityStore) -> dict[str, tuple[str, Handler]]:
    """Path → (required permission, handler)."""

    def alias_new(r: rq.AliasNew, now: datetime) -> Answer:
        return 201, {"aliases_processed": store.alias_new(r, now), **SUCCESS}, 0

    def alias_update(r: rq.AliasUpdates, _now: datetime) -> Answer:
        store.alias_update(r)
        return 201, SUCCESS, 0

    def identify(r: rq.Identify, now: datetime) -> Answer:
        return 201, {"aliases_processed": store.identify(r, now), **SUCCESS}, 0

    def merge(r: rq.Merge, now: datetime) -> Answer:
        store.merge(r, now)
        return 202, SUCCESS, 0  # asynchronous at Braze: accepted, not done

    def delete(r: rq.Delete, _now: datetime) -> Answer:
        return 201, {"deleted": store.delete(r), **SUCCESS}, 0

    def subscription_v1(r: rq.SubscriptionV1, now: datetime) -> Answer:
        store.set_group_state(
            r.subscription_group_id, r.subscription_state, rq.refs(r.external_id, r.email, r.phone), now
        )
        return 201, SUCCESS, 0

    def subscription_v2(r: rq.SubscriptionV2, now: datetime) -> Answer:
        for g in r.subscription_groups:
            store.set_group_state(
                g.subscription_group_id, g.subscription_state, rq.refs(g.external_ids, g.emails, g.phones), now
            )
        return 201, SUCCESS, 0

    def email_status(r: rq.EmailStatus, now: datetime) -> Answer:
        store.set_email_state(rq.as_list(r.email), r.subscription_state, now)
        return 201, SUCCESS, 0

    return {
        "/users/alias/new": ("users.alias.new", _handler(rq.AliasNew, alias_new)),
        "/users/alias/update": ("users.alias.update", _handler(rq.AliasUpdates, alias_update)),
        "/users/identify": ("users.identify", _handler(rq.Identify, identify)),
        "/users/merge": ("users.merge", _handler(rq.Merge, merge)),
        "/users/delete": ("users.delete", _handler(rq.Delete, delete)),
        "/subscription/status/set": ("subscription.status.set", _handler(rq.SubscriptionV1, subscription_v1)),
        "/v2/subscription/status/set": ("subscription.status.set", _handler(rq.SubscriptionV2, subscription_v2)),
        "/email/status": ("email.status", _handler(rq.EmailStatus, email_status)),
    }
