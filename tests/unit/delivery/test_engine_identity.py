"""Destinations that name people by a signed external id (docs/delivery.md, "Identity"): rows
without one are dead at once, and with `identify_emails` the email-only profile is folded in by
/users/identify before the first /users/track, which waits while identify fails."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.delivery_rig import Rig
from tests.support.fake_braze import IDENTIFY, status
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.external_ids import make_token

SECRET = "zps_unit-test-secret-with-enough-entropy-0001"


def by_external_id(make_rig: Callable[..., Rig], **settings: bool) -> Rig:
    rig = make_rig(settings=DestinationSettings(identity="external_id", **settings))
    rig.store.set_secret("skin-quiz", SECRET)
    return rig


def token(rig: Rig, external_id: str) -> str:
    return make_token(external_id, int(rig.time.now().timestamp()) + 3600, SECRET)


def test_rows_without_an_external_id_are_dead_without_a_request(make_rig: Callable[..., Rig]) -> None:
    rig = by_external_id(make_rig)
    rig.respond("anon@example.com")
    rig.deliver()
    [dead] = rig.outbox.dead()
    assert dead.last_error == (
        "cannot be sent to this destination: this destination names people by external_id; "
        "the response carried no signed external id"
    )
    assert rig.braze.calls == []


def test_identify_goes_first_once_and_the_email_is_then_an_attribute(make_rig: Callable[..., Rig]) -> None:
    rig = by_external_id(make_rig, identify_emails=True)
    rig.respond("fold@example.com", token=token(rig, "fold-1"))
    rig.deliver()
    identify, track = rig.braze.calls
    assert identify.path == IDENTIFY and identify.body == {
        "emails_to_identify": [
            {
                "external_id": "fold-1",
                "email": "fold@example.com",
                "prioritization": ["unidentified", "most_recently_updated"],
            }
        ]
    }
    assert track.attributes[0]["external_id"] == "fold-1" and track.attributes[0]["email"] == "fold@example.com"
    rig.respond("fold@example.com", skin="oily", token=token(rig, "fold-1"))
    rig.deliver()
    assert [c.path for c in rig.braze.calls].count(IDENTIFY) == 1  # identified once
    assert rig.braze.profiles["fold-1"]["skin_type"] == "oily"


def test_a_failed_identify_holds_the_track_back_until_identify_succeeds(make_rig: Callable[..., Rig]) -> None:
    rig = by_external_id(make_rig, identify_emails=True)
    rig.braze.then(status(503, "Service Unavailable"))
    rig.respond("held@example.com", token=token(rig, "held-1"))
    rig.deliver()
    assert [(c.path, c.status) for c in rig.braze.calls] == [(IDENTIFY, 503), (IDENTIFY, 201), ("/users/track", 201)]
    row = rig.rows()["held-1"]  # queued under the identifier the destination sends
    assert (row.state, row.attempts) == ("delivered", 2)
    assert rig.outbox.history(row.id)[0].detail == "HTTP 503: Service Unavailable"


def test_one_person_answering_with_two_emails_is_one_queue_and_one_record(make_rig: Callable[..., Rig]) -> None:
    rig = by_external_id(make_rig)
    rig.respond("first@example.com", token=token(rig, "cust-77"))
    rig.deliver()
    rig.respond("second@example.com", skin="oily", token=token(rig, "cust-77"))
    rig.deliver()
    # The second response changed the email and one answer: only those go, to the one profile.
    assert rig.braze.tracks[-1].attributes == [
        {"external_id": "cust-77", "email": "second@example.com", "skin_type": "oily"}
    ]
    rig.respond("first@example.com", skin="normal", token=token(rig, "cust-77"))
    rig.deliver()
    assert rig.braze.profiles["cust-77"]["skin_type"] == "normal"
    assert rig.braze.profiles["cust-77"]["email"] == "first@example.com"
    assert {r.user_key for r in rig.outbox.rows()} == {"cust-77"}


def test_a_key_without_users_identify_pauses_naming_the_permission_and_the_endpoint(
    make_rig: Callable[..., Rig],
) -> None:
    rig = by_external_id(make_rig, identify_emails=True)
    rig.braze.then(status(403, "Access Denied"))
    rig.respond("perm@example.com", token=token(rig, "perm-1"))
    rig.deliver()
    reason = rig.outbox.destination(rig.dest).paused_reason
    assert reason is not None and reason.startswith(
        "Braze refused POST /users/identify (HTTP 403: Access Denied): the key lacks the users.identify permission"
    )
    assert "update-key" in reason and rig.states() == {"pending": 1}
