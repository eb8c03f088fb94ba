"""What the destination commands ask of Braze: checking a key's permissions before it is saved, and
a test send of a synthetic profile (identify, track, the export that shows it, an optional cleanup).
Braze is reached through `DestinationProbe`, which the Braze client implements; a probe is opened
per workflow and closed when it is done, so one-shot commands leave no connection behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.synthetic import SyntheticPerson, SyntheticSend
from zeroparty.domain.verify import (
    EXPORT_FIELDS,
    TRACK,
    Permission,
    PermissionCheck,
    PermissionReport,
    Verdict,
    exported_users,
    permission_report,
    permission_verdict,
    unreachable_verdict,
)
from zeroparty.errors import DeliveryError
from zeroparty.services.destination_types import BrazeAnswer, BrazeConnection

T = TypeVar("T")
EXPORT_DELAYS_S = (0.0, 0.5, 1.0, 2.0)  # /users/track is processed asynchronously: about 3.5 s in all


class TimedAnswer(Protocol):
    """An answer and how long it took, request sent to answer read."""

    @property
    def result(self) -> BrazeAnswer: ...

    @property
    def latency_ms(self) -> float: ...


class DestinationProbe(Protocol):
    """The Braze calls a destination's key check and test send make. Text made up from what the
    transport said is scrubbed of the key; a request that got no answer raises DeliveryError."""

    async def post(self, endpoint: str, path: str, api_key: str, body: dict[str, Any]) -> BrazeAnswer: ...

    async def timed_post(self, endpoint: str, path: str, api_key: str, body: dict[str, Any]) -> TimedAnswer: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class KeyCheck:
    """Braze's verdict on each permission asked for, and the first call's latency (0 when unreachable)."""

    report: PermissionReport
    latency_ms: float


@dataclass(frozen=True)
class SendAnswers:
    """Each answer of a test send; None when not reached (a refused identify sends no track, a
    refused track is not looked up)."""

    identified: TimedAnswer | None
    sent: TimedAnswer | None
    found: BrazeAnswer | None
    deleted: BrazeAnswer | None


async def _probe(probe: DestinationProbe, endpoint: str, key: str, perm: Permission) -> tuple[Verdict, float]:
    """Braze's verdict on `key`'s `perm`, from an empty body that writes nothing, and its latency."""
    try:
        timed = await probe.timed_post(endpoint, perm.path, key, {})
    except DeliveryError as exc:
        return unreachable_verdict(scrub(str(exc), key)), 0.0
    body = scrub_json(timed.result.body, key)
    verdict = permission_verdict(endpoint, perm.path, perm.name, timed.result.status, body)
    return Verdict(verdict.kind, scrub(verdict.message, key)), timed.latency_ms


async def _check_all(
    probe: DestinationProbe, endpoint: str, key: str, permissions: Sequence[Permission]
) -> tuple[list[PermissionCheck], float]:
    checks: list[PermissionCheck] = []
    latency = 0.0
    for perm in permissions:
        verdict, ms = await _probe(probe, endpoint, key, perm)
        checks.append(PermissionCheck(perm, verdict))
        latency = latency or ms
        if perm == TRACK and not verdict.ok:
            break  # a refused key: every other call would be refused the same way
    return checks, latency


async def _find(probe: DestinationProbe, dest: BrazeConnection, person: SyntheticPerson) -> BrazeAnswer:
    """The test profile as Braze holds it. /users/track is processed asynchronously: the profile
    may take a moment to appear, so the export is asked again for up to about 3.5 s."""
    query = {**person.export_query(), "fields_to_export": list(EXPORT_FIELDS)}
    found: BrazeAnswer | None = None
    for delay in EXPORT_DELAYS_S:
        await asyncio.sleep(delay)
        found = await probe.post(dest.endpoint, "/users/export/ids", dest.api_key, query)
        if found.status == 403 or exported_users(found.status, found.body) != []:
            break
    assert found is not None
    return found


def _ok(answer: TimedAnswer) -> bool:
    return 200 <= answer.result.status < 300


async def _test_calls(
    probe: DestinationProbe, dest: BrazeConnection, send: SyntheticSend, cleanup: bool
) -> SendAnswers:
    identified = None
    if send.identify is not None:
        identified = await probe.timed_post(dest.endpoint, "/users/identify", dest.api_key, send.identify)
        if not _ok(identified):
            return SendAnswers(identified, None, None, None)
    sent = await probe.timed_post(dest.endpoint, "/users/track", dest.api_key, send.track)
    if not _ok(sent):
        return SendAnswers(identified, sent, None, None)
    found = await _find(probe, dest, send.identity)
    deleted = None
    if cleanup:
        deleted = await probe.post(dest.endpoint, "/users/delete", dest.api_key, send.identity.delete_query())
    return SendAnswers(identified, sent, found, deleted)


class DestinationCalls:
    """The destination workflows that call Braze, each on a probe of its own from `open_probe`."""

    def __init__(self, open_probe: Callable[[], DestinationProbe]) -> None:
        self._open_probe = open_probe

    def _run(self, fn: Callable[[DestinationProbe], Awaitable[T]]) -> T:
        async def go() -> T:
            probe = self._open_probe()  # inside the loop that uses it
            try:
                return await fn(probe)
            finally:
                await probe.aclose()

        return asyncio.run(go())

    def check_key(self, endpoint: str, key: str, permissions: Sequence[Permission]) -> KeyCheck:
        """Probe each permission in turn (users.track first, when asked): nothing is written."""
        checks, latency = self._run(lambda p: _check_all(p, endpoint, key, permissions))
        return KeyCheck(permission_report(checks), latency)

    def test_send(self, dest: BrazeConnection, send: SyntheticSend, *, cleanup: bool = False) -> SendAnswers:
        """Send `send` as a real delivery would, then look the profile up (and delete it, with
        `cleanup`). DeliveryError when Braze could not be reached."""
        return self._run(lambda p: _test_calls(p, dest, send, cleanup))
