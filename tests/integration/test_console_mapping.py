"""A destination's attribute mapping and test send in the console, over HTTP: an owner's rename is
saved, audited and shown in the preview; a wrong name is refused beside its field with nothing
stored; a viewer cannot save; an editor's test send shows what was sent and Braze's answer, never
the key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import pytest

from tests.support.console import People, people, post_form, signed_in
from tests.support.stack import SANDBOX_KEY, Stack, running_stack
from zeroparty.bootstrap import audit_service
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.services.audit import AuditEntry


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("mapping"), worker=False) as s:
        yield s


@pytest.fixture
def who(stack: Stack) -> People:
    stack.rt.destinations.set_settings("sandbox", DestinationSettings())
    return people(stack)


def _page(who: People) -> str:
    return f"/admin/w/{who.first.slug}/destinations/sandbox/mapping"


def test_an_owner_renames_an_attribute_and_sees_it_saved_audited_and_previewed(stack: Stack, who: People) -> None:
    page = _page(who)
    with signed_in(stack, who.owner) as c:
        shown = c.get(page)
        assert shown.status_code == 200 and 'name="braze.skin_type" value="skin_type"' in shown.text
        assert '"skin_type": ' in unescape(shown.text)  # the preview's body
        saved = post_form(c, page, {"braze.skin_type": "skin", "braze.skin_goals": "skin_goals"}, page)
        assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
        after = c.get(saved.headers["location"])
    assert "Mapping saved." in after.text and 'name="braze.skin_type" value="skin"' in after.text
    assert '"skin": ' in unescape(after.text) and '"skin_type": ' not in unescape(after.text)
    assert stack.rt.destinations.settings("sandbox").renames == {"skin_type": "skin"}
    entry = _mapping_entries(stack, who)[0]  # the newest
    assert entry.actor == who.owner and entry.target == "sandbox" and entry.detail == {"skin_type": "skin"}


def _mapping_entries(stack: Stack, who: People) -> list[AuditEntry]:
    return [e for e in audit_service(stack.rt.engine).list(who.first.id) if e.action == "destination.mapping"]


def test_an_excluded_attribute_leaves_the_preview_and_costs_a_point_less(stack: Stack, who: People) -> None:
    page = _page(who)
    with signed_in(stack, who.viewer) as c:
        before = c.get(page + "/preview")
        after = c.get(page + "/preview", params={"braze.first_name": "first_name", "exclude.first_name": "true"})
    assert before.status_code == after.status_code == 200
    assert '"first_name"' in unescape(before.text) and '"first_name"' not in unescape(after.text)
    points = [int(t.split("<strong>")[1].split("</strong>")[0]) for t in (before.text, after.text)]
    assert points[1] == points[0] - 1
    assert stack.rt.destinations.settings("sandbox").exclude == frozenset()  # a preview stores nothing


def test_an_invalid_or_clashing_name_is_refused_beside_its_field_and_nothing_is_stored(
    stack: Stack, who: People
) -> None:
    page = _page(who)
    logged = len(_mapping_entries(stack, who))
    with signed_in(stack, who.owner) as c:
        wrong = post_form(c, page, {"braze.skin_type": "$skin", "braze.skin_goals": "goals"}, page)
        clash = post_form(c, page, {"braze.skin_type": "skin_goals"}, page)
        preview = c.get(page + "/preview", params={"braze.skin_type": "$skin"})
    assert wrong.status_code == 422 and "Nothing was saved" in wrong.text
    assert 'aria-invalid="true"' in wrong.text and "must not start with '$'" in unescape(wrong.text)
    assert 'value="$skin"' in wrong.text  # the form keeps what was typed
    assert clash.status_code == 422 and "another attribute is called 'skin_goals'" in unescape(clash.text)
    assert preview.status_code == 422 and "Not a valid mapping" in preview.text
    assert stack.rt.destinations.settings("sandbox") == DestinationSettings()
    assert len(_mapping_entries(stack, who)) == logged  # nothing changed, nothing logged


@pytest.mark.parametrize("user", ["viewer", "editor"])
def test_only_an_owner_may_save_the_mapping(stack: Stack, who: People, user: str) -> None:
    page = _page(who)
    with signed_in(stack, getattr(who, user)) as c:
        shown = c.get(page)
        refused = post_form(c, page, {"braze.skin_type": "skin"}, page)
    assert shown.status_code == 200 and "Save mapping" not in shown.text and "readonly" in shown.text
    assert refused.status_code == 403 and "needs the owner role" in refused.text
    assert stack.rt.destinations.settings("sandbox").renames == {}


def test_a_test_send_shows_what_was_sent_brazes_answer_and_the_profile(stack: Stack, who: People) -> None:
    stack.rt.destinations.set_settings(
        "sandbox", DestinationSettings.model_validate({"renames": {"skin_type": "skin"}})
    )
    page = f"/admin/w/{who.first.slug}/destinations/sandbox/test"
    with signed_in(stack, who.viewer) as c:
        viewer = c.get(page)
    with signed_in(stack, who.editor) as c:
        sent = post_form(c, page, {}, page)
    assert viewer.status_code == 200 and "Only an editor or owner" in viewer.text
    assert sent.status_code == 200, sent.text[:2000]
    assert "Test passed" in sent.text and "/users/track: HTTP 201" in sent.text
    text = unescape(sent.text)
    assert '"message": "success"' in text and '"skin": ' in text and "Data points" in text
    assert "zeroparty-test+sandbox@example.com" in sent.text  # the profile Braze holds
    assert "/braze-sandbox/_sandbox/ui/profiles/" in sent.text
    assert SANDBOX_KEY not in sent.text
    [entry] = [e for e in audit_service(stack.rt.engine).list(who.first.id) if e.action == "destination.test_send"]
    assert entry.actor == who.editor and entry.detail["passed"] is True


def test_the_destination_page_links_to_its_mapping_and_test_send(stack: Stack, who: People) -> None:
    with signed_in(stack, who.viewer) as c:
        shown = c.get(f"/admin/w/{who.first.slug}/destinations/sandbox")
    assert 'href="/admin/w/default/destinations/sandbox/mapping"' in shown.text
    assert 'href="/admin/w/default/destinations/sandbox/test"' in shown.text


def test_a_refused_test_send_says_why_and_never_shows_the_key(stack: Stack, who: People) -> None:
    wrong_key = "a0b1c2d3-0000-4000-8000-wrongwrong00"
    if "refusing" not in {d.name for d in stack.rt.destinations.list()}:
        stack.rt.destinations.add_braze("refusing", stack.sandbox, wrong_key, datetime.now(UTC))
    page = f"/admin/w/{who.first.slug}/destinations/refusing/test"
    with signed_in(stack, who.owner) as c:
        sent = post_form(c, page, {}, page)
    assert sent.status_code == 200 and "Test failed" in sent.text and "HTTP 401" in sent.text
    assert "Not looked up" in sent.text and "sandbox&#39;s profile browser" not in sent.text
    assert wrong_key not in sent.text
