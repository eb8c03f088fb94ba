"""Only what Braze does not hold is sent, and a user's changes arrive in order: an identical
resubmission sends nothing, one change sends one attribute, an accepted object is never sent
again, and a row queued while its user is in flight goes after, never alongside."""

from __future__ import annotations

from typing import Any

from tests.support.delivery_rig import Rig
from tests.support.fake_braze import FakeBraze, applied, status
from zeroparty.delivery.ports import SendResult


def test_an_identical_resubmission_sends_nothing_and_one_change_sends_one_attribute(rig: Rig) -> None:
    rig.respond("same@example.com")
    rig.deliver()
    sent = rig.outbox.counters(rig.dest)
    assert (len(rig.braze.tracks), sent.points_sent, sent.points_saved) == (1, 4, 0)
    rig.respond("same@example.com")
    rig.deliver()
    assert len(rig.braze.tracks) == 1 and rig.states() == {"delivered": 2}  # settled without a request
    saved = rig.outbox.counters(rig.dest)
    assert (saved.requests, saved.points_sent, saved.points_saved) == (1, 4, 4)
    rig.respond("same@example.com", skin="oily")  # the routine still follows from the goals: it stays
    rig.deliver()
    assert rig.braze.tracks[-1].attributes == [{"email": "same@example.com", "skin_type": "oily"}]
    last = rig.outbox.counters(rig.dest)
    assert (last.requests, last.points_sent, last.points_saved) == (2, 5, 7)


def test_an_object_braze_accepted_is_never_sent_again_whatever_happens_to_the_others(rig: Rig) -> None:
    rig.braze.refuse("kim@example.com", "first_name")
    rig.braze.then(applied(), status(503))  # the first answer by the rules, then the resend fails once
    rig.respond("kim@example.com", first_name="Kim")
    rig.respond("lee@example.com", first_name="Lee")
    rig.deliver()
    assert rig.states() == {"delivered": 2}
    first, *later = [c.users for c in rig.braze.tracks]
    assert first == ["kim@example.com", "lee@example.com"]
    assert len(later) >= 2 and all(users == ["kim@example.com"] for users in later)  # lee: sent once, accepted


def test_a_users_rows_are_merged_in_order_and_the_latest_value_wins(rig: Rig) -> None:
    for skin in ("dry", "oily", "combination"):
        rig.respond("kim@example.com", skin=skin)
    rig.deliver()
    [call] = rig.braze.tracks
    assert len(call.attributes) == 1 and call.attributes[0]["skin_type"] == "combination"
    assert rig.states() == {"delivered": 3}


def test_a_row_queued_while_its_user_is_in_flight_goes_after_never_alongside(rig: Rig) -> None:
    def capture_meanwhile(braze: FakeBraze, path: str, body: dict[str, Any]) -> SendResult:
        rig.respond("kim@example.com", skin="oily")  # committed while the first request is out
        return braze.answer(path, body)

    rig.braze.then(capture_meanwhile)
    rig.respond("kim@example.com")
    rig.deliver()
    assert [c.attributes[0]["skin_type"] for c in rig.braze.tracks] == ["dry", "oily"]
    assert rig.braze.tracks[1].attributes == [{"email": "kim@example.com", "skin_type": "oily"}]
    assert rig.braze.profiles["kim@example.com"]["skin_type"] == "oily"
    assert rig.states() == {"delivered": 2} and rig.outbox.queue() == []
