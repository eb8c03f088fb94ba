"""The capture service routes by the rules: the next screen, skipped screens, an early end,
variables kept with the response and sent as attributes, and the whole-response API applying the
same rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.logic_definitions import branching
from zeroparty.adapters.memory import MemoryCaptureStore
from zeroparty.errors import InvalidInput
from zeroparty.services.capture import CaptureService

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SLUG = "coffee-finder"


@pytest.fixture
def store() -> MemoryCaptureStore:
    store = MemoryCaptureStore()
    store.outbox.add_destination("braze")
    store.publish(branching(), T0)
    return store


def service(store: MemoryCaptureStore) -> CaptureService:
    return CaptureService(store, clock=lambda: T0)


def test_a_jump_skips_a_screen_and_the_response_keeps_its_path_and_variables(store: MemoryCaptureStore) -> None:
    svc = service(store)
    first = svc.submit_screen(SLUG, None, "habit", {"morning": "tea", "cups": "1"})
    assert first.next_screen is not None and first.next_screen.id == "contact"
    [response] = store.responses()
    assert (response.path, dict(response.variables)) == (("habit",), {"strength": 0, "drink": "tea"})
    done = svc.submit_screen(SLUG, first.response_id, "contact", {"email": "kim@example.com"})
    assert done.next_screen is None and done.outcome is not None and done.outcome.id == "tea_pick"
    [response] = store.responses()
    assert response.path == ("habit", "contact") and response.completed_at is not None
    [row] = store.outbox.rows()
    assert row.payload["attributes"] == {"morning_drink": "tea", "coffee_strength": 0}


def test_a_screen_the_rules_skip_takes_no_answers(store: MemoryCaptureStore) -> None:
    svc = service(store)
    rid = svc.submit_screen(SLUG, None, "habit", {"morning": "tea"}).response_id
    with pytest.raises(InvalidInput) as refused:
        svc.submit_screen(SLUG, rid, "roast", {"roast_level": "dark"})
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("screen", "screen 'roast' is skipped by the rules for this response's answers")
    ]
    assert set(store.answers(rid)) == {"morning"}


def test_going_back_recomputes_variables_and_drops_answers_the_new_route_skips(store: MemoryCaptureStore) -> None:
    svc = service(store)
    rid = svc.submit_screen(SLUG, None, "habit", {"morning": "coffee", "cups": "4"}).response_id
    svc.submit_screen(SLUG, rid, "roast", {"roast_level": "dark"})
    assert dict(store.responses()[0].variables) == {"strength": 3, "drink": "coffee"}
    again = svc.submit_screen(SLUG, rid, "habit", {"morning": "coffee", "cups": "4"})  # back, the same answers
    assert again.next_screen is not None and again.next_screen.id == "roast"
    assert dict(store.responses()[0].variables) == {"strength": 2, "drink": "coffee"}  # not counted twice
    svc.submit_screen(SLUG, rid, "habit", {"morning": "tea", "cups": "1"})
    done = svc.submit_screen(SLUG, rid, "contact", {"email": "kim@example.com"})
    assert done.outcome is not None and done.outcome.id == "tea_pick"
    assert set(store.answers(rid)) == {"morning", "cups", "email"}  # roast_level was on a skipped screen


def test_an_end_action_completes_the_response_on_its_screen(store: MemoryCaptureStore) -> None:
    done = service(store).submit_screen(SLUG, None, "habit", {"morning": "nothing"})
    assert done.next_screen is None and done.outcome is not None and done.outcome.id == "mild"
    [response] = store.responses()
    assert response.completed_at is not None and response.path == ("habit",)


def test_the_whole_response_api_refuses_answers_for_skipped_screens(store: MemoryCaptureStore) -> None:
    svc = service(store)
    email = {"email": "kim@example.com"}
    with pytest.raises(InvalidInput) as refused:
        svc.submit_whole(SLUG, {"morning": "tea", "roast_level": "dark"}, email)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("answers.roast_level", "is on screen 'roast', which the rules skip for these answers; leave it out")
    ]
    with pytest.raises(InvalidInput) as missing:
        svc.submit_whole(SLUG, {"morning": "coffee"}, email)
    assert [(e.field, e.message) for e in missing.value.errors] == [("answers.roast_level", "is required")]
    assert store.responses() == []
    done = svc.submit_whole(SLUG, {"morning": "coffee", "roast_level": "dark"}, {**email, "cups": 3})
    assert done.outcome is not None and done.outcome.id == "strong"
    [response] = store.responses()
    assert response.path == ("habit", "roast", "contact") and dict(response.variables)["strength"] == 3
