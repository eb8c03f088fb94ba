"""Experiences in the console over HTTP: an editor publishes (audited), a viewer is refused, a
definition with a problem shows `line N` beside its line and stores nothing, a roll back publishes the
old content as a new version, another workspace's slug is refused, and the list, page and analytics
show what a workspace has."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from tests.support.console import People, csrf_of, people, post_form, signed_in
from tests.support.definitions import SAMPLE
from tests.support.stack import Stack, running_stack
from zeroparty.bootstrap import audit_service, publishing_service

TEXT = SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("console-experiences"), worker=False) as s:
        yield s


@pytest.fixture(scope="module")
def who(stack: Stack) -> People:
    return people(stack)


def _definition(slug: str, title: str = "A routine quiz") -> str:
    return TEXT.replace("slug: skin-quiz", f"slug: {slug}", 1).replace("Find your skincare routine", title, 1)


def _publish(c: httpx.Client, ws: str, text: str, action: str = "publish") -> httpx.Response:
    new = f"/admin/w/{ws}/experiences/new"
    return post_form(c, new, {"definition": text, "action": action}, new)


def test_an_editor_publishes_and_it_is_listed_served_and_audited(stack: Stack, who: People) -> None:
    ws = who.first.slug
    with signed_in(stack, who.editor) as c:
        done = _publish(c, ws, _definition("console-made"))
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/admin/w/{ws}/experiences/console-made?done=published"
        page = c.get(done.headers["location"])
        assert page.status_code == 200 and "Published: a new version is live." in page.text
        listing = c.get(f"/admin/w/{ws}/experiences").text
    assert "A routine quiz" in listing and 'href="/e/console-made"' in listing
    assert httpx.get(f"{stack.base}/e/console-made").status_code == 200
    entries = audit_service(stack.rt.engine).list(who.first.id, 20)
    assert any(
        e.action == "experience.publish" and e.target == "console-made" and e.actor == who.editor for e in entries
    )


def test_a_viewer_sees_the_list_but_cannot_publish(stack: Stack, who: People) -> None:
    ws = who.first.slug
    with signed_in(stack, who.viewer) as c:
        assert c.get(f"/admin/w/{ws}/experiences").status_code == 200
        assert c.get(f"/admin/w/{ws}/experiences/new").status_code == 403
        token_page = f"/admin/w/{ws}/experiences"
        refused = post_form(c, f"/admin/w/{ws}/experiences/new", {"definition": _definition("by-viewer")}, token_page)
    assert refused.status_code == 403
    assert publishing_service(stack.rt.engine, who.first.id).experiences() != []
    assert "by-viewer" not in {e.slug for e in publishing_service(stack.rt.engine, who.first.id).experiences()}


def test_a_problem_is_shown_beside_its_line_the_text_is_kept_and_nothing_is_stored(stack: Stack, who: People) -> None:
    ws = who.first.slug
    broken = _definition("broken-one").replace("        label: Pick the closest\n", '        label: ""\n', 1)
    line = broken.split("\n").index('        label: ""') + 1
    with signed_in(stack, who.editor) as c:
        answer = _publish(c, ws, broken)
    assert answer.status_code == 422
    shown = unescape(answer.text)
    assert f"line {line} — screens[0].elements[0].label: is empty; it is required" in shown
    beside = re.search(rf'<li id="line-{line}" class="has-problem">(.*?)</li>', answer.text, re.S)
    assert beside is not None  # the offending line is marked …
    assert 'label: ""' in unescape(beside.group(1)) and "is empty; it is required" in unescape(beside.group(1))
    assert 'label: ""' in re.search(r"<textarea[^>]*>(.*?)</textarea>", shown, re.S).group(1)  # type: ignore[union-attr]
    assert "broken-one" not in {e.slug for e in publishing_service(stack.rt.engine, who.first.id).experiences()}


def test_check_says_valid_and_stores_nothing(stack: Stack, who: People) -> None:
    with signed_in(stack, who.editor) as c:
        answer = _publish(c, who.first.slug, _definition("only-checked"), action="check")
    assert answer.status_code == 200 and "Valid:" in answer.text and "Data points per response" in answer.text
    assert "only-checked" not in {e.slug for e in publishing_service(stack.rt.engine, who.first.id).experiences()}


def test_roll_back_publishes_the_old_content_as_a_new_version(stack: Stack, who: People) -> None:
    ws = who.first.slug
    svc = publishing_service(stack.rt.engine, who.first.id)
    with signed_in(stack, who.editor) as c:
        assert _publish(c, ws, _definition("rolled", "First title")).status_code == 303
        edit = f"/admin/w/{ws}/experiences/rolled/edit"
        changed = post_form(c, edit, {"definition": _definition("rolled", "Second title"), "action": "publish"}, edit)
        assert changed.status_code == 303
        page = f"/admin/w/{ws}/experiences/rolled"
        back = post_form(c, f"{page}/rollback", {"version": "1"}, page)
        assert back.status_code == 303 and back.headers["location"].endswith("?done=rolledback")
    assert [v.version for v in svc.versions("rolled")] == [3, 2, 1]
    assert "title: First title" in svc.text("rolled", 3) and svc.text("rolled", 3) == svc.text("rolled", 1)
    entries = audit_service(stack.rt.engine).list(who.first.id, 50)
    assert any(e.action == "experience.rollback" and e.target == "rolled" and e.detail.get("to") == 1 for e in entries)


def test_another_workspaces_slug_is_refused_beside_the_text(stack: Stack, who: People) -> None:
    with signed_in(stack, who.other_owner) as c:
        answer = _publish(c, who.second.slug, TEXT)  # skin-quiz is the first workspace's
    assert answer.status_code == 422 and "is taken by another workspace" in unescape(answer.text)
    assert publishing_service(stack.rt.engine, who.second.id).experiences() == []


def test_state_buttons_close_and_reopen_the_hosted_page(stack: Stack, who: People) -> None:
    ws = who.first.slug
    with signed_in(stack, who.editor) as c:
        assert _publish(c, ws, _definition("stateful")).status_code == 303
        page = f"/admin/w/{ws}/experiences/stateful"
        assert post_form(c, f"{page}/state", {"state": "closed"}, page).status_code == 303
        assert httpx.get(f"{stack.base}/e/stateful").status_code == 410
        assert post_form(c, f"{page}/state", {"state": "published"}, page).status_code == 303
    assert httpx.get(f"{stack.base}/e/stateful").status_code == 200


def test_the_page_and_analytics_show_the_experience(stack: Stack, who: People) -> None:
    ws = who.first.slug
    with signed_in(stack, who.viewer) as c:
        page = c.get(f"/admin/w/{ws}/experiences/skin-quiz")
        preview = c.get(f"/admin/w/{ws}/experiences/skin-quiz?preview=1")
        analytics = c.get(f"/admin/w/{ws}/experiences/skin-quiz/analytics")
    assert page.status_code == 200
    assert 'data-experience="skin-quiz"' in unescape(page.text)
    assert "<iframe" not in page.text  # the live page loads (and counts a visit) only when asked for
    assert preview.text.count('<iframe class="preview') == 2 and 'src="/e/skin-quiz"' in preview.text
    assert "Roll back" not in page.text  # a viewer has no roll back button
    assert analytics.status_code == 200
    assert analytics.text.count('role="img"') + analytics.text.count("Nothing yet.") == 4
    assert '<th scope="row">Loads</th>' in analytics.text


def test_an_uploaded_file_is_checked_and_published(stack: Stack, who: People) -> None:
    ws = who.first.slug
    new = f"/admin/w/{ws}/experiences/new"
    with signed_in(stack, who.editor) as c:
        token = csrf_of(c.get(new))
        files = {"file": ("uploaded.yaml", _definition("uploaded").encode(), "application/yaml")}
        done = c.post(new, data={"csrf_token": token, "definition": "", "action": "publish"}, files=files)
        bad = {"file": ("bad.yaml", b"\xff\xfe not text", "application/yaml")}
        refused = c.post(new, data={"csrf_token": token, "action": "publish"}, files=bad)
    assert done.status_code == 303 and done.headers["location"].endswith("/experiences/uploaded?done=published")
    assert refused.status_code == 422 and "bad.yaml is not UTF-8 text" in refused.text
