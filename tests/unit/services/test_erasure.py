"""Erasing a person, as `zeroparty people erase` and the console ask for it (services/erasure.py):
which destinations are looked up, what each is asked to delete and when, what the local erasure is
told, and what the erasure log keeps of each destination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.erasure import Delivered, Outcome, Sent
from zeroparty.domain.verify import email_hmac_hex, email_sha256_hex
from zeroparty.errors import DeliveryError, FieldError, InvalidInput, NotFound
from zeroparty.services.destination_types import BrazeConnection
from zeroparty.services.erasure import CHANGED, GONE, ErasureService
from zeroparty.services.people import Found, LocalErasure, LogKeys, SentOf

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ADA = "ada@example.com"
SECRET = b"s" * 32
KEY = "api-key-0123456789abcdef"
QUIZ = {"braze_id": "b-quiz", "email": ADA, "custom_attributes": {"skin_type": "dry"}}
APP = {"braze_id": "b-app", "email": ADA, "custom_attributes": {"app_opens": 3}}
# What a destination was sent for Ada: the attribute the quiz profile holds.
DELIVERED = Delivered(accepted=({"skin_type": "dry"},), user_keys=frozenset({ADA}))


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


class People:
    """The store's side: what it finds of Ada, and a record of what it was asked."""

    def __init__(self, found: Found, *, changed: frozenset[str] = frozenset()) -> None:
        self.found = found
        self.changed = changed
        self.refuse: InvalidInput | None = None
        self.erased: tuple[Sequence[str], Found, dict[str, Sent]] | None = None
        self.recorded: tuple[int, list[Outcome], dict[str, Sent]] | None = None
        self.events: list[str] = []

    def find(self, email: str, keys: LogKeys, now: datetime) -> Found:
        assert (email, now) == (ADA, T0)
        if self.refuse is not None:
            raise self.refuse
        return self.found

    def erase(
        self, email: str, keys: LogKeys, now: datetime, calls: Sequence[str], seen: Found, sent_of: SentOf
    ) -> LocalErasure:
        if self.refuse is not None:
            raise self.refuse
        self.events.append("erase here")
        sealed = {name: sent_of(name, self.found) for name in sorted(set(calls) | self.changed)}
        self.erased = (list(calls), seen, sealed)
        return LocalErasure(7, self.found.responses, {"responses": 1}, self.changed, sealed)

    def record_calls(self, erasure_id: int, calls: Sequence[Outcome], sent: Mapping[str, Sent]) -> None:
        self.events.append("record calls")
        self.recorded = (erasure_id, list(calls), dict(sent))


class Connections:
    def __init__(self, *names: str) -> None:
        self.names = names

    def connection(self, name: str) -> BrazeConnection:
        if name not in self.names:
            raise NotFound(FieldError("name", f"no destination named '{name}'"))
        return BrazeConnection(1, name, f"https://{name}.example", KEY, "…cdef", None, DestinationSettings())


@dataclass
class Braze:
    """Braze's side: scripted answers per destination (by endpoint), every call recorded."""

    exports: dict[str, Answer | DeliveryError] = field(default_factory=dict)
    deletes: dict[str, Answer | DeliveryError] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    opened: int = 0
    closed: int = 0

    def client(self) -> Braze:
        self.opened += 1
        return self

    async def export_ids(self, endpoint: str, api_key: str, body: dict[str, Any]) -> Answer:
        self.calls.append(("export", endpoint, body))
        return _answer(self.exports.get(endpoint, Answer(201, {"users": [QUIZ, APP]})))

    async def delete_by_braze_ids(self, endpoint: str, api_key: str, braze_ids: list[str]) -> Answer:
        self.calls.append(("delete", endpoint, braze_ids))
        self.events.append("delete in Braze")
        return _answer(self.deletes.get(endpoint, Answer(201, {"deleted": len(braze_ids)})))

    async def aclose(self) -> None:
        self.closed += 1


def _answer(scripted: Answer | DeliveryError) -> Answer:
    if isinstance(scripted, DeliveryError):
        raise scripted
    return scripted


def found(delivered: dict[str, Delivered] | None = None, leftover: dict[str, Sent] | None = None, *names: str) -> Found:
    return Found(1, (), delivered or {}, leftover or {}, names)


def service(people: People, braze: Braze, *names: str) -> ErasureService:
    return ErasureService(people, Connections(*names), braze.client, SECRET, clock=lambda: T0)


def test_looking_up_asks_only_the_destinations_sent_something_and_changes_nothing() -> None:
    people, braze = People(found({"eu": DELIVERED}, None, "eu", "us")), Braze()
    lookup = service(people, braze, "eu", "us").look_up(ADA)

    assert lookup.keys == LogKeys(email_hmac_hex(SECRET, ADA), email_sha256_hex(ADA))
    eu, us = lookup.steps
    assert (eu.destination, eu.called, us.destination, us.called, us.plan) == ("eu", True, "us", False, None)
    assert [(kind, endpoint, body["email_address"]) for kind, endpoint, body in braze.calls] == [
        ("export", "https://eu.example", ADA)
    ]
    assert eu.plan is not None and [c.profile.braze_id for c in eu.plan.doomed] == ["b-quiz"]
    assert lookup.doomed == 1
    assert people.erased is None and braze.opened == braze.closed == 1


def test_erasing_erases_here_first_then_deletes_the_plan_in_braze_and_logs_each_outcome() -> None:
    people, braze = People(found({"eu": DELIVERED}, None, "eu", "us")), Braze()
    svc = service(people, braze, "eu", "us")
    lookup = svc.look_up(ADA)
    erasure = svc.erase(lookup)

    assert people.events[0] == "erase here" and braze.events == ["delete in Braze"]
    assert people.erased is not None and people.erased[0] == ["eu"] and people.erased[1] is lookup.found
    assert ("delete", "https://eu.example", ["b-quiz"]) in braze.calls
    [outcome] = erasure.outcomes
    assert outcome == Outcome("eu", True, "deleted in Braze (HTTP 201, deleted: 1)", ("b-quiz",))
    assert lookup.steps[0].outcome == outcome and lookup.steps[1].outcome is None
    assert people.recorded == (7, [outcome], people.erased[2])
    assert erasure.failed == [] and braze.opened == braze.closed == 2


def test_nothing_is_deleted_where_the_look_up_was_refused_and_the_key_is_never_repeated() -> None:
    people = People(found({"eu": DELIVERED}, None, "eu"))
    braze = Braze(exports={"https://eu.example": Answer(403, {"message": f"Access Denied for {KEY}"})})
    svc = service(people, braze, "eu")
    lookup = svc.look_up(ADA)
    plan = lookup.steps[0].plan
    assert plan is not None and plan.problem is not None
    assert plan.problem.startswith("cannot look up: the key lacks the users.export.ids permission")
    assert KEY not in plan.problem and lookup.doomed == 0

    erasure = svc.erase(lookup)
    assert [c for c in braze.calls if c[0] == "delete"] == []
    assert erasure.outcomes == [Outcome("eu", False, f"not deleted: {plan.problem}")]
    assert erasure.failed == ["eu"]


def test_a_failed_deletion_is_not_done_and_says_why_without_the_key() -> None:
    people = People(found({"eu": DELIVERED}, None, "eu"))
    braze = Braze(deletes={"https://eu.example": DeliveryError(f"connection reset while sending {KEY}")})
    svc = service(people, braze, "eu")
    [outcome] = svc.erase(svc.look_up(ADA)).outcomes
    assert not outcome.done and outcome.outcome.startswith("failed: connection reset")
    assert KEY not in outcome.outcome and outcome.deleted == ()


def test_a_destination_gone_since_an_unfinished_erasure_is_reported_not_called() -> None:
    people, braze = People(found(None, {"old": Sent(ADA)})), Braze()
    svc = service(people, braze)
    lookup = svc.look_up(ADA)
    [step] = lookup.steps
    assert step.retried and step.plan is not None and step.plan.problem == GONE
    assert braze.calls == []

    erasure = svc.erase(lookup)
    assert erasure.outcomes == [Outcome("old", False, f"not deleted: {GONE}")]
    assert people.recorded is not None and people.recorded[2] == {"old": Sent(ADA)}


def test_a_delivery_during_the_look_up_leaves_the_destination_not_done() -> None:
    people = People(found({"eu": DELIVERED}, None, "eu", "us"), changed=frozenset({"eu", "us"}))
    svc = service(people, Braze(), "eu", "us")
    erasure = svc.erase(svc.look_up(ADA))
    eu, us = erasure.outcomes
    assert eu == Outcome("eu", False, f"deleted in Braze (HTTP 201, deleted: 1); but {CHANGED}", ("b-quiz",))
    assert us == Outcome("us", False, f"not looked up: {CHANGED}")
    assert erasure.failed == ["eu", "us"]
    # What the destination sent something meanwhile was sent is sealed for the next run.
    assert people.erased is not None and set(people.erased[2]) == {"eu", "us"}


def test_a_refusing_store_stops_everything_before_braze_is_asked() -> None:
    people, braze = People(found({"eu": DELIVERED}, None, "eu")), Braze()
    people.refuse = InvalidInput(FieldError("EMAIL", "a delivery for this address is in flight"))
    with pytest.raises(InvalidInput):
        service(people, braze, "eu").look_up(ADA)
    assert braze.opened == 0

    people.refuse = None
    svc = service(people, braze, "eu")
    lookup = svc.look_up(ADA)
    people.refuse = InvalidInput(FieldError("EMAIL", "a delivery for this address is in flight"))
    with pytest.raises(InvalidInput):
        svc.erase(lookup)
    assert [c for c in braze.calls if c[0] == "delete"] == [] and people.recorded is None


def test_an_erasure_on_someones_behalf_is_audited_by_its_id_never_the_address() -> None:
    from zeroparty.adapters.memory.audit import MemoryAuditLog
    from zeroparty.services.audit import AuditService

    audit = AuditService(MemoryAuditLog(), clock=lambda: T0)
    people, braze = People(found({"eu": DELIVERED}, None, "eu")), Braze()
    svc = ErasureService(people, Connections("eu"), braze.client, SECRET, clock=lambda: T0, audit=audit, workspace_id=3)
    svc.erase(svc.look_up(ADA), actor="owner@brand.example")
    [entry] = audit.list(3)
    assert (entry.actor, entry.action, entry.target) == ("owner@brand.example", "person.erase", "erasure 7")
    assert ADA not in repr(entry) and entry.detail["braze_failed"] == 0
