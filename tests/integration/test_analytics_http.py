"""Analytics end to end: a respondent answers the sample in the hosted pages over real HTTP and
follows the outcome's call to action; another looks and leaves; then `zeroparty experiences stats
--json` and `zeroparty responses export` (real processes, the server's database) show it all."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.support.definitions import sample
from tests.support.processes import cli_env
from tests.support.server import serve
from tests.support.stack import Stack, settings_for
from tests.support.waiting import wait_for
from zeroparty.bootstrap import analytics_service, build_web_app, open_runtime

SHOWN = re.compile(r'name="zp_shown" value="(\d+)"')


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(data_dir, COLUMNS="80")
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args], env=env, capture_output=True, text=True, timeout=60
    )


def stats(data_dir: Path) -> dict[str, Any]:
    done = cli(data_dir, "experiences", "stats", "skin-quiz", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert isinstance(found, dict)
    return found


def answer(c: httpx.Client, path: str, data: dict[str, Any]) -> str:
    """Submit the screen shown at `path` (with the render time it carries); the next location."""
    page = c.get(path)
    assert page.status_code == 200, page.text
    shown = SHOWN.search(page.text)
    assert shown is not None
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    r = c.post(action.group(1).replace("&amp;", "&"), data={**data, "zp_shown": shown.group(1)})
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_the_hosted_pages_feed_the_funnel_and_the_export(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        second = answer(c, "/e/skin-quiz", {"skin_type": "dry"})
        third = answer(c, second, {"skin_goals": ["hydration"]})
        fourth = answer(c, third, {"routine_length": "long"})
        outcome = answer(c, fourth, {"email": "funnel@example.com", "first_name": "=1+2", "marketing_opt_in": "yes"})
        assert c.get(outcome).status_code == 200
        go = c.get(outcome.replace("/outcome", "/go"))
        assert go.status_code == 303 and go.headers["location"] == "https://example.com/routines/hydration"
    with httpx.Client(base_url=stack.base, follow_redirects=False) as stranger:
        assert stranger.get("/e/skin-quiz").status_code == 200  # looks and leaves
        assert stranger.head("/e/skin-quiz").status_code == 200  # a link checker: shows nobody anything
        assert stranger.get(outcome.replace("/outcome", "/go")).status_code == 410  # not their outcome

    found = wait_for(lambda: stats(stack.data_dir), lambda s: s["completions"] == 1 and s["loads"] == 2, timeout=20)
    assert (found["loads"], found["starts"], found["completions"]) == (2, 1, 1)  # the HEAD is not a load
    assert (found["emails_captured"], found["opted_in"], found["cta_clicks"]) == (1, 1, 1)
    screens = {s["id"]: s for s in found["screens"]}
    assert [s["id"] for s in found["screens"]] == ["skin", "goals", "routine", "contact"]
    assert (screens["skin"]["views"], screens["skin"]["submits"], screens["skin"]["drop_off"]) == (2, 1, 1)
    assert all(s["median_ms"] is not None and s["median_ms"] >= 0 for s in found["screens"])
    assert found["outcomes"] == {"hydration_boost": 1, "clear_skin": 0, "everyday_glow": 0}

    table = cli(stack.data_dir, "experiences", "stats", "skin-quiz")
    assert table.returncode == 0, table.stderr
    assert "hydration_boost" in table.stdout and "emails captured" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80

    exported = cli(stack.data_dir, "responses", "export", "skin-quiz", "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(rows) == 1
    assert rows[0]["email"] == "funnel@example.com" and rows[0]["first_name"] == "'=1+2"
    assert rows[0]["outcome"] == "hydration_boost" and rows[0]["skin_goals"] == "hydration"

    out = stack.data_dir / "responses.jsonl"
    written = cli(stack.data_dir, "responses", "export", "skin-quiz", "--format", "jsonl", "--output", str(out))
    assert written.returncode == 0, written.stderr
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["skin_goals"] == ["hydration"]


def test_bad_options_exit_1_naming_the_option(stack: Stack) -> None:
    for args, named in [
        (("experiences", "stats", "skin-quiz", "--since", "last week"), "--since"),
        (("experiences", "stats", "skin-quiz", "--until", "2026-02-30"), "--until"),
        (("responses", "export", "skin-quiz", "--format", "xlsx"), "--format"),
        (("experiences", "stats", "no-such-quiz"), "slug"),
        (("responses", "export", "no-such-quiz"), "slug"),
    ]:
        done = cli(stack.data_dir, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert named in done.stderr, (args, done.stderr)


def test_the_call_to_action_link_goes_only_to_a_completed_responses_own_outcome(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        second = answer(c, "/e/skin-quiz", {"skin_type": "dry"})
        response_path = second.split("/s/")[0]
        assert c.get(response_path + "/go").status_code == 404  # not complete: no outcome, no link
        assert c.get("/e/skin-quiz/r/not-a-uuid/go").status_code == 404
        assert c.get(response_path + "/go?to=https://evil.example").status_code == 404


def test_events_still_buffered_are_written_when_the_server_stops(tmp_path: Path) -> None:
    settings = replace(settings_for(tmp_path), events_flush_seconds=60)  # no timed flush during the test
    rt = open_runtime(settings)
    rt.experiences.publish(sample(), datetime.now(UTC))
    service = analytics_service(rt.engine, rt.workspace.id)
    with serve(build_web_app(rt, worker=False, sandbox=None)) as base:
        assert httpx.get(base + "/e/skin-quiz").status_code == 200
        assert service.stats("skin-quiz").overall.loads == 0  # held in the buffer
    assert service.stats("skin-quiz").overall.loads == 1  # written on the way out
    rt.engine.dispose()
