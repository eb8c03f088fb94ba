"""The delivery engine against each answer Braze gives (docs/delivery.md, "Settling"), on fake time
over the in-memory outbox: what is delivered, stripped, split, paused or dead, and what is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.delivery_rig import Rig
from tests.support.fake_braze import status
from zeroparty.delivery.engine import EngineSettings
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.sandbox.rules.validation import NO_VALID_DATA


def sent_for(rig: Rig, who: str) -> list[dict[str, object]]:
    """Every attributes object sent for `who`, in order."""
    return [o for c in rig.braze.tracks for o in c.attributes if o.get("email") == who]


def test_a_response_is_delivered_in_one_request_and_recorded_as_accepted(rig: Rig) -> None:
    rig.respond("kim@example.com", first_name="Kim", marketing_opt_in=True)
    rig.deliver()
    assert rig.states() == {"delivered": 1}
    [call] = rig.braze.tracks
    sent = {
        "email": "kim@example.com",
        "first_name": "Kim",
        "email_subscribe": "opted_in",
        "skin_type": "dry",
        "skin_goals": ["hydration"],
        "routine_length": "short",
        "skin_quiz_routine": "hydration_boost",
    }
    assert call.attributes == [sent]
    assert rig.braze.profiles["kim@example.com"] == sent
    row = rig.rows()["kim@example.com"]
    assert (row.attempts, row.last_error, row.delivered_at) == (1, None, rig.time.now())
    assert [a.outcome for a in rig.outbox.history(row.id)] == ["delivered"]
    assert rig.outbox.accepted(rig.dest, "kim@example.com") == {k: v for k, v in sent.items() if k != "email"}
    counters = rig.outbox.counters(rig.dest)
    assert (counters.requests, counters.points_sent, counters.points_saved) == (1, 5, 0)  # email_subscribe is free


def test_a_refused_field_is_stripped_and_the_rest_of_the_lead_delivered(rig: Rig) -> None:
    rig.braze.refuse("kim@example.com", "first_name")
    rig.respond("kim@example.com", first_name="Kim", marketing_opt_in=True)
    rig.respond("lee@example.com", first_name="Lee")
    rig.deliver()
    assert rig.states() == {"delivered": 2}  # nothing dead: the valid answers and the opt-in got through
    first, again = rig.braze.tracks
    assert first.users == ["kim@example.com", "lee@example.com"] and again.users == ["kim@example.com"]
    assert "first_name" not in again.attributes[0] and again.attributes[0]["email_subscribe"] == "opted_in"
    assert len(sent_for(rig, "lee@example.com")) == 1  # accepted in the first request: never sent again
    kim = rig.braze.profiles["kim@example.com"]
    assert kim["skin_type"] == "dry" and "first_name" not in kim
    note = rig.rows()["kim@example.com"].last_error or ""
    assert note == "Braze refused attribute 'first_name': 'first_name' is not valid"


def test_an_object_refused_without_naming_a_field_is_sent_row_by_row_and_only_the_refused_row_dies(rig: Rig) -> None:
    good = rig.queue("ana@example.com", {"skin_type": "dry"})
    bad = rig.queue("ana@example.com", {"favourite": "tea"})
    rig.braze.refuse("ana@example.com", "favourite", "Injected fault: object rejected")
    rig.deliver()
    assert rig.outbox.row(good).state == "delivered"
    dead = rig.outbox.row(bad)
    assert (dead.state, dead.last_error) == (
        "dead",
        "Braze rejected this profile update: Injected fault: object rejected",
    )
    assert rig.braze.profiles["ana@example.com"] == {"email": "ana@example.com", "skin_type": "dry"}


def test_a_400_naming_an_object_costs_one_more_request_not_a_bisection(rig: Rig) -> None:
    refused = {"type": "'skin_type' is not valid", "input_array": "attributes", "index": 2}
    rig.braze.then(status(400, NO_VALID_DATA, errors=[refused]))
    emails = [f"u{i}@example.com" for i in range(4)]
    for email in emails:
        rig.respond(email)
    rig.deliver()
    assert rig.states() == {"delivered": 4}
    first, second = rig.braze.tracks  # nothing was applied: the valid three go again, with the refused one stripped
    assert first.users == emails and sorted(second.users) == emails
    assert {o["email"] for o in second.attributes if "skin_type" not in o} == {"u2@example.com"}
    assert rig.rows()["u2@example.com"].last_error == "Braze refused attribute 'skin_type': 'skin_type' is not valid"


def test_a_400_without_detail_splits_the_batch_until_the_culprit_is_alone(rig: Rig) -> None:
    rig.braze.refuse_request("u1@example.com")
    for i in range(4):
        rig.respond(f"u{i}@example.com")
    rig.deliver()
    assert rig.states() == {"delivered": 3, "dead": 1}
    assert [c.users for c in rig.braze.tracks] == [
        ["u0@example.com", "u1@example.com", "u2@example.com", "u3@example.com"],
        ["u0@example.com", "u1@example.com"],
        ["u0@example.com"],
        ["u1@example.com"],
        ["u2@example.com", "u3@example.com"],
    ]
    dead = rig.rows()["u1@example.com"]
    assert dead.last_error == f"Braze rejected the request: HTTP 400: {NO_VALID_DATA}" and dead.attempts == 1


def test_a_413_splits_the_batch_in_halves(rig: Rig) -> None:
    rig.braze.then(status(413, "Request Entity Too Large"))
    for i in range(4):
        rig.respond(f"u{i}@example.com")
    rig.deliver()
    assert rig.states() == {"delivered": 4}
    assert [len(c.users) for c in rig.braze.tracks] == [4, 2, 2]


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        (401, "Invalid API Key", "Braze refused the API key (HTTP 401: Invalid API Key); update the key"),
        (
            403,
            "Access Denied",
            "Braze refused POST /users/track (HTTP 403: Access Denied): the key lacks the users.track permission, "
            "which POST /users/track needs: create a key with users.track under Settings > APIs and Identifiers > "
            "API Keys (a key's permissions cannot be changed after it is made) and set it with "
            "`zeroparty destinations update-key`",
        ),
        (
            404,
            "Not Found",
            "Braze answered HTTP 404: Not Found: check the destination's REST endpoint (instance); then resume",
        ),
    ],
)
def test_a_refused_key_or_a_wrong_endpoint_pauses_the_destination_and_dead_letters_nothing(
    rig: Rig, code: int, message: str, reason: str
) -> None:
    rig.braze.then(status(code, message))
    for i in range(3):
        rig.respond(f"u{i}@example.com")
    rig.deliver()
    dest = rig.outbox.destination(rig.dest)
    assert (dest.paused_reason, dest.paused_until) == (reason, None)
    assert rig.states() == {"pending": 3}
    assert {(r.attempts, r.last_error) for r in rig.outbox.rows()} == {(0, reason)}  # the attempt given back
    assert len(rig.braze.calls) == 1  # paused until an operator resumes it: nothing more is sent
    rig.outbox.resume(rig.dest)
    rig.deliver()
    assert rig.states() == {"delivered": 3}
    assert {r.attempts for r in rig.outbox.rows()} == {1}


def test_batches_not_yet_sent_when_the_destination_pauses_go_back_unsent(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(settings=DestinationSettings(max_objects=1, max_in_flight=1))
    rig.braze.then(status(401, "Invalid API Key"))
    for i in range(2):
        rig.respond(f"u{i}@example.com")
    rig.deliver()
    assert rig.states() == {"pending": 2} and rig.outbox.destination(rig.dest).paused_reason is not None
    assert {r.attempts for r in rig.outbox.rows()} == {0}


@pytest.mark.parametrize(
    ("headers", "wait_s"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"X-Ratelimit-Retry-After": "5"}, 5.0),
        ({"X-RateLimit-Reset": "9"}, 9.0),  # seconds left
        ({"X-RateLimit-Reset": "EPOCH+12"}, 12.0),  # an epoch second
        ({}, 3.0),  # nothing said: a short wait
    ],
    ids=["retry-after", "x-ratelimit-retry-after", "reset-in-seconds", "reset-at-epoch", "no-header"],
)
def test_a_429_waits_as_braze_says_without_using_an_attempt(
    make_rig: Callable[..., Rig], headers: dict[str, str], wait_s: float
) -> None:
    rig = make_rig(engine=EngineSettings(batch_window_s=0.0))  # the first request goes at once
    epoch = rig.time.now().timestamp()
    headers = {k: str(int(epoch) + 12) if v == "EPOCH+12" else v for k, v in headers.items()}
    rig.braze.then(status(429, "rate limited", headers=headers))
    rig.respond("kim@example.com")
    rig.deliver()
    first, second = rig.braze.tracks
    assert (first.status, second.status) == (429, 201)
    assert first.at is not None and second.at == first.at + timedelta(seconds=wait_s)
    row = rig.rows()["kim@example.com"]
    assert (row.state, row.attempts) == ("delivered", 1)
    assert [a.outcome for a in rig.outbox.history(row.id)] == ["released", "delivered"]
    assert rig.outbox.destination(rig.dest).paused_reason is None  # the pause ended with the next success
