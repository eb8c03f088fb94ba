"""A destination's page in the console, over HTTP: pausing by hand says why and holds deliveries
until resumed, settings are saved through the same rules as the CLI's, a bad value is named and
nothing is saved, and every change is in the audit log under who made it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.console import People, people, post_form, signed_in
from tests.support.stack import Stack, running_stack
from zeroparty.bootstrap import audit_service


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("console-destination"), worker=False) as s:
        yield s


@pytest.fixture(scope="module")
def who(stack: Stack) -> People:
    return people(stack)


def test_a_pause_by_hand_shows_why_and_a_resume_ends_it(stack: Stack, who: People) -> None:
    page = f"/admin/w/{who.first.slug}/destinations/sandbox"
    with signed_in(stack, who.owner) as c:
        empty = post_form(c, page + "/pause", {"reason": "  "}, page)
        assert empty.status_code == 422 and 'id="reason-error"' in empty.text
        assert stack.rt.destinations.connection("sandbox").paused_reason is None
        paused = post_form(c, page + "/pause", {"reason": "campaign starts Monday"}, page)
        assert paused.status_code == 303
        shown = c.get(paused.headers["location"])
        assert "paused by hand: campaign starts Monday" in shown.text and "Resume deliveries" in shown.text
        assert post_form(c, page + "/resume", {}, page).status_code == 303
    assert stack.rt.destinations.connection("sandbox").paused_reason is None
    actions = [(e.actor, e.action, e.target) for e in audit_service(stack.rt.engine).list(who.first.id, 10)]
    assert (who.owner, "destination.pause", "sandbox") in actions
    assert (who.owner, "destination.resume", "sandbox") in actions


def test_settings_are_saved_checked_and_a_bad_value_is_named(stack: Stack, who: People) -> None:
    page = f"/admin/w/{who.first.slug}/destinations/sandbox"
    with signed_in(stack, who.owner) as c:
        form = {"identity": "email", "batch_limits": "combined", "max_objects": "50", "requests_per_second": "10"}
        saved = post_form(c, page + "/settings", form, page)
        assert saved.status_code == 303
        assert stack.rt.destinations.settings("sandbox").max_objects == 50
        bad = post_form(c, page + "/settings", {**form, "max_objects": "500"}, page)
        assert bad.status_code == 422 and 'id="max_objects-error"' in bad.text and 'value="500"' in bad.text
        assert stack.rt.destinations.settings("sandbox").max_objects == 50  # nothing saved
    with signed_in(stack, who.viewer) as c:
        shown = c.get(page)
        assert shown.status_code == 200 and "<fieldset disabled>" in shown.text and "Save settings" not in shown.text
