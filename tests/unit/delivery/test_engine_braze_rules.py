"""The engine against Braze's rules (the audit of the Braze connection): a profile changed in Braze
is refilled, re-given consent always goes, an accepted event is never sent twice, what Braze
refused is named, a refused connection is a plain retry, a probe is one user, and the data-point
count bills the email."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.support.delivery_rig import Rig
from tests.support.fake_braze import refused, status
from zeroparty.delivery.engine import EngineSettings
from zeroparty.domain.destination_settings import DestinationSettings

EVENTFUL = DestinationSettings(completion_event="quiz_completed")
NO_WINDOW = EngineSettings(batch_window_s=0.0)


def test_a_profile_deleted_in_braze_is_refilled_once_the_record_is_older_than_its_age_limit(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(settings=DestinationSettings(dedupe_max_age=timedelta(days=7)))
    rig.respond("kim@example.com")
    rig.deliver()
    rig.braze.delete("kim@example.com")
    rig.respond("kim@example.com")  # the same answers the next day: the record is trusted
    rig.time.advance(86_400)
    rig.deliver()
    assert len(rig.braze.tracks) == 1
    rig.time.advance(7 * 86_400)
    rig.respond("kim@example.com")  # a week later the record is too old: every value goes again
    rig.deliver()
    assert len(rig.braze.tracks) == 2
    profile = rig.braze.profiles["kim@example.com"]
    assert {profile.get(k) for k in ("skin_type", "routine_length")} == {"dry", "short"}
    assert profile["skin_goals"] == ["hydration"]


def test_re_given_consent_is_always_sent_and_costs_no_data_point(rig: Rig) -> None:
    rig.respond("kim@example.com", marketing_opt_in=True)
    rig.deliver()
    assert rig.braze.tracks[0].attributes[0]["email_subscribe"] == "opted_in"
    rig.braze.profiles["kim@example.com"]["email_subscribe"] = "unsubscribed"  # unsubscribed in Braze
    before = rig.outbox.counters(rig.dest).points_sent
    rig.respond("kim@example.com", marketing_opt_in=True)  # ticks the box again in a new response
    rig.deliver()
    assert rig.braze.tracks[-1].attributes == [{"email": "kim@example.com", "email_subscribe": "opted_in"}]
    assert rig.braze.profiles["kim@example.com"]["email_subscribe"] == "opted_in"
    assert rig.outbox.counters(rig.dest).points_sent == before


def test_an_event_braze_accepted_is_not_resent_when_its_attributes_are_refused_nor_by_a_replay(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(settings=EVENTFUL)
    rig.braze.refuse("kim@example.com", "first_name")
    rig.respond("kim@example.com", first_name="Kim")
    rig.deliver()
    assert len(rig.braze.event_log) == 1  # the stripped resend went without it
    assert rig.states() == {"delivered": 1}
    assert [len(c.events) for c in rig.braze.tracks] == [1, 0]
    rig.braze.refuse("lee@example.com", "skin_type", "'skin_type' is not valid")
    rig.braze.refuse("lee@example.com", "skin_goals", "'skin_goals' is not valid")
    rig.braze.refuse("lee@example.com", "routine_length", "'routine_length' is not valid")
    rig.braze.refuse("lee@example.com", "skin_quiz_routine", "'skin_quiz_routine' is not valid")
    rig.respond("lee@example.com")
    rig.deliver()
    [dead] = rig.outbox.dead()
    rig.braze.refusals.clear()
    rig.outbox.requeue_dead([dead.id], rig.time.now())
    rig.deliver()
    assert [e["properties"]["response_id"] for e in rig.braze.event_log].count(dead.response_id) == 1


def test_an_event_only_refusal_keeps_what_braze_applied_and_the_dead_item_names_the_event(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(settings=EVENTFUL)
    rig.braze.refuse("kim@example.com", "name", "'name' is not valid")  # only events carry a name
    rig.respond("kim@example.com")
    rig.deliver()
    [dead] = rig.outbox.dead()
    assert dead.last_error == "Braze refused the completion event 'quiz_completed': 'name' is not valid"
    assert rig.outbox.accepted(rig.dest, "kim@example.com")["skin_type"] == "dry"
    rig.respond("kim@example.com")  # the identical re-submission: its event only
    rig.deliver()
    assert rig.braze.tracks[-1].attributes == [] and len(rig.braze.tracks[-1].events) == 1


def test_the_completion_event_carries_update_existing_only_and_values_under_it_are_not_held(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(settings=DestinationSettings(completion_event="quiz_completed", update_existing_only=True))
    rig.respond("new@example.com")
    rig.deliver()
    [call] = rig.braze.tracks
    assert call.events[0]["_update_existing_only"] is True
    assert rig.braze.profiles == {} and rig.braze.event_log == []  # no profile made by either object
    rig.braze.profiles["new@example.com"] = {"email": "new@example.com"}  # the app creates the profile
    rig.respond("new@example.com")
    rig.deliver()
    assert rig.braze.profiles["new@example.com"]["skin_type"] == "dry"  # sent again, now applied


def test_a_refused_connection_is_a_plain_retry_not_an_unknown_outcome(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(engine=NO_WINDOW)
    rig.respond("kim@example.com")
    rig.deliver()
    rig.respond("kim@example.com", skin="oily")
    rig.braze.then(refused)
    rig.deliver()
    first, lost, again = rig.braze.tracks
    assert lost.status is None and again.at is not None and lost.at is not None
    assert again.at - lost.at < timedelta(seconds=30)  # backoff, not the settle window
    assert again.attributes == [{"email": "kim@example.com", "skin_type": "oily"}]
    [entry] = rig.outbox.history(rig.rows()["kim@example.com"].id)[:1]
    assert entry.detail is not None and "could not connect" in entry.detail and "unknown" not in entry.detail


def test_a_probe_of_a_failing_destination_is_one_request_carrying_one_user(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(engine=NO_WINDOW)
    rig.braze.then(status(503), times=5)
    for n in range(5):
        rig.respond(f"early{n}@example.com")
        rig.step()
    for n in range(40):
        rig.respond(f"later{n}@example.com")
    rig.braze.then(status(503))  # the first probe fails too
    rig.deliver()
    probes = [c for c in rig.braze.tracks[5:7]]
    assert [len(c.attributes) for c in probes] == [1, 1]
    assert rig.states() == {"delivered": 45}


def test_the_email_sent_as_an_attribute_costs_a_data_point(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(settings=DestinationSettings(identity="user_alias"))
    rig.respond("kim@example.com")
    rig.deliver()
    [call] = rig.braze.tracks
    billed = [k for k in call.attributes[0] if k not in ("user_alias", "_update_existing_only")]
    assert "email" in billed and rig.outbox.counters(rig.dest).points_sent == len(billed)
