"""A first screen's form carries the id its response will have: the same form submitted twice,
or to two servers at once, is one response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from tests.support.definitions import sample
from zeroparty.adapters.memory import MemoryCaptureStore
from zeroparty.adapters.memory.capture import MemoryCaptureUnit
from zeroparty.services.capture import CaptureService
from zeroparty.services.ports import ResponseExists

T = TypeVar("T")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
START = "6f1c1a52-8b9e-4d0e-9a57-0a8c2f1e3b4d"


class RacingStore(MemoryCaptureStore):
    """Another server stores the same first form just before this one writes it."""

    raced = False

    def run(self, work: Callable[[MemoryCaptureUnit], T]) -> T:
        if not self.raced:
            self.raced = True
            super().run(work)  # the other server's submit, committed first
            raise ResponseExists(START)
        return super().run(work)


def test_the_same_first_form_submitted_twice_is_one_response() -> None:
    store = MemoryCaptureStore()
    store.publish(sample(), T0)
    svc = CaptureService(store, clock=lambda: T0)
    first = svc.submit_screen("skin-quiz", None, None, {"skin_type": "dry"}, start_id=START)
    again = svc.submit_screen("skin-quiz", None, None, {"skin_type": "oily"}, start_id=START)
    assert first.response_id == again.response_id == START
    assert [r.id for r in store.responses()] == [START]
    assert store.answers(START)["skin_type"].value == "oily"  # the later submit of its first screen


def test_a_first_form_stored_meanwhile_by_another_server_is_joined() -> None:
    store = RacingStore()
    store.publish(sample(), T0)
    done = CaptureService(store, clock=lambda: T0).submit_screen(
        "skin-quiz", None, None, {"skin_type": "dry"}, start_id=START
    )
    assert done.response_id == START and [r.id for r in store.responses()] == [START]
    assert done.next_screen is not None and done.next_screen.id == "goals"


def test_a_first_form_stored_meanwhile_is_joined_by_the_server_s_coroutine_too() -> None:
    """The server commits from its event loop (`commit_async`): the same retry holds there."""
    store = RacingStore()
    store.publish(sample(), T0)
    svc = CaptureService(store, clock=lambda: T0)
    prepared = svc.prepare_screen("skin-quiz", None, None, {"skin_type": "dry"}, start_id=START)
    done = asyncio.run(svc.commit_async(prepared))
    assert done.response_id == START and [r.id for r in store.responses()] == [START]
    assert done.next_screen is not None and done.next_screen.id == "goals"


def test_a_whole_response_whose_id_is_taken_is_not_run_again() -> None:
    """Only a first screen's form brings its id; a whole response's is new, so a clash is an error."""
    store = RacingStore()
    store.publish(sample(), T0)
    svc = CaptureService(store, clock=lambda: T0)
    answers = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"}
    with pytest.raises(ResponseExists):
        svc.submit_whole("skin-quiz", answers, {"email": "kim@example.com", "first_name": "Kim"})
