"""Resume and idempotent completion, on the real server over HTTP (SQLite): a respondent who comes
back to /e/{slug} continues where they left off; a bad pass is a fresh start, never an error; a
last screen submitted several times at once completes the response once, and every one of those
requests sees the outcome."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from tests.support.stack import Stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import analytics_events, outbox
from zeroparty.adapters.http.respondent_pass import RESUME_COOKIE, RespondentPasses
from zeroparty.domain.experience.model import Experience


def post(c: httpx.Client, path: str, data: dict[str, str | list[str]]) -> httpx.Response:
    r = c.post(path, data=data)
    assert r.status_code == 303, r.text
    return r


def started(c: httpx.Client) -> tuple[str, str]:
    """Two screens answered in `c`'s browser; (the response id, the third screen's path)."""
    second = post(c, "/e/skin-quiz", {"skin_type": "oily"}).headers["location"]
    third = post(c, second, {"skin_goals": ["breakouts"]}).headers["location"]
    return second.split("/")[4], third


def test_coming_back_continues_where_the_respondent_left_off(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        rid, third = started(c)
        back = c.get("/e/skin-quiz")
        assert back.status_code == 303 and back.headers["location"] == third == f"/e/skin-quiz/r/{rid}/s/routine"
        assert back.headers["cache-control"] == "no-store"
        shown = c.get(third)
        assert 'href="/e/skin-quiz?restart=1">Start over</a>' in shown.text
        assert f'href="/e/skin-quiz/r/{rid}/s/goals">Back</a>' in shown.text  # history's back resumes: this goes back
        goals = c.get(f"/e/skin-quiz/r/{rid}/s/goals")  # earlier answers are filled in
        assert 'value="breakouts" checked' in goals.text

        fresh = c.get("/e/skin-quiz?restart=1")
        assert fresh.status_code == 200 and "How does your skin feel by midday?" in fresh.text
        assert any(
            h.startswith(f"{RESUME_COOKIE}=;") or f'{RESUME_COOKIE}="";' in h
            for h in fresh.headers.get_list("set-cookie")
        )
        assert c.get("/e/skin-quiz").status_code == 200  # the pass is gone: a new start
        other, _third = started(c)
        assert other != rid


def test_completing_ends_resuming(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        _rid, third = started(c)
        fourth = post(c, third, {"routine_length": "short"}).headers["location"]
        post(c, fourth, {"email": "resume@example.com"})
        assert c.get("/e/skin-quiz").status_code == 200


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "00000000-0000-4000-8000-000000000000.99999999999.AAAA",
        "x" * 4000,
        "\u00e9t\u00e9.1.2",
    ],
)
def test_a_bad_pass_is_a_fresh_start(stack: Stack, cookie: str) -> None:
    r = httpx.get(f"{stack.base}/e/skin-quiz", headers={b"cookie": f"{RESUME_COOKIE}={cookie}".encode()})
    assert r.status_code == 200 and "How does your skin feel by midday?" in r.text


def test_a_genuine_pass_for_a_response_that_cannot_continue_is_a_fresh_start(stack: Stack) -> None:
    passes = RespondentPasses.made(stack.rt.session_secret, 3600)
    with httpx.Client(base_url=stack.base) as c:
        rid, third = started(c)
    for slug, response_id in (("skin-quiz", "00000000-0000-4000-8000-000000000000"), ("other-quiz", rid)):
        value = passes.resume.issue(slug, response_id)  # unknown response; another experience's pass
        r = httpx.get(f"{stack.base}/e/skin-quiz", cookies={RESUME_COOKIE: value})
        assert r.status_code == 200, r.text
    stale = RespondentPasses.made(stack.rt.session_secret, 3600, clock=lambda: time.time() - 3600)
    r = httpx.get(f"{stack.base}/e/skin-quiz", cookies={RESUME_COOKIE: stale.resume.issue("skin-quiz", rid)})
    assert r.status_code == 200
    r = httpx.get(f"{stack.base}/e/skin-quiz", cookies={RESUME_COOKIE: passes.resume.issue("skin-quiz", rid)})
    assert r.status_code == 303 and r.headers["location"] == third  # the same pass, current: resumes


def test_a_last_screen_submitted_at_once_several_times_completes_once(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        rid, third = started(c)
        fourth = post(c, third, {"routine_length": "long"}).headers["location"]
        cookies = dict(c.cookies)
    # A tab, a double click, a retry: the same browser (its cookies), the same form.
    answers = at_once(4, lambda: httpx.post(stack.base + fourth, data={"email": "twice@example.com"}, cookies=cookies))
    outcome = f"/e/skin-quiz/r/{rid}/outcome"
    assert [(r.status_code, r.headers["location"]) for r in answers] == [(303, outcome)] * 4
    with httpx.Client(base_url=stack.base, cookies=dict(answers[0].cookies)) as tab:
        assert tab.get(outcome).status_code == 200  # each of them got the outcome's pass

    def completions() -> int:
        with stack.rt.engine.connect() as conn:
            query = sa.select(sa.func.count()).where(
                analytics_events.c.response_id == rid, analytics_events.c.kind == "complete"
            )
            return int(conn.execute(query).scalar_one())

    wait_for(completions, lambda n: n >= 1, timeout=10)
    time.sleep(0.2)  # a second event, were there one, would be flushed by now (every 50 ms here)
    assert completions() == 1
    with stack.rt.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).where(outbox.c.response_id == rid)).scalar_one()
    assert rows == 1  # one destination, one entry: the completion was queued once


ONE_STEP = {
    "slug": "one-step",
    "title": "One step",
    "screens": [
        {"id": "only", "title": "Your email", "elements": [{"id": "email", "type": "email", "label": "Email"}]}
    ],
    "outcomes": [{"id": "thanks", "title": "Thanks"}],
}


def at_once(n: int, send: Callable[[], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(n)
    answers: list[httpx.Response] = []

    def one() -> None:
        barrier.wait()
        answers.append(send())

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers


@pytest.mark.parametrize("slug", ["skin-quiz", "one-step"])
def test_a_first_screen_submitted_at_once_several_times_is_one_response(stack: Stack, slug: str) -> None:
    stack.rt.experiences.publish(Experience.model_validate(ONE_STEP), datetime.now(UTC))
    page = httpx.get(f"{stack.base}/e/{slug}")
    form = dict(re.findall(r'<input type="hidden" name="(zp_[a-z]+)" value="([^"]*)"', page.text))
    assert {"zp_shown", "zp_start"} <= set(form)
    answer = {"skin_type": "dry"} if slug == "skin-quiz" else {"email": "once@example.com"}
    before = stack.row_counts()["responses"]
    answers = at_once(3, lambda: httpx.post(f"{stack.base}/e/{slug}", data={**form, **answer}))
    assert {r.status_code for r in answers} == {303}
    assert len({r.headers["location"] for r in answers}) == 1  # the same response, the same next page
    assert stack.row_counts()["responses"] == before + 1
    if slug == "one-step":  # complete at once: each of them is sent to the outcome, and may see it
        assert answers[0].headers["location"].endswith("/outcome")
        assert all(httpx.get(stack.base + r.headers["location"], cookies=r.cookies).status_code == 200 for r in answers)


def test_starting_over_keeps_the_links_hidden_values(stack: Stack) -> None:
    data = {**ONE_STEP, "slug": "two-step", "hidden_fields": [{"key": "utm_source"}]}
    data["screens"] = [
        {"id": "first", "title": "Hello", "elements": [{"id": "name", "type": "text", "label": "Name"}]},
        *ONE_STEP["screens"],
    ]
    stack.rt.experiences.publish(Experience.model_validate(data), datetime.now(UTC))
    with httpx.Client(base_url=stack.base) as c:
        action = re.search(r'action="([^"]+)"', c.get("/e/two-step?utm_source=news").text)
        assert action is not None
        second = post(c, action.group(1).replace("&amp;", "&"), {"name": "Ada"}).headers["location"]
        assert 'href="/e/two-step?restart=1&amp;utm_source=news">Start over</a>' in c.get(second).text
