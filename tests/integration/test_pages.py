"""The hosted pages as plain HTML forms (no JavaScript): partial capture, validation, revisits."""

from __future__ import annotations

import re

import httpx

from tests.support.stack import SANDBOX_AUTH, Stack
from tests.support.waiting import wait_for


def post(client: httpx.Client, url: str, data: dict[str, str | list[str]]) -> httpx.Response:
    return client.post(url, data=data, follow_redirects=False)


def test_each_screen_is_stored_and_braze_hears_once_the_email_is_known(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        first = post(c, "/e/skin-quiz", {"skin_type": "normal"})
        assert first.status_code == 303
        screen2 = first.headers["location"]
        assert "/s/goals" in screen2
        assert stack.row_counts() == {"responses": 1, "answers": 1, "outbox": 0}
        third = post(c, screen2, {"skin_goals": ["fine_lines", "hydration"]}).headers["location"]
        fourth = post(c, third, {"routine_length": "long"}).headers["location"]
        assert stack.row_counts()["outbox"] == 0  # nothing can go to Braze without the email
        done = post(c, fourth, {"email": "pages@example.com", "first_name": "Lee"})
        assert done.status_code == 303 and done.headers["location"].endswith("/outcome")
        outcome = c.get(done.headers["location"])
        assert "The Hydration Boost routine" in outcome.text
        profile = wait_for(lambda: stack.export_by_email("pages@example.com"), bool, timeout=5)[0]
        assert profile["custom_attributes"]["skin_goals"] == ["fine_lines", "hydration"]
        assert profile["custom_attributes"]["skin_quiz_routine"] == "hydration_boost"
        assert "email_subscribe" not in profile  # the box was left unticked: no subscription change

        # Going back to change an answer sends only what changed.
        revisit = screen2
        assert c.get(revisit).status_code == 200
        post(c, revisit, {"skin_goals": ["breakouts"]})
        wait_for(
            lambda: stack.export_by_email("pages@example.com")[0]["custom_attributes"]["skin_goals"],
            lambda v: v == ["breakouts"],
            timeout=5,
        )
        last = httpx.get(
            stack.sandbox + "/_sandbox/requests", params={"path": "/users/track"}, headers=SANDBOX_AUTH
        ).json()["requests"][-1]
        assert last["request_body"]["attributes"] == [{"email": "pages@example.com", "skin_goals": ["breakouts"]}]


def test_invalid_screen_is_shown_again_with_422_and_nothing_stored(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        r = post(c, "/e/skin-quiz", {"skin_type": "purple"})
        assert r.status_code == 422
        assert "is not an option" in r.text
        assert stack.row_counts()["responses"] == 0


def test_unknown_experience_and_response_are_404_pages(stack: Stack) -> None:
    assert httpx.get(stack.base + "/e/nope").status_code == 404
    assert httpx.get(stack.base + "/e/skin-quiz/r/00000000-0000-0000-0000-000000000000/s/goals").status_code == 404
    assert httpx.post(stack.base + "/e/nope", data={"x": "y"}).status_code == 404


def test_skipping_ahead_to_the_last_screen_is_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        first = post(c, "/e/skin-quiz", {"skin_type": "dry"})
        rid = first.headers["location"].split("/r/")[1].split("/")[0]
        r = post(c, f"/e/skin-quiz/r/{rid}/s/contact", {"email": "skip@example.com"})
        assert r.status_code == 422
        assert "An earlier question still needs an answer" in r.text
        assert f"/e/skin-quiz/r/{rid}/s/goals" in r.text
        assert stack.row_counts()["outbox"] == 0


def test_a_forged_host_header_shapes_no_link_or_redirect(stack: Stack) -> None:
    forged = {"Host": "evil.example"}
    with httpx.Client(base_url=stack.base, headers=forged) as c:
        pages = [c.get("/"), c.get("/e/skin-quiz")]
        first = post(c, "/e/skin-quiz", {"skin_type": "dry"})
        assert first.status_code == 303
        screen2 = first.headers["location"]
        assert screen2.startswith("/e/skin-quiz/r/") and screen2.endswith("/s/goals")
        rid = screen2.split("/r/")[1].split("/")[0]
        unfinished = c.get(f"/e/skin-quiz/r/{rid}/outcome", follow_redirects=False)
        assert unfinished.status_code == 303
        assert unfinished.headers["location"] == f"/e/skin-quiz/r/{rid}/s/skin"
        pages += [c.get(screen2), post(c, f"/e/skin-quiz/r/{rid}/s/contact", {"email": "host@example.com"})]
    assert [p.status_code for p in pages] == [200, 200, 200, 422]
    for page in pages:
        assert "evil.example" not in page.text
        assert "//" not in " ".join(re.findall(r'(?:action|href)="([^"]*)"', page.text))
    assert 'action="/e/skin-quiz"' in pages[1].text
    assert f'action="/e/skin-quiz/r/{rid}/s/goals"' in pages[2].text
    assert f'href="/e/skin-quiz/r/{rid}/s/goals"' in pages[3].text  # the link back to a skipped answer
