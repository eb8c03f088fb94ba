"""The hosted pages as plain HTML forms (no JavaScript): partial capture, validation, revisits."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.support.stack import Stack
from tests.support.waiting import wait_for
from zeroparty.adapters.http.revisit import REVISIT_COOKIE, RevisitPass
from zeroparty.errors import Gone


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
        profile = wait_for(lambda: stack.export_by_email("pages@example.com"), bool, timeout=20)[0]
        assert profile["custom_attributes"]["skin_goals"] == ["fine_lines", "hydration"]
        assert profile["custom_attributes"]["skin_quiz_routine"] == "hydration_boost"
        assert "email_subscribe" not in profile  # the box was left unticked: no subscription change


def _complete(c: httpx.Client, email: str) -> tuple[str, str]:
    """Answer the sample quiz to its end; (the second screen's path, the outcome's path)."""
    screen2 = post(c, "/e/skin-quiz", {"skin_type": "normal"}).headers["location"]
    third = post(c, screen2, {"skin_goals": ["hydration"]}).headers["location"]
    fourth = post(c, third, {"routine_length": "long"}).headers["location"]
    done = post(c, fourth, {"email": email, "first_name": "Lee"})
    assert done.status_code == 303, done.text
    return screen2, done.headers["location"]


def test_a_completed_response_cannot_be_read_or_changed_through_its_link(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c, httpx.Client(base_url=stack.base) as stranger:
        screen2, outcome = _complete(c, "closed@example.com")
        contact = screen2.replace("/s/goals", "/s/contact")
        wait_for(lambda: stack.export_by_email("closed@example.com"), bool, timeout=5)
        before = stack.row_counts()
        shown = c.get(contact)
        edited = post(stranger, contact, {"email": "thief@example.com", "first_name": "Mallory"})
        withdrawn = post(stranger, screen2, {"skin_goals": ["breakouts"]})
        # The browser that completed it, submitting again (a second tab): its outcome, nothing changed.
        again = post(c, contact, {"email": "other@example.com", "first_name": "Lee"})
    assert again.status_code == 303 and again.headers["location"] == outcome
    for r in (shown, edited, withdrawn):
        assert r.status_code == 410, r.text
        assert "This response is complete" in r.text and "Nothing was changed" in r.text
        assert "closed@example.com" not in r.text and "Lee" not in r.text
        assert r.headers["cache-control"] == "no-store"
    assert stack.row_counts() == before  # no answer, no outbox row
    status = httpx.get(f"{stack.base}/api/v1/responses/{outcome.split('/')[4]}", headers=stack.auth).json()
    assert status["email"] == "closed@example.com" and status["answers"]["skin_goals"] == ["hydration"]


def test_the_capture_service_refuses_a_completed_response_whoever_calls(stack: Stack) -> None:
    # The pages look first; the service decides again in the write transaction, where no other
    # submit can complete the response meanwhile.
    with httpx.Client(base_url=stack.base) as c:
        _screen2, outcome = _complete(c, "service@example.com")
    before = stack.row_counts()
    with pytest.raises(Gone, match="is complete; nothing was changed"):
        stack.rt.capture.submit_screen("skin-quiz", outcome.split("/")[4], "contact", {"email": "x@example.com"})
    assert stack.row_counts() == before


def _pass(stack: Stack, outcome: str, seconds_ago: float) -> dict[str, str]:
    """A pass to `outcome` as `stack` would have issued it `seconds_ago`."""
    issuer = RevisitPass(stack.rt.session_secret, 600, clock=lambda: time.time() - seconds_ago)
    return {REVISIT_COOKIE: issuer.issue("skin-quiz", outcome.split("/")[4])}


def test_only_the_browser_that_completed_a_response_sees_its_outcome_again(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as mine, httpx.Client(base_url=stack.base) as other:
        _screen2, outcome = _complete(mine, "mine@example.com")
        again = mine.get(outcome)
        elsewhere = other.get(outcome)  # the link alone, as found in a log or a shared history
        _screen2, second = _complete(other, "other@example.com")
        crossed = mine.get(second)  # a pass names one response
        # Passes made with this server's secret: one issued now, one issued a window ago (run out).
        fresh, stale = (httpx.get(stack.base + outcome, cookies=_pass(stack, outcome, ago)) for ago in (0, 600))
    for r in (again, fresh):
        assert r.status_code == 200 and "The Hydration Boost routine" in r.text
        assert r.headers["cache-control"] == "no-store"
    for r in (elsewhere, crossed, stale):
        assert r.status_code == 410
        assert (
            "Hydration Boost" not in r.text
            and "shown only in the browser that completed it, for 10 minutes after" in r.text
        )
        assert r.headers["cache-control"] == "no-store"


def _set_cookie(r: httpx.Response, cookie: str = "zp_outcome") -> dict[str, str]:
    """The attributes of the one Set-Cookie header of `r` for `cookie`, by lower-case name (the
    cookie itself as `name=`)."""
    (header,) = [h for h in r.headers.get_list("set-cookie") if h.startswith(cookie + "=")]
    (name, value), *attrs = [(*part.strip().split("=", 1), "")[:2] for part in header.split(";")]
    return {"name=": f"{name}={value}"} | {k.lower(): v for k, v in attrs}


@pytest.mark.parametrize("https", [False, True])
def test_the_outcome_pass_is_a_scoped_httponly_cookie(stack: Stack, https: bool) -> None:
    # The test server trusts X-Forwarded-Proto from 127.0.0.1, as `serve` does behind a local proxy.
    proto = {"X-Forwarded-Proto": "https" if https else "http"}
    with httpx.Client(base_url=stack.base, headers=proto) as c:
        screen2 = post(c, "/e/skin-quiz", {"skin_type": "normal"}).headers["location"]
        third = post(c, screen2, {"skin_goals": ["hydration"]})
        assert not [h for h in third.headers.get_list("set-cookie") if h.startswith("zp_outcome=")]  # not yet
        resume = _set_cookie(third, "zp_resume")  # the way back to the response in progress, meanwhile
        fourth = post(c, third.headers["location"], {"routine_length": "long"}).headers["location"]
        done = post(c, fourth, {"email": "cookie@example.com"})
    rid = screen2.split("/")[4]
    assert done.status_code == 303 and done.headers["location"] == f"/e/skin-quiz/r/{rid}/outcome"
    cookie = _set_cookie(done)
    assert cookie["name="].startswith(f"zp_outcome={rid}.")
    assert cookie["path"] == "/e/skin-quiz/" and cookie["max-age"] == "600"
    assert "httponly" in cookie and cookie["samesite"] == "lax"
    assert ("secure" in cookie) == https
    assert resume["name="].startswith(f"zp_resume={rid}.") and resume["path"] == "/e/skin-quiz"
    assert "httponly" in resume and resume["samesite"] == "lax" and ("secure" in resume) == https
    assert resume["max-age"] == str(7 * 24 * 3600)
    withdrawn = _set_cookie(done, "zp_resume")  # complete: nothing left to resume
    assert withdrawn["max-age"] == "0" and withdrawn["path"] == "/e/skin-quiz"


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
