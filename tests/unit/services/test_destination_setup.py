"""Connecting Braze in one step, as the console does: every field's problem at once, the key checked
with Braze before anything is saved, and Braze's verdict named on the key's field."""

from __future__ import annotations

import pytest

from tests.unit.services.test_destination_probe import EMPTY, ENDPOINT, FakeBraze, Said, calls_on
from tests.unit.services.test_destinations import PLAIN, Store, service
from zeroparty.errors import Conflict, InvalidInput, NotFound
from zeroparty.services.destination_setup import DestinationSetup

GOOD: dict[str, Said | None] = {
    "/users/track": Said(400, EMPTY),
    "/users/delete": Said(400, {}),
    "/users/export/ids": Said(400, {}),
}


def setup(braze: FakeBraze) -> tuple[Store, DestinationSetup]:
    store = Store()
    return store, DestinationSetup(service(store), calls_on(braze))


def test_a_good_key_is_checked_then_saved_at_the_instance_named() -> None:
    braze = FakeBraze(GOOD)
    store, connect = setup(braze)
    done = connect.add_braze(" us ", "us-01", "secret-key-0123456789", PLAIN)
    assert done.name == "us" and done.endpoint == ENDPOINT
    assert done.check is not None and done.check.report.refusal is None
    assert [name for name, _ in store.added] == ["us"]
    assert braze.calls[0][0] == "/users/track" and braze.closed


def test_every_field_is_named_at_once_and_braze_is_not_called() -> None:
    braze = FakeBraze(GOOD)
    store, connect = setup(braze)
    with pytest.raises(InvalidInput) as refused:
        connect.add_braze("", "rest.example.com", "two words", PLAIN)
    assert [e.field for e in refused.value.errors] == ["name", "endpoint", "api_key"]
    assert braze.calls == [] and store.added == []


def test_a_taken_name_is_a_conflict_before_any_call() -> None:
    braze = FakeBraze(GOOD)
    _, connect = setup(braze)
    with pytest.raises(Conflict) as taken:
        connect.add_braze("eu", "EU-01", "secret-key-0123456789", PLAIN)
    assert taken.value.errors[0].field == "name" and braze.calls == []


def test_a_refused_key_saves_nothing_and_says_why_on_the_key() -> None:
    braze = FakeBraze({**GOOD, "/users/track": Said(401, {"message": "Invalid API Key"})})
    store, connect = setup(braze)
    with pytest.raises(InvalidInput) as refused:
        connect.add_braze("us", "US-01", "secret-key-0123456789", PLAIN)
    [problem] = refused.value.errors
    assert problem.field == "api_key" and "nothing was saved" in problem.message
    assert "secret-key-0123456789" not in problem.message
    assert store.added == []


def test_without_verification_nothing_is_called() -> None:
    braze = FakeBraze(GOOD)
    store, connect = setup(braze)
    assert connect.add_braze("us", "US-01", "k", PLAIN, verify=False).check is None
    assert braze.calls == [] and [name for name, _ in store.added] == ["us"]


def test_a_new_key_is_checked_for_the_destination_it_replaces() -> None:
    braze = FakeBraze(GOOD)
    _, connect = setup(braze)
    done = connect.replace_key("eu", "new-key-0123456789")
    assert done.check is not None and done.check.report.refusal is None and done.resumed == "the key was refused"
    with pytest.raises(NotFound):
        connect.replace_key("nowhere", "new-key-0123456789")
    with pytest.raises(InvalidInput) as bad:
        connect.replace_key("eu", " ")
    assert bad.value.errors[0].field == "api_key"


def test_a_setting_needing_a_new_permission_checks_the_stored_key_first() -> None:
    from tests.unit.services.test_destinations import IDENTIFYING

    braze = FakeBraze({**GOOD, "/users/identify": Said(401, {"message": "missing permission"})})
    store, connect = setup(braze)
    with pytest.raises(InvalidInput) as refused:
        connect.change_settings("eu", IDENTIFYING)
    assert refused.value.errors[0].field == "api_key" and store.settings_of["eu"] == PLAIN
    assert [path for path, _ in braze.calls] == ["/users/track", "/users/identify"]


def test_a_setting_needing_nothing_new_is_saved_without_a_call() -> None:
    braze = FakeBraze(GOOD)
    store, connect = setup(braze)
    wanted = PLAIN.model_copy(update={"max_objects": 50})
    changed = connect.change_settings("eu", wanted)
    assert changed.check is None and store.settings_of["eu"].max_objects == 50 and braze.calls == []
