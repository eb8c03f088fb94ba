"""The capture store's contract, on a real SQLite file, a real PostgreSQL database and the in-memory
twin the capture service's unit tests run on: a unit is all-or-nothing; answers are upserted and
cleared per element; consents are kept for audit; a write that changes the profile queues one
outbox row per destination; a response stays on the version it started on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.capture_world import CaptureWorld, MemoryCaptureWorld, SqlCaptureWorld, page_write
from tests.support.databases import STORES, store_for
from tests.support.definitions import sample
from tests.support.outbox_world import T0
from zeroparty.domain.experience.consent import ConsentRecord
from zeroparty.errors import Conflict
from zeroparty.services.ports import Published, ResponseExists, ResponseWrite

RESPONSE = "00000000-0000-4000-8000-000000000001"
LATER = T0 + timedelta(minutes=5)


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaptureWorld]:
    with store_for(request.param, tmp_path, SqlCaptureWorld, MemoryCaptureWorld) as found:
        yield found


@pytest.fixture
def v1(world: CaptureWorld) -> Published:
    return world.publish(sample())


def first_screen(version_id: int, **extra: Any) -> ResponseWrite:
    return page_write(RESPONSE, version_id, **extra)


def test_a_unit_that_fails_writes_nothing(world: CaptureWorld, v1: Published) -> None:
    world.add_destination("d")
    write = first_screen(
        v1.version_id,
        email="kim@example.com",
        changes={"skin_type": "dry"},
        consents=(ConsentRecord("marketing_opt_in", "email_marketing", "email_marketing", True, "Send me tips"),),
    )
    with pytest.raises(RuntimeError), world.store.unit() as unit:
        assert unit.write(write, T0) == 1
        raise RuntimeError("the request failed after the write")
    assert (world.responses(), world.answers(RESPONSE), world.consents(), world.queued()) == ([], {}, [], [])
    with world.store.unit() as unit:
        unit.write(write, T0)
    assert [r.id for r in world.responses()] == [RESPONSE]
    assert len(world.consents()) == 1 and len(world.queued()) == 1


def test_a_new_response_whose_id_is_taken_is_refused_and_writes_nothing(world: CaptureWorld, v1: Published) -> None:
    # A first screen's form carries its response's id: submitted to two servers at once, one stores it.
    with world.store.unit() as unit:
        unit.write(first_screen(v1.version_id), T0)
    with pytest.raises(ResponseExists), world.store.unit() as unit:
        unit.write(first_screen(v1.version_id, answers={"skin_type": ("skin", "oily")}), LATER)
    assert [r.id for r in world.responses()] == [RESPONSE]
    assert world.answers(RESPONSE) == {"skin_type": ("skin", "dry")}


def test_answers_are_upserted_per_element_and_cleared_when_withdrawn(world: CaptureWorld, v1: Published) -> None:
    with world.store.unit() as unit:
        unit.write(
            first_screen(v1.version_id, answers={"skin_type": ("skin", "dry"), "skin_goals": ("goals", ["hydration"])}),
            T0,
        )
    revisit = first_screen(
        v1.version_id,
        is_new=False,
        answers={"skin_goals": ("goals", ["breakouts", "fine_lines"]), "routine_length": ("routine", "none")},
        cleared=frozenset({"skin_type"}),
    )
    with world.store.unit() as unit:
        unit.write(revisit, LATER)
        stored = unit.response(RESPONSE)
    assert stored is not None and stored.answers == {
        "skin_goals": ["breakouts", "fine_lines"],
        "routine_length": "none",
    }
    assert world.answers(RESPONSE) == {
        "skin_goals": ("goals", ["breakouts", "fine_lines"]),
        "routine_length": ("routine", "none"),
    }


def test_the_response_keeps_its_email_and_records_its_completion(world: CaptureWorld, v1: Published) -> None:
    with world.store.unit() as unit:
        unit.write(first_screen(v1.version_id, email="kim@example.com", external_id="crm-42"), T0)
    done = first_screen(v1.version_id, is_new=False, answers={}, outcome_id="hydration_boost", completed=True)
    with world.store.unit() as unit:
        unit.write(done, LATER)
        stored = unit.response(RESPONSE)
    [record] = world.responses()
    assert (record.email, record.outcome_id, record.completed_at, record.external_id) == (
        "kim@example.com",
        "hydration_boost",
        LATER,
        "crm-42",
    )
    assert (record.channel, record.created_at, record.updated_at) == ("page", T0, LATER)
    assert stored is not None and stored.completed_at == LATER and stored.external_id == "crm-42"
    with world.store.unit() as unit:
        assert unit.response("00000000-0000-4000-8000-0000000000ff") is None


def test_each_consent_given_or_withdrawn_is_kept_with_its_text(world: CaptureWorld, v1: Published) -> None:
    given = ConsentRecord("marketing_opt_in", "email_marketing", "email_marketing", True, "Send me tips")
    withdrawn = ConsentRecord("marketing_opt_in", "email_marketing", "email_marketing", False, "Send me tips")
    with world.store.unit() as unit:
        unit.write(first_screen(v1.version_id, consents=(given,)), T0)
    with world.store.unit() as unit:
        unit.write(first_screen(v1.version_id, is_new=False, answers={}, consents=(withdrawn,)), LATER)
    assert [(c.response_id, c.element_id, c.consent_key, c.given, c.text, c.recorded_at) for c in world.consents()] == [
        (RESPONSE, "marketing_opt_in", "email_marketing", True, "Send me tips", T0),
        (RESPONSE, "marketing_opt_in", "email_marketing", False, "Send me tips", LATER),
    ]


def test_a_change_queues_one_row_per_destination_and_nothing_else_does(world: CaptureWorld, v1: Published) -> None:
    first, second = world.add_destination("first"), world.add_destination("second")
    with world.store.unit() as unit:
        assert unit.write(first_screen(v1.version_id, changes={"skin_type": "dry"}), T0) == 0  # no email yet
    with world.store.unit() as unit:
        # The email is known but nothing changed for Braze: nothing to send.
        assert unit.write(first_screen(v1.version_id, is_new=False, email="kim@example.com"), T0) == 0
    groups = {"newsletter": "subscribed"}
    change = first_screen(
        v1.version_id, is_new=False, email="kim@example.com", changes={"skin_type": "oily"}, subscription_groups=groups
    )
    with world.store.unit() as unit:
        assert unit.write(change, LATER) == 2
    payload = {
        "attributes": {"skin_type": "oily"},
        "subscription_groups": groups,
        "completion": None,
        "external_id": None,
        "email": "kim@example.com",
    }
    assert world.queued() == [
        (first, "kim@example.com", RESPONSE, payload),
        (second, "kim@example.com", RESPONSE, payload),
    ]


def test_a_response_is_queued_only_to_its_own_workspaces_destinations(world: CaptureWorld, v1: Published) -> None:
    other = world.add_workspace("acme")
    mine, theirs = world.add_destination("mine"), world.add_destination("theirs", other)
    acme = world.publish(sample().model_copy(update={"slug": "acme-quiz"}), other)
    to_acme = "00000000-0000-4000-8000-000000000002"
    changed = {"email": "kim@example.com", "changes": {"skin_type": "oily"}}
    # One unit for both, as a group commit's: each still goes to its own workspace's destination.
    with world.store.unit() as unit:
        assert unit.write(page_write(to_acme, acme.version_id, **changed), T0) == 1
        assert unit.write(first_screen(v1.version_id, **changed), T0) == 1
    assert [(d, r) for d, _user, r, _payload in world.queued()] == [(theirs, to_acme), (mine, RESPONSE)]


def test_a_slug_another_workspace_holds_is_refused_and_nothing_is_stored(world: CaptureWorld, v1: Published) -> None:
    other = world.add_workspace("acme")
    with pytest.raises(Conflict, match="another workspace") as caught:
        world.publish(sample().model_copy(update={"title": "Theirs now"}), other)
    assert [e.field for e in caught.value.errors] == ["slug"]
    with world.store.reading() as read:
        assert read.published(v1.experience.slug) == v1


def test_a_response_stays_on_the_version_it_started_on(world: CaptureWorld, v1: Published) -> None:
    assert world.publish(sample()) == v1  # the same definition again: no new version
    changed = sample().model_copy(update={"title": "A new title"})
    v2 = world.publish(changed)
    assert (v2.version, v2.version_id != v1.version_id) == (2, True)
    with world.store.unit() as unit:
        unit.write(first_screen(v1.version_id), T0)
    with world.store.unit() as unit:
        latest = unit.published("skin-quiz")
        stored = unit.response(RESPONSE)
        assert stored is not None
        started_on = unit.version(stored.version_id)
        assert unit.published("no-such-quiz") is None
    assert latest is not None and (latest.version, latest.experience.title) == (2, "A new title")
    assert (started_on.version, started_on.experience.title) == (1, sample().title)


def test_an_experience_has_a_token_secret_only_once_one_is_made(world: CaptureWorld, v1: Published) -> None:
    with world.store.unit() as unit:
        assert unit.experience_secret("skin-quiz") is None
    secret = world.make_secret("skin-quiz")
    with world.store.unit() as unit:
        assert unit.experience_secret("skin-quiz") == secret
        assert unit.experience_secret(v1.experience.slug + "-other") is None
