"""A destination's key check and test send, against a fake of Braze (`DestinationProbe`): which
calls are made in which order, where they stop, and that the key never shows in what is said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.synthetic import synthetic_send
from zeroparty.domain.verify import DELETE, EXPORT, TRACK
from zeroparty.errors import NotDeliveredError
from zeroparty.services.destination_probe import DestinationCalls
from zeroparty.services.destination_types import BrazeConnection

KEY = "secret-key-0123456789"
ENDPOINT = "https://rest.iad-01.braze.com"
EMPTY = {"message": "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."}


@dataclass(frozen=True)
class Said:
    status: int
    body: Any


@dataclass(frozen=True)
class TimedSaid:
    result: Said
    latency_ms: float


class FakeBraze:
    """Answers each path as told (a path told None gets no answer); records the calls and the close."""

    def __init__(self, answers: dict[str, Said | None]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.closed = False

    async def post(self, endpoint: str, path: str, api_key: str, body: dict[str, Any]) -> Said:
        self.calls.append((path, body))
        said = self.answers[path]
        if said is None:
            raise NotDeliveredError(f"could not reach {endpoint} with {api_key}")
        return said

    async def timed_post(self, endpoint: str, path: str, api_key: str, body: dict[str, Any]) -> TimedSaid:
        return TimedSaid(await self.post(endpoint, path, api_key, body), 42.0)

    async def aclose(self) -> None:
        self.closed = True


def calls_on(braze: FakeBraze) -> DestinationCalls:
    return DestinationCalls(lambda: braze)


def test_a_refused_key_is_said_once_and_no_other_permission_is_probed() -> None:
    braze = FakeBraze({"/users/track": Said(401, {"message": "Invalid API key: " + KEY})})
    checked = calls_on(braze).check_key(ENDPOINT, KEY, (TRACK, DELETE, EXPORT))
    assert [path for path, _ in braze.calls] == ["/users/track"] and braze.calls[0][1] == {}
    assert checked.report.refusal is not None and KEY not in checked.report.refusal
    assert checked.latency_ms == 42.0 and braze.closed


def test_a_key_with_track_only_is_granted_it_and_warned_about_the_optional_ones() -> None:
    braze = FakeBraze(
        {"/users/track": Said(400, EMPTY), "/users/delete": Said(403, {}), "/users/export/ids": Said(400, {})}
    )
    checked = calls_on(braze).check_key(ENDPOINT, KEY, (TRACK, DELETE, EXPORT))
    assert checked.report.refusal is None
    assert checked.report.granted == ("users.track", "users.export.ids")
    assert len(checked.report.warnings) == 1 and "users.delete" in checked.report.warnings[0]


def test_an_unreachable_endpoint_is_a_refusal_without_latency_and_without_the_key() -> None:
    braze = FakeBraze({"/users/track": None})
    checked = calls_on(braze).check_key(ENDPOINT, KEY, (TRACK,))
    assert checked.latency_ms == 0.0 and braze.closed
    assert checked.report.refusal is not None and checked.report.refusal.startswith("no answer: ")
    assert KEY not in checked.report.refusal


def dest(settings: DestinationSettings) -> BrazeConnection:
    return BrazeConnection(1, "eu", ENDPOINT, KEY, "…6789", None, settings)


def test_a_test_send_tracks_looks_the_profile_up_and_cleans_it_up() -> None:
    settings = DestinationSettings()
    send = synthetic_send("eu", settings, None, None, datetime(2026, 12, 1, tzinfo=UTC))
    braze = FakeBraze(
        {
            "/users/track": Said(201, {"message": "success"}),
            "/users/export/ids": Said(201, {"users": [{"email": send.identity.email}]}),
            "/users/delete": Said(201, {"deleted": 1}),
        }
    )
    answers = calls_on(braze).test_send(dest(settings), send, cleanup=True)
    assert [path for path, _ in braze.calls] == ["/users/track", "/users/export/ids", "/users/delete"]
    assert braze.calls[0][1] == send.track and braze.calls[2][1] == send.identity.delete_query()
    assert answers.identified is None and answers.sent is not None and answers.sent.latency_ms == 42.0
    assert answers.found is not None and answers.deleted is not None and braze.closed


def test_a_refused_identify_sends_nothing_to_track() -> None:
    settings = DestinationSettings.model_validate({"identity": "external_id", "identify_emails": True})
    send = synthetic_send("eu", settings, None, None, datetime(2026, 12, 1, tzinfo=UTC))
    assert send.identify is not None
    braze = FakeBraze({"/users/identify": Said(403, {})})
    answers = calls_on(braze).test_send(dest(settings), send)
    assert [path for path, _ in braze.calls] == ["/users/identify"]
    assert answers.identified is not None and answers.sent is None and answers.found is None


def test_a_refused_track_is_not_looked_up_and_no_answer_at_all_raises() -> None:
    settings = DestinationSettings()
    send = synthetic_send("eu", settings, None, None, datetime(2026, 12, 1, tzinfo=UTC))
    refused = FakeBraze({"/users/track": Said(401, {})})
    answers = calls_on(refused).test_send(dest(settings), send, cleanup=True)
    assert [path for path, _ in refused.calls] == ["/users/track"] and answers.found is answers.deleted is None
    unreachable = FakeBraze({"/users/track": None})
    with pytest.raises(NotDeliveredError):
        calls_on(unreachable).test_send(dest(settings), send)
    assert unreachable.closed
