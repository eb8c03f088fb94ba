"""When a response may start, on the in-memory store: the closing time, the response limit (starts
refused once it is full, responses in progress may finish), spam protection (set aside, nothing
stored or queued), and the per-client start rate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.definitions import sample_data
from tests.unit.services.test_capture import T0, WHOLE, Capture
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import Conflict, InvalidInput, TooManyRequests
from zeroparty.services.admission import Arrival, Discarded, ExperienceClosed, ResponseLimitReached

EMAIL = {"email": "ada@example.com"}
SKIN = {"skin_type": "oily"}


def _capture(**settings: Any) -> Capture:
    return Capture(Experience.model_validate({**sample_data(), "settings": settings}))


def test_after_its_closing_time_nothing_starts_and_nothing_in_progress_continues() -> None:
    c = _capture(closes_at=(T0 + timedelta(hours=1)).isoformat())
    started = c.service.submit_screen("skin-quiz", None, None, SKIN)
    c.now = T0 + timedelta(hours=1)
    with pytest.raises(ExperienceClosed) as closed:
        c.service.submit_whole("skin-quiz", WHOLE, EMAIL)
    assert "closed at 2026-03-01T13:00:00+00:00" in str(closed.value)
    with pytest.raises(ExperienceClosed):
        c.service.submit_screen("skin-quiz", started.response_id, "goals", {"skin_goals": ["hydration"]})
    with pytest.raises(ExperienceClosed):
        c.service.published("skin-quiz")
    assert len(c.store.responses()) == 1


def test_a_full_response_limit_stops_starts_while_responses_in_progress_finish() -> None:
    c = _capture(response_limit=2)
    in_progress = c.service.submit_screen("skin-quiz", None, None, SKIN)
    c.service.submit_whole("skin-quiz", WHOLE, EMAIL)
    c.service.submit_whole("skin-quiz", WHOLE, EMAIL)
    with pytest.raises(ResponseLimitReached) as full:
        c.service.submit_whole("skin-quiz", WHOLE, EMAIL)
    assert isinstance(full.value, Conflict) and isinstance(full.value, ExperienceClosed)
    assert (
        str(full.value) == "settings.response_limit: experience 'skin-quiz' has its 2 responses and takes no new ones"
    )
    with pytest.raises(ResponseLimitReached):
        c.service.submit_screen("skin-quiz", None, None, SKIN)
    with pytest.raises(ResponseLimitReached):
        c.service.start_page("skin-quiz")
    done = c.service.submit_screen("skin-quiz", in_progress.response_id, "goals", {"skin_goals": ["hydration"]})
    assert done.next_screen is not None  # the one in progress goes on
    assert len(c.store.responses()) == 3


@pytest.mark.parametrize(
    ("spam", "arrival"),
    [
        ({}, Arrival(hosted=True, trapped=True)),
        ({"min_seconds": 3}, Arrival(hosted=True, served_at_ms=int(T0.timestamp() * 1000) - 2_000)),
        ({"min_seconds": 3}, Arrival(hosted=True, served_at_ms=None)),
    ],
)
def test_a_submit_spam_protection_sets_aside_stores_and_queues_nothing(spam: dict[str, Any], arrival: Arrival) -> None:
    c = _capture(spam=spam)
    with pytest.raises(Discarded):
        c.service.submit_screen("skin-quiz", None, None, SKIN, arrival=arrival)
    assert c.nothing_stored()


def test_people_pass_spam_protection_and_the_api_is_not_asked_for_it() -> None:
    c = _capture(spam={"min_seconds": 3})
    served = int(T0.timestamp() * 1000) - 3_000
    c.service.submit_screen("skin-quiz", None, None, SKIN, arrival=Arrival(hosted=True, served_at_ms=served))
    c.service.submit_whole("skin-quiz", WHOLE, EMAIL, arrival=Arrival(client="k"))
    off = _capture(spam={"honeypot": False})
    off.service.submit_screen("skin-quiz", None, None, SKIN, arrival=Arrival(hosted=True, trapped=True))
    assert len(c.store.responses()) == 2 and len(off.store.responses()) == 1


def test_each_client_starts_at_most_its_rate() -> None:
    c = _capture(spam={"rate_limit": "2/hour"})
    for _ in range(2):
        c.service.submit_whole("skin-quiz", WHOLE, EMAIL, arrival=Arrival(client="one"))
    with pytest.raises(TooManyRequests) as refused:
        c.service.submit_whole("skin-quiz", WHOLE, EMAIL, arrival=Arrival(client="one"))
    assert refused.value.retry_after_s > 1000
    assert refused.value.errors[0].field == "settings.spam.rate_limit"
    c.service.submit_whole("skin-quiz", WHOLE, EMAIL, arrival=Arrival(client="two"))
    assert len(c.store.responses()) == 3


def test_answers_refused_spend_none_of_the_clients_starts() -> None:
    c = _capture(spam={"rate_limit": "1/hour"})
    came = Arrival(client="one", hosted=True)
    for _ in range(3):
        with pytest.raises(InvalidInput):
            c.service.submit_screen("skin-quiz", None, None, {"skin_type": "purple"}, arrival=came)
    c.service.submit_screen("skin-quiz", None, None, SKIN, arrival=came)
    assert len(c.store.responses()) == 1
