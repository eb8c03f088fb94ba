"""People in the console over HTTP: a viewer finds a person and sees their responses, the consent
text they were shown and what the destination received; downloads it as CSV (cells guarded against
formulas, the download audited); cannot erase; another workspace's people are not found there; an
owner erases a person here and in the Braze sandbox after typing the address again, and a typo
erases nothing; a destination not done is named, and erasing again finishes it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.test_cli_destinations import FULL
from tests.integration.test_cli_people import EXPORT_ONLY, braze_peer, exported_by
from tests.support.console import People, people, post_form, signed_in
from tests.support.stack import Stack, running_stack
from tests.support.waiting import wait_for
from zeroparty.bootstrap import audit_service

CONSENT = "Send me skincare tips and offers. I can unsubscribe at any time."


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("people"), worker=True) as s:
        yield s


@pytest.fixture(scope="module")
def who(stack: Stack) -> People:
    return people(stack)


def answer(stack: Stack, email: str, first_name: str = "Ada") -> None:
    r = httpx.post(
        f"{stack.base}/api/v1/experiences/skin-quiz/responses",
        json={
            "answers": {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"},
            "inputs": {"email": email, "first_name": first_name, "marketing_opt_in": True},
        },
    )
    assert r.status_code == 201, r.text


def delivered(stack: Stack, email: str) -> list[dict[str, object]]:
    return wait_for(lambda: stack.export_by_email(email), lambda found: len(found) == 1)


def person_page(c: httpx.Client, who: People, email: str) -> httpx.Response:
    return c.get(f"/admin/w/{who.first.slug}/people", params={"email": email})


def test_a_viewer_finds_a_person_with_responses_consents_and_what_braze_received(stack: Stack, who: People) -> None:
    answer(stack, "grace@example.com", "Grace")
    delivered(stack, "grace@example.com")
    with signed_in(stack, who.viewer) as c:
        empty = c.get(f"/admin/w/{who.first.slug}/people")
        assert empty.status_code == 200 and 'name="email"' in empty.text
        page = wait_for(lambda: person_page(c, who, " Grace@Example.com "), lambda p: "delivered" in p.text)
    assert page.status_code == 200
    text = page.text
    assert "grace@example.com" in text and "skin-quiz" in text
    assert "hydration_boost" in text  # the outcome
    assert CONSENT in text and "Given" in text
    assert "sandbox" in text and "first_name" in text and "Grace" in text
    assert "Erase this person" not in text  # a viewer is not offered it


def test_a_bad_address_is_said_beside_the_field_and_nobody_is_said_plainly(stack: Stack, who: People) -> None:
    with signed_in(stack, who.viewer) as c:
        bad = person_page(c, who, "not an address")
        assert bad.status_code == 422 and 'id="email-error"' in bad.text and 'aria-invalid="true"' in bad.text
        nobody = person_page(c, who, "nobody@example.com")
        assert nobody.status_code == 200 and "Nobody has answered with nobody@example.com" in nobody.text


def test_another_workspaces_person_is_not_found_there(stack: Stack, who: People) -> None:
    answer(stack, "linus@example.com")
    with signed_in(stack, who.other_owner) as c:
        theirs = c.get(f"/admin/w/{who.second.slug}/people", params={"email": "linus@example.com"})
        assert theirs.status_code == 200 and "Nobody has answered with linus@example.com" in theirs.text
        assert person_page(c, who, "linus@example.com").status_code == 404
        export = c.get(f"/admin/w/{who.second.slug}/people/export", params={"email": "linus@example.com"})
        assert export.status_code == 303  # nothing to download: back to the search


def test_the_csv_download_holds_responses_answers_and_consents_with_cells_guarded(stack: Stack, who: People) -> None:
    answer(stack, "mallory@example.com", '=HYPERLINK("http://evil.example")')
    with signed_in(stack, who.viewer) as c:
        r = c.get(f"/admin/w/{who.first.slug}/people/export", params={"email": "mallory@example.com"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [
        "kind",
        "experience",
        "response_id",
        "at",
        "completed_at",
        "outcome",
        "element",
        "value",
        "detail",
    ]
    kinds = [row[0] for row in rows[1:]]
    assert kinds.count("response") == 1 and kinds.count("consent") == 1 and "answer" in kinds
    by_element = {row[6]: row for row in rows[1:] if row[0] == "answer"}
    assert by_element["skin_goals"][7] == "hydration"
    assert by_element["first_name"][7] == '\'=HYPERLINK("http://evil.example")'
    [consent] = [row for row in rows if row[0] == "consent"]
    assert (consent[7], consent[8]) == ("given", CONSENT)
    [entry] = [e for e in audit_service(stack.rt.engine).list(who.first.id) if e.action == "person.export"]
    assert entry.actor == who.viewer and "mallory" not in entry.target and len(entry.target) == 64


def test_a_viewer_cannot_erase(stack: Stack, who: People) -> None:
    answer(stack, "vera@example.com")
    search = f"/admin/w/{who.first.slug}/people?email=vera%40example.com"
    with signed_in(stack, who.viewer) as c:
        assert c.get(f"/admin/w/{who.first.slug}/people/erase", params={"email": "vera@example.com"}).status_code == 403
        data = {"email": "vera@example.com", "confirm": "vera@example.com", "shown": ""}
        assert post_form(c, f"/admin/w/{who.first.slug}/people/erase", data, search).status_code == 403
        assert "vera@example.com" in person_page(c, who, "vera@example.com").text
        assert "Nobody" not in person_page(c, who, "vera@example.com").text


def test_an_owner_erases_a_person_here_and_in_braze_after_typing_the_address_again(stack: Stack, who: People) -> None:
    email = "ada@example.com"
    answer(stack, email)
    [profile] = delivered(stack, email)
    erase = f"/admin/w/{who.first.slug}/people/erase"
    with signed_in(stack, who.owner) as c:
        plan = wait_for(lambda: c.get(erase, params={"email": email}), lambda p: p.status_code == 200)
        assert "1 profile(s) found, 1 to delete" in plan.text and str(profile["braze_id"]) in plan.text
        shown = str(profile["braze_id"])
        page = f"{erase}?email=ada%40example.com"

        typo = post_form(c, erase, {"email": email, "confirm": "ada@example.org", "shown": shown}, page)
        assert typo.status_code == 422 and 'id="confirm-error"' in typo.text
        assert len(stack.export_by_email(email)) == 1
        assert "Nobody" not in person_page(c, who, email).text

        stale = post_form(c, erase, {"email": email, "confirm": email, "shown": "another-profile"}, page)
        assert stale.status_code == 409 and "changed since the plan was shown" in stale.text
        assert len(stack.export_by_email(email)) == 1

        done = post_form(c, erase, {"email": email, "confirm": " ADA@example.com", "shown": shown}, page)
        assert done.status_code == 200, done.text
        assert "Erased ada@example.com" in done.text and "1 responses" in done.text
        assert "deleted in Braze" in done.text
        assert "Nobody has answered with ada@example.com" in person_page(c, who, email).text
    assert stack.export_by_email(email) == []
    [entry] = [e for e in audit_service(stack.rt.engine).list(who.first.id) if e.action == "person.erase"]
    # the erasure is logged under a keyed digest of the address, never the address
    assert entry.actor == who.owner and email not in entry.target and "@" not in entry.target
    assert len(entry.target) == 64 and all(c in "0123456789abcdef" for c in entry.target)
    assert entry.detail["responses"] == 1 and entry.detail["not_done"] == ""


def test_a_destination_not_done_is_named_and_erasing_again_finishes_it(tmp_path: Path) -> None:
    email = "nora@example.com"
    with braze_peer(tmp_path / "peer") as other, running_stack(tmp_path / "zp", worker=True) as stack:
        # A second destination whose key may write and look up, not delete.
        stack.rt.destinations.add_braze("limited", other, EXPORT_ONLY, stack.now())
        who = people(stack)
        answer(stack, email)
        delivered(stack, email)
        wait_for(lambda: exported_by(other, email), lambda found: len(found) == 1)
        erase = f"/admin/w/{who.first.slug}/people/erase"
        page = f"{erase}?email=nora%40example.com"
        with signed_in(stack, who.owner) as c:

            def confirm() -> httpx.Response:
                plan = c.get(page)
                shown = re.search(r'name="shown" value="([^"]*)"', plan.text)
                assert plan.status_code == 200 and shown is not None, plan.text
                return post_form(c, erase, {"email": email, "confirm": email, "shown": shown.group(1)}, page)

            first = wait_for(confirm, lambda r: r.status_code != 409)
            assert first.status_code == 200 and "Braze is not done at limited" in first.text
            assert "users.delete" in first.text and stack.export_by_email(email) == []
            assert len(exported_by(other, email)) == 1
            gone = person_page(c, who, email).text
            assert "Nobody has answered" in gone and "Erase nora@example.com again" in gone

            stack.rt.destinations.update_key("limited", FULL)
            again = c.get(page)
            assert "(left unfinished by an earlier erasure)" in again.text and "1 to delete" in again.text
            second = confirm()
            assert second.status_code == 200 and "Braze is not done" not in second.text
            assert "retried from an earlier erasure" in second.text
        assert exported_by(other, email) == []
    [last, earlier] = [e for e in audit_service(stack.rt.engine).list(who.first.id) if e.action == "person.erase"]
    assert (earlier.detail["not_done"], last.detail["not_done"]) == ("limited", "")
