"""Braze's answers, and what each one does to the batch that got it: the whole table in one place.

A request ends in an answer from Braze (read by `classify.classify`) or in an error of the
transport (read by `outcome_of_error`); either way it becomes one `Outcome`, and each kind of
outcome has exactly one decider in `settle.py` that turns it into the `SettlePlan` the outbox
applies. `ROWS` lists them in the order docs/delivery.md ("Settling") shows them. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zeroparty.domain import settle
from zeroparty.domain.braze_payload import Batch
from zeroparty.domain.classify import (
    Accepted,
    AuthFailed,
    ObjectsRejected,
    RateLimited,
    Rejected,
    Transient,
    WrongEndpoint,
)
from zeroparty.domain.settle import Broken, NotSent, Outcome, SettleContext, SettlePlan, Unknown
from zeroparty.errors import NotDeliveredError, RetryableDeliveryError, TerminalDeliveryError


@dataclass(frozen=True)
class Row:
    answer: str  # what came back, as docs/delivery.md names it
    outcome: type[Any]
    decide: Callable[[Batch, Any, SettleContext], SettlePlan]


ROWS: tuple[Row, ...] = (
    Row("2xx, with or without per-object `errors`", Accepted, settle.accepted),
    Row("400 naming objects by index", ObjectsRejected, settle.objects_rejected),
    Row("400 without detail, 413, another 4xx", Rejected, settle.rejected),
    Row("401 / 403", AuthFailed, settle.auth_failed),
    Row("404, or an endpoint that cannot be used", WrongEndpoint, settle.wrong_endpoint),
    Row("408 / 429", RateLimited, settle.rate_limited),
    Row("5xx", Transient, settle.transient),
    Row("the request never left: refused, DNS, connect or TLS failure, connect timeout", NotSent, settle.not_sent),
    Row("timeout after connecting, dropped connection", Unknown, settle.unknown),
    Row("an unexpected error while sending", Broken, settle.broken),
)
_DECIDERS = {row.outcome: row.decide for row in ROWS}


def plan_settle(batch: Batch, outcome: Outcome, ctx: SettleContext) -> SettlePlan:
    """The whole decision for one answered (or failed) request."""
    return _DECIDERS[type(outcome)](batch, outcome, ctx)


def outcome_of_error(exc: BaseException, deadline: float, text: str) -> Outcome:
    """What a request that got no answer comes to. `text` is the error's text, already scrubbed
    of the key and cut short, prefixed by the step it came from."""
    if isinstance(exc, TimeoutError):
        return Unknown(f"{text}no answer within {deadline:.1f} s")
    if isinstance(exc, NotDeliveredError):
        return NotSent(text)  # never left: nothing can have been applied
    if isinstance(exc, RetryableDeliveryError):
        return Unknown(text)  # it may have reached Braze before the connection failed
    if isinstance(exc, TerminalDeliveryError):
        return WrongEndpoint(text)
    return Broken(text)
