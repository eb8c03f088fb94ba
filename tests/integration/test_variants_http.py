"""A/B variants end to end, on the real server over HTTP: `zeroparty experiences variants` (a real
process, the server's database) sets two versions; new respondents are split between them by
weight, each keeps theirs across reloads and through the screens, the response records it, and
`experiences stats` and `responses export` show it."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.support.definitions import sample_data
from tests.support.processes import cli_env
from tests.support.stack import Stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import responses
from zeroparty.domain.experience.model import Experience

TITLE = re.compile(r"<title>[^<]*· ([^<]*)</title>")
B_TITLE = "Find your skincare routine (B)"


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(data_dir, COLUMNS="80")
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args], env=env, capture_output=True, text=True, timeout=60
    )


def with_variants(stack: Stack) -> None:
    """Version 2 of the sample (another title), and variants A (version 1) and B (version 2), 50:50."""
    stack.rt.experiences.publish(Experience.model_validate(sample_data() | {"title": B_TITLE}), datetime.now(UTC))
    done = cli(stack.data_dir, "experiences", "variants", "skin-quiz", "--set", "A=1:50", "--set", "B=2:50")
    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert re.search(r"A\s.*\b1\b.*\b50\b.*50\.0%", done.stdout) and re.search(r"B\s.*\b2\b.*\b50\b", done.stdout)


def shown_title(r: httpx.Response) -> str:
    assert r.status_code == 200, r.text
    found = TITLE.search(r.text)
    assert found is not None
    return found.group(1)


def post(c: httpx.Client, path: str, data: dict[str, Any]) -> httpx.Response:
    page = c.get(path)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None, page.text
    fields = dict(re.findall(r'<input type="hidden" name="(zp_[a-z]+)" value="([^"]*)"', page.text))
    r = c.post(action.group(1).replace("&amp;", "&"), data={**fields, **data})
    assert r.status_code == 303, r.text
    return r


def complete(c: httpx.Client, email: str) -> str:
    """Answer the sample to its end in `c`'s browser; the response id."""
    second = post(c, "/e/skin-quiz", {"skin_type": "dry"}).headers["location"]
    third = post(c, second, {"skin_goals": ["hydration"]}).headers["location"]
    fourth = post(c, third, {"routine_length": "long"}).headers["location"]
    post(c, fourth, {"email": email})
    return second.split("/")[4]


def variant_of(stack: Stack, response_id: str) -> str | None:
    with stack.rt.engine.connect() as conn:
        found: str | None = conn.execute(sa.select(responses.c.variant).where(responses.c.id == response_id)).scalar()
        return found


def test_new_respondents_are_split_by_weight_and_each_keeps_their_variant(stack: Stack) -> None:
    with_variants(stack)
    seen: dict[str, int] = {}
    for _ in range(24):
        with httpx.Client(base_url=stack.base) as c:
            first = shown_title(c.get("/e/skin-quiz"))
            assert [shown_title(c.get("/e/skin-quiz")) for _ in range(2)] == [first, first]  # sticky on reload
            seen[first] = seen.get(first, 0) + 1
    # Both served (all 24 alike at 50:50 would happen about once in eight million runs).
    assert set(seen) == {"Find your skincare routine", B_TITLE}

    by_variant: dict[str, list[str]] = {"A": [], "B": []}
    while min(len(v) for v in by_variant.values()) < 1 or sum(len(v) for v in by_variant.values()) < 3:
        with httpx.Client(base_url=stack.base) as c:
            title = shown_title(c.get("/e/skin-quiz"))
            rid = complete(c, f"v{sum(len(v) for v in by_variant.values())}@example.com")
            name = "B" if title == B_TITLE else "A"
            assert variant_of(stack, rid) == name  # the response keeps the variant its first screen showed
            by_variant[name].append(rid)

    count = {name: len(rids) for name, rids in by_variant.items()}
    found = wait_for(
        lambda: json.loads(cli(stack.data_dir, "experiences", "stats", "skin-quiz", "--json").stdout),
        lambda s: s["completions"] == sum(count.values()),
        timeout=20,
    )
    assert {name: f["completions"] for name, f in found["variants"].items()} == count
    assert {name: f["starts"] for name, f in found["variants"].items()} == count
    assert sum(f["loads"] for f in found["variants"].values()) == found["loads"]

    table = cli(stack.data_dir, "experiences", "stats", "skin-quiz")
    assert "Variant 'A'" in table.stdout and "Variant 'B'" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80

    only_b = cli(stack.data_dir, "experiences", "stats", "skin-quiz", "--variant", "B", "--json")
    assert only_b.returncode == 0, only_b.stderr
    assert json.loads(only_b.stdout)["completions"] == count["B"] and "variants" not in json.loads(only_b.stdout)

    exported = cli(stack.data_dir, "responses", "export", "skin-quiz")
    rows = {row["response_id"]: row["variant"] for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert rows == {rid: name for name, rids in by_variant.items() for rid in rids}


def test_the_api_draws_a_variant_or_records_the_one_it_names(stack: Stack) -> None:
    with_variants(stack)
    body = {
        "answers": {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "long"},
        "inputs": {"email": "api@example.com"},
    }
    named = httpx.post(f"{stack.base}/api/v1/experiences/skin-quiz/responses", json=body | {"variant": "B"})
    assert named.status_code == 201, named.text
    assert named.json()["variant"] == "B" and variant_of(stack, named.json()["id"]) == "B"
    drawn = httpx.post(f"{stack.base}/api/v1/experiences/skin-quiz/responses", json=body)
    assert drawn.status_code == 201 and drawn.json()["variant"] in ("A", "B")
    before = stack.row_counts()
    unknown = httpx.post(f"{stack.base}/api/v1/experiences/skin-quiz/responses", json=body | {"variant": "Z"})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["variant"] and "A, B" in unknown.text
    assert stack.row_counts() == before


def test_bad_variants_are_refused_naming_each_and_nothing_changes(stack: Stack) -> None:
    with_variants(stack)
    one = cli(stack.data_dir, "experiences", "variants", "skin-quiz", "--set", "A=1:50", "--set", "B=9:101")
    assert one.returncode == 1 and "--set: weight '101' of B must be a whole number from 1 to 100" in one.stderr
    two = cli(stack.data_dir, "experiences", "variants", "skin-quiz", "--set", "A=1:50", "--set", "B=9:50")
    assert two.returncode == 1 and "B: 'skin-quiz' has no published version 9" in two.stderr
    shown = cli(stack.data_dir, "experiences", "variants", "skin-quiz", "--json")
    assert json.loads(shown.stdout)["variants"] == [
        {"name": "A", "version": 1, "weight": 50, "share": 0.5},
        {"name": "B", "version": 2, "weight": 50, "share": 0.5},
    ]
    newer = stack.data_dir / "v3.json"
    newer.write_text(json.dumps(sample_data() | {"title": "Version three"}))
    imported = cli(stack.data_dir, "experiences", "import", str(newer))
    assert imported.returncode == 0, imported.stderr
    assert "is served as its variants A (version 1), B (version 2): version 3 reaches respondents" in " ".join(
        imported.stdout.split()
    )
    with httpx.Client(base_url=stack.base) as c:
        assert shown_title(c.get("/e/skin-quiz")) != "Version three"  # the variants decide, not the latest
    cleared = cli(stack.data_dir, "experiences", "variants", "skin-quiz", "--clear")
    assert cleared.returncode == 0 and "serves its latest version" in cleared.stdout
    with httpx.Client(base_url=stack.base) as c:
        assert shown_title(c.get("/e/skin-quiz")) == "Version three"  # the latest again
