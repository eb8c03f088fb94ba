"""One call to Braze, and what kept it from an answer, as the settle plans read it: a request that
never left (not sent) is a plain retry; another transport failure may have happened after Braze
took the request (unknown), a malformed endpoint never works
(wrong endpoint), anything else is a bug to pin on one object (broken). Also the identify step that
goes before a batch's track, and the delivery log lines."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from zeroparty.delivery.ports import BrazeSender, Destination, SendResult
from zeroparty.domain.answer_table import outcome_of_error
from zeroparty.domain.braze_payload import IDENTIFY_MAX, Batch
from zeroparty.domain.classify import classify
from zeroparty.domain.scrub import peek, scrub, scrub_json
from zeroparty.domain.settle import Outcome, SettlePlan
from zeroparty.domain.verify import IDENTIFY
from zeroparty.errors import DeliveryError, TerminalDeliveryError

log = logging.getLogger("zeroparty.delivery")


async def call_braze(
    request: Awaitable[SendResult], dest: Destination, deadline: float, what: str, doing: str
) -> SendResult | Outcome:
    """Braze's answer to `request` within `deadline` seconds, or the outcome that stood in for one.
    `what` prefixes the stored reasons (e.g. "/users/identify: "); `doing` names the step in the log."""
    try:
        return await asyncio.wait_for(request, deadline)
    except TimeoutError as exc:
        return outcome_of_error(exc, deadline, what)
    except DeliveryError as exc:  # the sender's own: the table says what each one means
        text = peek(scrub(str(exc), dest.api_key))
        return outcome_of_error(exc, deadline, text if isinstance(exc, TerminalDeliveryError) else what + text)
    except Exception as exc:  # nothing the sender knows of: the plan pins it on one object
        log_unexpected(dest, doing, exc)
        return outcome_of_error(
            exc, deadline, f"unexpected error while {doing} ({type(exc).__name__}); see the worker log"
        )


async def identify_first(
    sender: BrazeSender, dest: Destination, batch: Batch, deadline: float, clock: Callable[[], datetime]
) -> Outcome | None:
    """Fold the marked users' email-only profiles into their identified ones before the first
    /users/track names them by external_id, which would otherwise make a second profile
    (identify_emails; docs/delivery.md, "Identity"). None when Braze took every call; otherwise
    the batch's outcome, read as a /users/track answer would be (the track is not sent)."""
    entries = [u.identify for u in batch.users if u.identify is not None]
    for start in range(0, len(entries), IDENTIFY_MAX):
        chunk = entries[start : start + IDENTIFY_MAX]
        request = sender.post_identify(dest.endpoint, dest.api_key, chunk)
        got = await call_braze(request, dest, deadline, "/users/identify: ", "identifying users")
        if not isinstance(got, SendResult):
            return got
        if not 200 <= got.status < 300:
            body = scrub_json(got.body, dest.api_key)
            objects = sum(u.objects for u in batch.users)
            return classify(got.status, got.headers, body, objects, clock().timestamp(), IDENTIFY.path)
    return None


def remaining(headers: Mapping[str, str]) -> int | None:
    """Braze's `X-RateLimit-Remaining`, when it is there and a number."""
    found = {k.lower(): v for k, v in headers.items()}.get("x-ratelimit-remaining")
    try:
        return int(found) if found is not None else None
    except ValueError:
        return None


def log_plan(dest: Destination, batch: Batch, plan: SettlePlan) -> None:
    if plan.pause is not None:
        log.error("pausing %s: %s", dest.name, plan.pause.reason, extra={"action": "destination_paused"})
    elif plan.retry:
        reason = plan.retry[0].reason
        log.warning("delivery to %s failed, will retry: %s", dest.name, reason, extra={"action": "retry_scheduled"})
    if plan.delivered:
        log.info("delivered %d item(s) to %s", len(plan.delivered), dest.name, extra={"action": "delivered"})
    for ids, reason in plan.dead:
        log.error("dead-lettered %d item(s) for %s: %s", len(ids), dest.name, reason, extra={"action": "dead"})


def log_unexpected(dest: Destination, doing: str, exc: Exception) -> None:
    # The exception's text may quote data or whatever the transport saw: scrub it like Braze's answers.
    text = scrub("".join(traceback.format_exception(exc)), dest.api_key)
    log.error("unexpected error while %s for %s:\n%s", doing, dest.name, text, extra={"action": "unexpected"})
