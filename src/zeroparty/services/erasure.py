"""Erasing a person here and in each Braze destination that was sent their data, around the rule of
domain/erasure.py: `look_up` finds what each destination was sent and which of the profiles found
there go (nothing changes); `erase` then erases here, deletes those profiles by braze_id and logs
what each destination did. Between the two the caller shows the plan and asks, so a "no" leaves
everything as it was. `zeroparty people erase` is one face of it.

Braze's calls run on an event loop of their own, one client per phase: call from a thread in an
async host."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.domain.erasure import (
    EXPORT_PATH,
    EXPORT_PERMISSION,
    Outcome,
    Plan,
    Sent,
    choose,
    delete_bodies,
    deletion,
    exported,
    refusal,
    sent_to,
)
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import email_hmac_hex, email_sha256_hex
from zeroparty.errors import DeliveryError, InvalidInput
from zeroparty.services.audit import AuditService
from zeroparty.services.clock import utcnow
from zeroparty.services.destination_types import BrazeConnection, Connections
from zeroparty.services.people import BrazeErasure, Found, LocalErasure, LogKeys, PeopleStore

GONE = "the destination no longer exists; delete the person's profiles in Braze by hand"
CHANGED = (
    "a delivery reached Braze while the profiles were looked up, so it may have written to a profile not "
    "shown: run the same command again to look it up"
)


@dataclass
class Step:
    """One destination's part of the erasure, as it goes."""

    destination: str
    sent: Sent | None = None  # None: never sent anything for the person
    retried: bool = False  # an earlier erasure left it unfinished
    connection: BrazeConnection | None = None
    plan: Plan | None = None
    outcome: Outcome | None = None

    @property
    def called(self) -> bool:
        return self.sent is not None


@dataclass(frozen=True)
class Lookup:
    """What `look_up` found: every destination's step, each called one with its plan."""

    address: str  # normalised
    keys: LogKeys
    found: Found
    steps: list[Step]

    @property
    def doomed(self) -> int:
        """How many profiles the plans delete in Braze."""
        return sum(len(s.plan.doomed) for s in self.steps if s.plan is not None)


@dataclass(frozen=True)
class Erasure:
    """What `erase` did: the local erasure, and each destination's outcome (also on its step)."""

    local: LocalErasure
    outcomes: list[Outcome]

    @property
    def failed(self) -> list[str]:
        """The destinations Braze is not done at: the same command run again finishes those."""
        return [o.destination for o in self.outcomes if not o.done]


class ErasureService:
    def __init__(
        self,
        people: PeopleStore,
        connections: Connections,
        braze: Callable[[], BrazeErasure],
        erasure_secret: bytes,
        clock: Callable[[], datetime] = utcnow,
        *,
        audit: AuditService | None = None,
        workspace_id: int | None = None,
    ) -> None:
        self._audit = audit
        self._workspace_id = workspace_id
        self._people = people
        self._connections = connections
        self._braze = braze  # a new client per phase, closed at its end
        self._secret = erasure_secret  # keys the HMAC that names the address in the erasure log
        self._clock = clock

    def keys(self, address: str) -> LogKeys:
        return LogKeys(email_hmac_hex(self._secret, address), email_sha256_hex(address))

    def look_up(self, address: str) -> Lookup:
        """Every destination's step for `address` (normalised), each one that was sent something
        looked up in Braze and planned. InvalidInput while a delivery for the person is in flight."""
        keys = self.keys(address)
        found = self._people.find(address, keys, self._clock())
        steps = self._steps(found, address)

        async def look(client: BrazeErasure, step: Step) -> None:
            step.plan = await _look_up(client, step)

        self._run([s for s in steps if s.called], look)
        return Lookup(address, keys, found, steps)

    def erase(self, lookup: Lookup, *, actor: str | None = None) -> Erasure:
        """Erase here, then delete each plan's profiles in Braze and log each outcome. InvalidInput
        (nothing done anywhere) when the store refuses the local erasure."""
        steps = lookup.steps
        local = self._erase_here(lookup)

        async def delete(client: BrazeErasure, step: Step) -> None:
            step.outcome = await _delete(client, step, step.destination in local.changed)

        self._run([s for s in steps if s.called], delete)
        for step in steps:  # first sent something while the others were looked up
            if step.destination in local.changed and not step.called:
                step.outcome = Outcome(step.destination, False, f"not looked up: {CHANGED}")
        outcomes = [s.outcome for s in steps if s.outcome is not None]
        self._people.record_calls(local.erasure_id, outcomes, local.sealed)
        if actor is not None and self._audit is not None:
            # Named by the erasure log's id, never the address: the log must not keep whom it erased.
            detail = {"responses": local.responses, "braze_failed": sum(not o.done for o in outcomes)}
            self._audit.record(self._workspace_id, actor, "person.erase", f"erasure {local.erasure_id}", dict(detail))
        return Erasure(local, outcomes)

    def _steps(self, found: Found, email: str) -> list[Step]:
        """Every destination, and those an earlier erasure left unfinished: what each was sent."""
        names = sorted(set(found.destinations) | set(found.leftover))
        steps: list[Step] = []
        for name in names:
            step = Step(name, retried=name in found.leftover)
            try:
                step.connection = self._connections.connection(name)
            except InvalidInput:
                step.connection = None
            step.sent = _sent(name, found, step.connection, email)
            steps.append(step)
        return steps

    def _erase_here(self, lookup: Lookup) -> LocalErasure:
        by_name = {s.destination: s for s in lookup.steps}
        address = lookup.address

        def sent_of(name: str, now_found: Found) -> Sent:
            step = by_name.get(name, Step(name))
            return _sent(name, now_found, step.connection, address) or Sent(address)

        called = [s.destination for s in lookup.steps if s.called]
        return self._people.erase(address, lookup.keys, self._clock(), called, lookup.found, sent_of)

    def _run(self, steps: list[Step], act: Callable[[BrazeErasure, Step], Awaitable[None]]) -> None:
        async def go() -> None:
            client = self._braze()
            try:
                for step in steps:
                    await act(client, step)
            finally:
                await client.aclose()

        asyncio.run(go())


def _sent(name: str, found: Found, connection: BrazeConnection | None, email: str) -> Sent | None:
    """What `name` was sent for the person: what an earlier erasure sealed, and what it was sent since."""
    sent = found.leftover.get(name)
    delivered = found.delivered.get(name)
    if delivered is not None and connection is not None:
        now_sent = sent_to(email, connection.settings, delivered, found.external_ids)
        sent = now_sent if sent is None else sent | now_sent
    return sent


async def _look_up(client: BrazeErasure, step: Step) -> Plan:
    """Export the profiles holding an identifier zeroparty used for the person, and choose."""
    dest, sent = step.connection, step.sent
    assert sent is not None
    if dest is None:
        return Plan(step.destination, problem=GONE)
    profiles = []
    for body in sent.lookups():
        try:
            result = await client.export_ids(dest.endpoint, dest.api_key, body)
        except DeliveryError as exc:
            return Plan(step.destination, problem=f"look-up failed: {scrub(str(exc), dest.api_key)}")
        found = exported(result.status, result.body)
        if found is None:
            said = refusal(result.status, scrub_json(result.body, dest.api_key), EXPORT_PERMISSION, EXPORT_PATH)
            return Plan(step.destination, problem=f"cannot look up: {scrub(said, dest.api_key)}")
        profiles += found
    return Plan(step.destination, choose(sent, profiles))


async def _delete(client: BrazeErasure, step: Step, changed: bool) -> Outcome:
    """Delete the plan's profiles by braze_id, stopping at the first request refused. When a
    delivery reached the destination meanwhile, done is not done: the plan may have missed one."""
    dest, plan = step.connection, step.plan
    name = step.destination
    if plan is None or plan.problem is not None or dest is None:
        problem = plan.problem if plan is not None and plan.problem else GONE
        return Outcome(name, False, f"not deleted: {problem}")
    answers: list[tuple[list[str], int, Any]] = []
    for body in delete_bodies(plan.braze_ids):
        chunk = body["braze_ids"]
        try:
            result = await client.delete_by_braze_ids(dest.endpoint, dest.api_key, chunk)
        except DeliveryError as exc:
            gone = tuple(i for ids, _, _ in answers for i in ids)
            return Outcome(name, False, f"failed: {scrub(str(exc), dest.api_key)}", gone)
        answers.append((chunk, result.status, scrub_json(result.body, dest.api_key)))
        if not 200 <= result.status < 300:
            break
    outcome = deletion(name, answers)
    if changed and outcome.done:
        return Outcome(name, False, f"{outcome.outcome}; but {CHANGED}", outcome.deleted)
    return outcome
