"""Every listing reads at 80 columns, at 120 and through a pipe, on data with long names, long reasons
and several rows: no line is wider than the console, every id and name a user copies appears whole,
and `--json` holds the same records."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_data import Seeded, seed
from tests.support.processes import cli_env
from zeroparty.cli.records import Field, block_lines, table_width
from zeroparty.config import Settings

# What may carry "…" without cutting anything: a masked key ("…cdef") and "ID…" in the replay hint.
ALLOWED_ELLIPSIS = re.compile(r"…[A-Za-z0-9_-]{4}\b|ID…")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    folder = tmp_path_factory.mktemp("data")
    return folder, seed(Settings(data_dir=folder))


def zeroparty(data_dir: Path, *args: str, columns: str | None) -> str:
    """The command's stdout; with `columns` None, through a pipe with no COLUMNS at all."""
    env = cli_env(data_dir)
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = columns
    command = [sys.executable, "-m", "zeroparty", *args]
    if columns is None:
        piped = " ".join(f"'{part}'" for part in command) + " | cat"
        done = subprocess.run(["sh", "-c", piped], env=env, capture_output=True, text=True, timeout=60)
    else:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def names(s: Seeded) -> dict[str, list[str]]:
    """Per listing, what it must show whole."""
    return {
        "experiences list": s.slugs,
        "destinations list": s.destinations + s.endpoints,
        "deliveries": s.destinations,
        "deliveries dead": s.dead_ids + sorted(s.dead_users),
        "tokens list": s.tokens,
    }


def json_names(listing: str, value: Any) -> set[str]:
    pick: dict[str, Callable[[Any], set[str]]] = {
        "experiences list": lambda v: {e["slug"] for e in v},
        "destinations list": lambda v: {d["name"] for d in v} | {d["endpoint"] for d in v},
        "deliveries": lambda v: {d["destination"] for d in v["destinations"]},
        "deliveries dead": lambda v: {d["id"] for d in v} | {d["user"] for d in v},
        "tokens list": lambda v: {t["name"] for t in v},
    }
    return pick[listing](value)


LISTINGS = ["experiences list", "destinations list", "deliveries", "deliveries dead", "tokens list"]


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize(("columns", "limit"), [("80", 80), ("120", 120), (None, 80)], ids=["80", "120", "pipe"])
def test_a_listing_reads_at_its_width_with_every_name_whole(
    data: tuple[Path, Seeded], listing: str, columns: str | None, limit: int
) -> None:
    data_dir, seeded = data
    text = zeroparty(data_dir, *listing.split(), columns=columns)
    too_wide = [line for line in text.splitlines() if len(line) > limit]
    assert too_wide == [], text
    for name in names(seeded)[listing]:
        assert name in text, f"{name} is not shown whole:\n{text}"
    assert ALLOWED_ELLIPSIS.sub("", text).count("…") == 0, text


@pytest.mark.parametrize("listing", LISTINGS)
def test_json_holds_the_same_records(data: tuple[Path, Seeded], listing: str) -> None:
    data_dir, seeded = data
    value = json.loads(zeroparty(data_dir, *listing.split(), "--json", columns="80"))
    assert json_names(listing, value) == set(names(seeded)[listing])


def test_dead_items_json_carries_the_reason_and_the_listing_wraps_it_at_whole_words(data: tuple[Path, Seeded]) -> None:
    data_dir, seeded = data
    items = json.loads(zeroparty(data_dir, "deliveries", "dead", "--json", columns="80"))
    assert len(items) == len(seeded.dead_ids) and all(i["reason"].startswith("Braze rejected") for i in items)
    text = zeroparty(data_dir, "deliveries", "dead", columns="80")
    reason_words = " ".join(items[0]["reason"].split())
    shown = " ".join(line.strip() for line in text.split("\n\n")[0].splitlines()[5:]).removeprefix("reason").strip()
    assert shown == reason_words


# -- the layout rules, without a process ------------------------------------------------------------

FIELDS = (Field("name", whole=True), Field("endpoint", whole=True), Field("status"))


def test_a_table_is_chosen_only_when_every_whole_value_fits() -> None:
    short = [("prod", "https://rest.iad-03.braze.com", "active")]
    assert table_width(FIELDS, short) <= 80
    long_name = [("x" * 60, "https://rest.iad-03.braze.com", "active")]
    assert table_width(FIELDS, long_name) > 80


def test_a_block_wraps_text_at_whole_words_and_keeps_long_values_whole() -> None:
    url = "https://" + "a" * 90 + ".example"
    lines = block_lines(FIELDS, ("prod", url, "paused: " + "word " * 30), 60)
    assert lines[0] == "prod"
    assert lines[1] == f"  endpoint  {url}"  # longer than the line, but never cut
    status = lines[2:]
    assert all(len(line) <= 60 for line in status)
    assert " ".join(" ".join(line.split()) for line in status) == "status paused: " + " ".join(["word"] * 30)
