"""The capture service on the in-memory capture store: screen-by-screen and whole submissions, what
is refused (and that a refusal stores nothing), the outcome, consent records, what is queued for
Braze and when, external id tokens, and the version a response runs on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.definitions import ROOT, sample
from zeroparty.adapters.memory import MemoryCaptureStore
from zeroparty.domain.experience.elements import MultiChoice
from zeroparty.domain.experience.external_ids import make_token
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import Gone, InvalidInput, NotFound
from zeroparty.services.capture import CaptureService
from zeroparty.services.capture_results import ScreenRefused

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "zps_unit-test-secret-with-enough-entropy-0001"
WHOLE = {"skin_type": "oily", "skin_goals": ["breakouts"], "routine_length": "none"}
VIP = Experience.model_validate(yaml.safe_load(Path(ROOT / "examples" / "vip-signup.yaml").read_text()))


class Capture:
    """The service on a memory store with one destination, counting wake-ups of the worker."""

    def __init__(self, *experiences: Experience) -> None:
        self.store = MemoryCaptureStore()
        self.dest = self.store.outbox.add_destination("braze")
        for exp in experiences or (sample(),):
            self.store.publish(exp, T0)
        self.wakes = 0
        self.now = T0
        self.service = CaptureService(self.store, notify=self._wake, clock=lambda: self.now)

    def _wake(self) -> None:
        self.wakes += 1

    def payloads(self) -> list[dict[str, Any]]:
        return [dict(r.payload) for r in self.store.outbox.rows()]

    def nothing_stored(self) -> bool:
        return (self.store.responses(), self.store.outbox.rows(), self.store.consents()) == ([], [], [])


def test_screen_by_screen_sends_everything_once_the_email_is_known_and_completes_on_the_last(
    capture: Capture,
) -> None:
    svc = capture.service
    first = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"})
    assert (first.next_screen and first.next_screen.id, first.outcome, first.queued) == ("goals", None, 0)
    rid = first.response_id
    svc.submit_screen("skin-quiz", rid, "goals", {"skin_goals": ["hydration", "breakouts"]})
    svc.submit_screen("skin-quiz", rid, "routine", {"routine_length": "short"})
    assert capture.store.outbox.rows() == [] and capture.wakes == 0  # no email yet: nothing to send
    last = svc.submit_screen(
        "skin-quiz", rid, "contact", {"email": "Kim@Example.COM", "first_name": "Kim", "marketing_opt_in": True}
    )
    assert (last.next_screen, last.outcome and last.outcome.id, last.queued) == (None, "hydration_boost", 1)
    [payload] = capture.payloads()
    assert payload["attributes"] == {
        "skin_type": "dry",
        "skin_goals": ["hydration", "breakouts"],
        "routine_length": "short",
        "first_name": "Kim",
        "skin_quiz_routine": "hydration_boost",
        "email_subscribe": "opted_in",
    }
    assert payload["completion"]["outcome"] == "hydration_boost" and payload["completion"]["response_id"] == rid
    [row] = capture.store.outbox.rows()
    assert (row.user_key, row.response_id, row.destination_id) == ("kim@example.com", rid, capture.dest)
    [response] = capture.store.responses()
    assert (response.email, response.outcome_id, response.completed_at, response.channel) == (
        "kim@example.com",
        "hydration_boost",
        T0,
        "page",
    )
    assert {k: a.screen_id for k, a in capture.store.answers(rid).items()}["skin_goals"] == "goals"
    assert capture.wakes == 1


def test_a_whole_response_is_one_write_with_its_outcome_and_a_row_per_destination(capture: Capture) -> None:
    second = capture.store.outbox.add_destination("second")
    done = capture.service.submit_whole("skin-quiz", WHOLE, {"email": "sam@example.com", "first_name": "Sam"})
    assert (done.outcome and done.outcome.id, done.queued, done.next_screen) == ("clear_skin", 2, None)
    assert [r.destination_id for r in capture.store.outbox.rows()] == [capture.dest, second]
    [response] = capture.store.responses()
    assert (response.channel, response.completed_at, response.outcome_id) == ("api", T0, "clear_skin")
    assert {k: a.screen_id for k, a in capture.store.answers(done.response_id).items()} == {
        "skin_type": "skin",
        "skin_goals": "goals",
        "routine_length": "routine",
        "email": "contact",
        "first_name": "contact",
    }


@pytest.mark.parametrize(
    ("answers", "inputs", "field"),
    [
        ({**WHOLE, "skin_type": "purple"}, {"email": "sam@example.com"}, "answers.skin_type"),
        ({**WHOLE, "shoe_size": "42"}, {"email": "sam@example.com"}, "answers.shoe_size"),
        (WHOLE, {"email": "sam@"}, "inputs.email"),
        (WHOLE, {"email": "sam@example.com", "routine_length": "none"}, "inputs.routine_length"),  # a choice as input
        ({k: v for k, v in WHOLE.items() if k != "skin_goals"}, {"email": "sam@example.com"}, "answers.skin_goals"),
    ],
)
def test_a_refused_whole_response_names_the_field_and_stores_nothing(
    capture: Capture, answers: dict[str, Any], inputs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        capture.service.submit_whole("skin-quiz", answers, inputs)
    assert field in [e.field for e in refused.value.errors]
    assert capture.nothing_stored() and capture.wakes == 0


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"birthday": "13/13/1990"}, "inputs.birthday"),
        ({"phone": "12345"}, "inputs.phone"),
        ({"country": "Atlantis"}, "inputs.country"),
        ({"shoe_size": 12}, "inputs.shoe_size"),
        ({"shoe_size": "big"}, "inputs.shoe_size"),
    ],
)
def test_a_value_braze_would_refuse_names_the_field_and_stores_nothing(inputs: dict[str, Any], field: str) -> None:
    capture = Capture(VIP)
    with pytest.raises(InvalidInput) as refused:
        capture.service.submit_whole("vip-signup", {}, {"email": "vic@example.com", **inputs})
    assert [e.field for e in refused.value.errors] == [field]
    assert capture.nothing_stored()


def test_a_refused_screen_stores_nothing_and_the_response_stays_as_it_was(capture: Capture) -> None:
    svc = capture.service
    with pytest.raises(InvalidInput) as refused:
        svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "purple"})
    assert [e.field for e in refused.value.errors] == ["skin_type"] and capture.nothing_stored()
    rid = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}).response_id
    with pytest.raises(InvalidInput) as skipped:  # straight to the last screen
        svc.submit_screen("skin-quiz", rid, "contact", {"email": "kim@example.com"})
    assert {e.field for e in skipped.value.errors} == {"skin_goals", "routine_length"}
    assert set(capture.store.answers(rid)) == {"skin_type"} and capture.store.outbox.rows() == []
    [response] = capture.store.responses()
    assert response.email is None and response.completed_at is None


def test_what_does_not_exist_is_not_found(capture: Capture) -> None:
    svc = capture.service
    with pytest.raises(NotFound, match="slug"):
        svc.submit_whole("no-such-quiz", WHOLE, {"email": "sam@example.com"})
    rid = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}).response_id
    with pytest.raises(NotFound, match="screen"):
        svc.submit_screen("skin-quiz", rid, "no-such-screen", {})
    with pytest.raises(NotFound, match="response"):
        svc.submit_screen("skin-quiz", "00000000-0000-4000-8000-0000000000ff", "goals", {"skin_goals": ["hydration"]})


def test_changes_are_queued_only_when_something_changed() -> None:
    capture = Capture(VIP)
    svc = capture.service
    contact = {"email": "kim@example.com", "first_name": "Kim"}
    rid = svc.submit_screen("vip-signup", None, "contact", contact).response_id
    assert len(capture.payloads()) == 1 and capture.wakes == 1
    again = svc.submit_screen("vip-signup", rid, "contact", contact)  # back to the screen, the same answers
    assert again.queued == 0 and len(capture.payloads()) == 1 and capture.wakes == 1
    changed = svc.submit_screen("vip-signup", rid, "contact", {**contact, "first_name": "Kimberly"})
    assert changed.queued == 1
    assert capture.payloads()[-1] == {
        "attributes": {"first_name": "Kimberly"},
        "subscription_groups": {},
        "completion": None,
        "external_id": None,
        "email": "kim@example.com",
    }


def test_a_completed_response_is_closed_to_further_submits(capture: Capture) -> None:
    svc = capture.service
    rid = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}).response_id
    svc.submit_screen("skin-quiz", rid, "goals", {"skin_goals": ["hydration"]})
    svc.submit_screen("skin-quiz", rid, "routine", {"routine_length": "short"})
    svc.submit_screen("skin-quiz", rid, "contact", {"email": "kim@example.com"})
    before = capture.payloads()
    with pytest.raises(Gone):
        svc.submit_screen("skin-quiz", rid, "routine", {"routine_length": "long"})
    assert capture.payloads() == before and svc.progress("skin-quiz", rid).answers["routine_length"] == "short"


def test_consents_are_recorded_and_held_until_the_response_completes() -> None:
    capture = Capture(VIP)
    svc = capture.service
    contact = {"email": "vic@example.com", "first_name": "Vic"}
    ticked = {**contact, "marketing_opt_in": True, "newsletter": True, "no_texts": False}
    rid = svc.submit_screen("vip-signup", None, "contact", ticked).response_id
    [held] = capture.payloads()  # the profile goes out now; the consents wait for completion
    assert "email_subscribe" not in held["attributes"] and held["subscription_groups"] == {}
    svc.submit_screen(
        "vip-signup", rid, "contact", {**contact, "marketing_opt_in": False, "newsletter": False, "no_texts": False}
    )
    assert all("email_subscribe" not in p["attributes"] and p["subscription_groups"] == {} for p in capture.payloads())
    assert [(c.element_id, c.consent_key, c.given) for c in capture.store.consents()] == [
        ("marketing_opt_in", "email_marketing", True),
        ("newsletter", "newsletter", True),
        ("marketing_opt_in", "email_marketing", False),
        ("newsletter", "newsletter", False),
    ]
    assert capture.store.consents()[1].text == "Send me the monthly newsletter."
    # Completing sends the consents' final state.
    svc.submit_screen("vip-signup", rid, "contact", {**contact, "newsletter": True, "no_texts": True})
    assert all(p["subscription_groups"] == {} for p in capture.payloads())
    done = svc.submit_screen("vip-signup", rid, "about", {"birthday": "12/05/1990"})
    assert done.next_screen is None  # the last screen that asks something completes the response
    assert capture.payloads()[-1]["subscription_groups"] == {"newsletter": "subscribed", "sms_offers": "unsubscribed"}


def test_a_signed_external_id_is_kept_with_the_response_and_sent_with_each_change(capture: Capture) -> None:
    capture.store.set_secret("skin-quiz", SECRET)
    svc = capture.service
    token = make_token("crm-42", int(T0.timestamp()) + 600, SECRET)
    svc.check_external_id_token("skin-quiz", token)
    rid = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}, token).response_id
    svc.submit_screen("skin-quiz", rid, "goals", {"skin_goals": ["hydration"]}, "ignored after the first screen")
    svc.submit_screen("skin-quiz", rid, "routine", {"routine_length": "short"})
    svc.submit_screen("skin-quiz", rid, "contact", {"email": "kim@example.com"})
    assert capture.store.responses()[0].external_id == "crm-42"
    assert [p["external_id"] for p in capture.payloads()] == ["crm-42"]


@pytest.mark.parametrize(
    ("token", "secret", "problem"),
    [
        (
            lambda: make_token("crm-42", int(T0.timestamp()) + 600, "zps_another-secret-entirely-0123456789"),
            SECRET,
            "not signed",
        ),
        (lambda: make_token("crm-42", int(T0.timestamp()) - 1, SECRET), SECRET, "expired"),
        (lambda: "not-a-token", SECRET, "zpid.v1."),
        (lambda: make_token("crm-42", int(T0.timestamp()) + 600, SECRET), None, "has no secret"),
    ],
    ids=["wrong-secret", "expired", "malformed", "no-secret"],
)
def test_a_refused_token_names_the_field_and_stores_nothing(
    capture: Capture, token: Any, secret: str | None, problem: str
) -> None:
    if secret is not None:
        capture.store.set_secret("skin-quiz", secret)
    with pytest.raises(InvalidInput) as refused:
        capture.service.submit_whole("skin-quiz", WHOLE, {"email": "sam@example.com"}, token())
    [error] = refused.value.errors
    assert error.field == "external_id_token" and problem in error.message
    with pytest.raises(InvalidInput):
        capture.service.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}, token())
    assert capture.nothing_stored()


def test_a_response_stays_on_the_version_it_started_on(capture: Capture) -> None:
    svc = capture.service
    rid = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}).response_id
    goals = sample().screens[1].elements[0]
    assert isinstance(goals, MultiChoice)
    fewer = goals.model_copy(update={"options": [o for o in goals.options if o.value != "fine_lines"]})
    v2 = sample().model_copy(deep=True)
    v2.screens[1].elements[0] = fewer
    capture.now = T0 + timedelta(hours=1)
    capture.store.publish(v2, capture.now)
    assert capture.service.published("skin-quiz").version == 2
    # Still valid on version 1, which the response started on.
    svc.submit_screen("skin-quiz", rid, "goals", {"skin_goals": ["fine_lines"]})
    view = svc.progress("skin-quiz", rid)
    assert view.published.version == 1 and view.answers["skin_goals"] == ["fine_lines"]
    with pytest.raises(InvalidInput):  # a new response runs on version 2
        svc.submit_whole("skin-quiz", {**WHOLE, "skin_goals": ["fine_lines"]}, {"email": "sam@example.com"})


@pytest.fixture
def capture() -> Capture:
    return Capture()


def test_a_refused_screen_carries_what_its_page_shows_again_and_a_form_is_read_for_its_screen(
    capture: Capture,
) -> None:
    svc = capture.service
    seen: list[str] = []

    def form(screen: Any) -> dict[str, Any]:
        seen.append(screen.id)
        return {"skin_type": "scaly"}

    with pytest.raises(ScreenRefused) as refused:
        svc.submit_screen("skin-quiz", None, None, form)
    assert seen == ["skin"]  # no screen named: the first one
    assert (refused.value.screen.id, refused.value.raw, refused.value.published.version) == (
        "skin",
        {"skin_type": "scaly"},
        1,
    )
    assert [e.field for e in refused.value.errors] == ["skin_type"]
    assert capture.nothing_stored()


def test_a_notifying_copy_writes_to_the_same_store_and_wakes_its_own_worker(capture: Capture) -> None:
    woken: list[int] = []
    other = capture.service.notifying(lambda: woken.append(1))
    other.submit_whole("skin-quiz", WHOLE, {"email": "kim@example.com"})
    assert len(capture.store.responses()) == 1 and woken == [1] and capture.wakes == 0
