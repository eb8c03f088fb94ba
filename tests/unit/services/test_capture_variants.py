"""The capture service with A/B variants, on the in-memory store: the version a new response starts
on, the variant it keeps, the draw, a variant a client names, and a completed response submitted
again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.definitions import sample_data
from zeroparty.adapters.memory import MemoryCaptureStore
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import InvalidInput
from zeroparty.services.capture import CaptureService
from zeroparty.services.capture_results import AlreadyComplete
from zeroparty.services.ports import StoredVariant

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ANSWERS: list[tuple[str, dict[str, Any]]] = [
    ("skin", {"skin_type": "dry"}),
    ("goals", {"skin_goals": ["hydration"]}),
    ("routine", {"routine_length": "long"}),
]


class Events:
    def __init__(self) -> None:
        self.seen: list[Event] = []

    def record(self, event: Event) -> None:
        self.seen.append(event)


def service(u: float) -> tuple[CaptureService, MemoryCaptureStore, Events]:
    store = MemoryCaptureStore()
    store.outbox.add_destination("braze")
    one = store.publish(Experience.model_validate(sample_data()), T0)
    two = store.publish(Experience.model_validate(sample_data() | {"title": "Version two"}), T0)
    store.set_variants(
        "skin-quiz", (StoredVariant("A", one.version_id, 1, 30), StoredVariant("B", two.version_id, 2, 70))
    )
    events = Events()
    return CaptureService(store, clock=lambda: T0, events=events, draw=lambda: u), store, events


@pytest.mark.parametrize(("u", "name", "title"), [(0.1, "A", "Find your skincare routine"), (0.5, "B", "Version two")])
def test_a_new_respondent_gets_the_drawn_variants_version_and_keeps_it(u: float, name: str, title: str) -> None:
    svc, store, events = service(u)
    pub, variant = svc.first_screen("skin-quiz")
    assert (variant, pub.experience.title) == (name, title)
    first = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}, variant=variant)
    view = svc.progress("skin-quiz", first.response_id)
    assert (view.variant, view.published.experience.title, first.variant) == (name, title, name)
    assert [(e.kind, e.variant) for e in events.seen] == [(EventKind.START, name), (EventKind.SCREEN_SUBMIT, name)]


def test_a_returning_respondent_keeps_their_variant_while_it_exists() -> None:
    svc, _store, _events = service(0.99)  # the draw says B
    assert svc.first_screen("skin-quiz", "A")[1] == "A"
    assert svc.first_screen("skin-quiz", "gone")[1] == "B"  # a variant since removed: a new draw


def test_an_api_response_may_name_its_variant_which_must_exist() -> None:
    svc, store, _events = service(0.99)
    whole = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "long"}
    done = svc.submit_whole("skin-quiz", whole, {"email": "a@example.com"}, variant="A")
    assert done.variant == "A" and store.responses()[0].variant == "A"
    with pytest.raises(InvalidInput) as refused:
        svc.submit_whole("skin-quiz", whole, {"email": "a@example.com"}, variant="C")
    assert [e.field for e in refused.value.errors] == ["variant"] and len(store.responses()) == 1


def test_a_completed_response_submitted_again_changes_nothing_and_says_so() -> None:
    svc, store, events = service(0.1)
    rid = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}).response_id
    for screen, answers in ANSWERS[1:]:
        svc.submit_screen("skin-quiz", rid, screen, answers)
    done = svc.submit_screen("skin-quiz", rid, "contact", {"email": "once@example.com"})
    rows, seen = len(store.outbox.rows()), len(events.seen)
    assert rows == 1 and [e.kind for e in events.seen].count(EventKind.COMPLETE) == 1
    with pytest.raises(AlreadyComplete) as again:
        svc.submit_screen("skin-quiz", rid, "contact", {"email": "twice@example.com"})
    assert (again.value.response_id, again.value.outcome_id) == (rid, done.outcome and done.outcome.id)
    assert (len(store.outbox.rows()), len(events.seen)) == (rows, seen)
