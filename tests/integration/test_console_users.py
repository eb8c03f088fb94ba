"""Owners manage the workspace's members, API tokens and audit log from the console, and every user
changes their own password there: over HTTP, as a browser would."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.support.console import PASSWORD, People, csrf_of, people, post_form, signed_in
from tests.support.stack import Stack, running_stack

NEW_PASSWORD = "a brand new passphrase here"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("console-users"), worker=False, destination=False) as s:
        yield s


@pytest.fixture(scope="module")
def who(stack: Stack) -> People:
    return people(stack)


def _link(page: httpx.Response) -> str:
    found = re.search(r'id="reset-link" value="([^"]+)"', page.text)
    assert found is not None, page.text[:2000]
    return found.group(1).replace("&amp;", "&")


def _token_shown(page: httpx.Response) -> str:
    found = re.search(r'id="new-token" value="([^"]+)"', page.text)
    assert found is not None, page.text[:2000]
    return found.group(1)


def test_owner_adds_a_member_who_sets_a_password_with_the_link_shown_once(stack: Stack, who: People) -> None:
    members = f"/admin/w/{who.first.slug}/members"
    with signed_in(stack, who.owner) as c:
        listed = c.get(members)
        assert listed.status_code == 200 and who.viewer in listed.text and who.other_owner not in listed.text
        added = post_form(c, members, {"email": "New.Person@brand.example", "role": "editor"}, members)
        assert added.status_code == 200
        link = _link(added)
        assert "new.person@brand.example" in c.get(members).text
        assert link not in c.get(members).text  # shown once: not on the page again
        bad = post_form(c, members, {"email": "not an email", "role": "editor"}, members)
        assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and "not an email" in bad.text
    with httpx.Client(base_url=stack.base, follow_redirects=False) as anon:
        form = anon.get(link.replace(stack.base, ""))
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        assert token is not None
        done = anon.post(
            "/admin/reset",
            data={
                "token": token.group(1),
                "password": NEW_PASSWORD,
                "again": NEW_PASSWORD,
                "csrf_token": csrf_of(form),
            },
        )
        assert done.status_code == 303
    with signed_in(stack, "new.person@brand.example", NEW_PASSWORD) as c:
        assert c.get(f"/admin/w/{who.first.slug}/deliveries").status_code == 200  # an editor now
        assert c.get(members).status_code == 403  # but not an owner


def test_owner_changes_a_role_and_removes_a_member_but_never_the_last_owner(stack: Stack, who: People) -> None:
    members = f"/admin/w/{who.first.slug}/members"
    with signed_in(stack, who.owner) as c:
        post_form(c, members, {"email": "temp@brand.example", "role": "viewer"}, members)
        changed = post_form(c, f"{members}/role", {"email": "temp@brand.example", "role": "editor"}, members)
        assert changed.status_code == 303
        row = re.search(r"temp@brand\.example.*?</tr>", c.get(members).text, re.S)
        assert row is not None and 'value="editor" selected' in row.group(0)
        removed = post_form(c, f"{members}/remove", {"email": "temp@brand.example"}, members)
        assert removed.status_code == 303 and "temp@brand.example" not in c.get(members).text
        last = post_form(c, f"{members}/remove", {"email": who.owner}, members)
        assert last.status_code == 422 and "at least one owner" in last.text
        demoted = post_form(c, f"{members}/role", {"email": who.owner, "role": "viewer"}, members)
        assert demoted.status_code == 422 and "at least one owner" in demoted.text
        assert c.get(members).status_code == 200  # still the owner


def test_a_reset_link_is_only_for_this_workspaces_members(stack: Stack, who: People) -> None:
    members = f"/admin/w/{who.first.slug}/members"
    with signed_in(stack, who.owner) as c:
        ours = post_form(c, f"{members}/reset", {"email": who.viewer}, members)
        assert ours.status_code == 200 and "/admin/reset?token=" in _link(ours)
        stranger = post_form(c, f"{members}/reset", {"email": who.other_owner}, members)
        assert stranger.status_code == 422 and "reset-link" not in stranger.text


def test_owner_creates_a_token_shown_once_that_the_api_accepts_then_revokes_it(stack: Stack, who: People) -> None:
    tokens = f"/admin/w/{who.first.slug}/tokens"
    with signed_in(stack, who.owner) as c:
        made = post_form(c, tokens, {"name": "grafana", "role": "viewer"}, tokens)
        assert made.status_code == 200
        token = _token_shown(made)
        listing = c.get(tokens)
        assert "grafana" in listing.text and token not in listing.text and token[-4:] in listing.text
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(stack.base + "/api/v1/experiences", headers=bearer).status_code == 200
        taken = post_form(c, tokens, {"name": "grafana", "role": "viewer"}, tokens)
        assert taken.status_code == 422 and 'aria-invalid="true"' in taken.text
        revoked = post_form(c, f"{tokens}/revoke", {"name": "grafana"}, tokens)
        assert revoked.status_code == 303
        assert httpx.get(stack.base + "/api/v1/experiences", headers=bearer).status_code == 401


def test_the_audit_log_lists_changes_newest_first_pages_and_exports(stack: Stack, who: People) -> None:
    tokens = f"/admin/w/{who.first.slug}/tokens"
    audit = f"/admin/w/{who.first.slug}/audit"
    with signed_in(stack, who.owner) as c:
        for i in range(55):
            post_form(c, tokens, {"name": f"paged-{i:02d}", "role": "viewer"}, tokens)
        first = c.get(audit)
        assert first.status_code == 200
        assert first.text.index("paged-54") < first.text.index("paged-53")  # newest first
        assert who.owner in first.text and "token.create" in first.text
        older = re.search(r'href="([^"]+\?before=\d+)"', first.text)
        assert older is not None and "paged-04" not in first.text
        second = c.get(older.group(1).replace("&amp;", "&"))
        assert "paged-04" in second.text and "paged-54" not in second.text
        as_csv = c.get(f"{audit}/export?format=csv")
        assert as_csv.status_code == 200 and "attachment" in as_csv.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert {"token.create"} <= {r["action"] for r in rows} and all(
            r["workspace_id"] == str(who.first.id) for r in rows
        )
        as_json = c.get(f"{audit}/export?format=jsonl")
        lines = [json.loads(line) for line in as_json.text.splitlines()]
        assert len(lines) == len(rows) and lines[0]["action"] and lines[0]["actor"]
    with signed_in(stack, who.other_owner) as c:
        theirs = c.get(f"/admin/w/{who.second.slug}/audit/export?format=jsonl")
        assert "paged-" not in theirs.text  # another workspace's log is not in it


def test_a_user_changes_their_password_and_their_other_sessions_end(stack: Stack, who: People) -> None:
    from tests.support.console import accounts

    accounts(stack).create_user("changer@brand.example", PASSWORD, who.first.id, "viewer", "tests")
    with signed_in(stack, "changer@brand.example") as other, signed_in(stack, "changer@brand.example") as c:
        wrong = post_form(
            c,
            "/admin/account",
            {"current": "not it at all!", "password": NEW_PASSWORD, "again": NEW_PASSWORD},
            "/admin/account",
        )
        assert wrong.status_code == 422 and "not your current password" in wrong.text
        differ = post_form(
            c,
            "/admin/account",
            {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD + "x"},
            "/admin/account",
        )
        assert differ.status_code == 422 and "differ" in differ.text
        done = post_form(
            c,
            "/admin/account",
            {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD},
            "/admin/account",
        )
        assert done.status_code == 303
        assert c.get("/admin/account").status_code == 200  # this browser stays signed in
        assert other.get("/admin/account").status_code == 303  # the other session ended
    with signed_in(stack, "changer@brand.example", NEW_PASSWORD) as c:
        assert c.get("/admin/account").status_code == 200


def test_api_token_roles_a_viewer_reads_and_only_the_instances_owner_reads_metrics(stack: Stack, who: People) -> None:
    from zeroparty.bootstrap import operator_token_service
    from zeroparty.domain.roles import Role

    ours = operator_token_service(stack.rt.engine, who.first.id)
    theirs = operator_token_service(stack.rt.engine, who.second.id)
    viewer = {"Authorization": f"Bearer {ours.create('role-viewer', role=Role.VIEWER)}"}
    editor = {"Authorization": f"Bearer {ours.create('role-editor', role=Role.EDITOR)}"}
    other_owner = {"Authorization": f"Bearer {theirs.create('role-owner', role=Role.OWNER)}"}
    owner = {"Authorization": f"Bearer {ours.create('role-owner', role=Role.OWNER)}"}
    with httpx.Client(base_url=stack.base) as c:
        assert c.get("/api/v1/experiences", headers=viewer).json()[0]["slug"] == "skin-quiz"
        assert c.get("/openapi.json", headers=viewer).status_code == 200
        # /metrics names every workspace's destinations: the first workspace's owners alone read it.
        for headers in (viewer, editor, other_owner):
            refused = c.get("/metrics", headers=headers)
            assert refused.status_code == 403 and "owner token of the first workspace" in refused.text
        assert "zeroparty_outbox_items" in c.get("/metrics", headers=owner).text
        assert c.get("/metrics").status_code == 401
