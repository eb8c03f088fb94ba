"""Moving a destination to another endpoint (`destinations set NAME endpoint=…`, or a destination
file): the stored key is checked there first, a bad value names `endpoint` and changes nothing, and
a destination paused because its endpoint was wrong resumes on a working one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.integration.test_cli import run
from tests.integration.test_cli_destinations import FULL, db, errors
from tests.support.server import serve
from zeroparty.adapters.db.engine import create_engine
from zeroparty.sandbox import SandboxConfig, create_sandbox_app

WRONG_ENDPOINT = "Braze answered HTTP 404: check the destination's REST endpoint (instance); then resume"


@contextmanager
def braze(folder: Path, key: str = FULL) -> Iterator[str]:
    """A Braze sandbox accepting `key`, on a real port: its base URL."""
    folder.mkdir()
    engine = create_engine(f"sqlite:///{folder / 'braze-sandbox.db'}")
    try:
        with serve(create_sandbox_app(engine, SandboxConfig.single_key(key))) as base:
            yield base
    finally:
        engine.dispose()


def stored(data_dir: Path) -> dict[str, Any]:
    [dest] = json.loads(run(data_dir, "destinations", "list", "--json").stdout)
    assert isinstance(dest, dict)
    return dest


def pause(data_dir: Path, reason: str) -> None:
    with db(data_dir) as conn:  # what the engine records when Braze answers 404 (or 401)
        conn.execute("UPDATE destinations SET paused_reason = ?", (reason,))


def test_set_moves_the_endpoint_once_the_key_works_there_and_resumes_a_wrong_endpoint_pause(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with (
        braze(tmp_path / "a") as first,
        braze(tmp_path / "b") as second,
        braze(tmp_path / "c", "other-key-0123") as other,
    ):
        assert run(data, "destinations", "add-braze", "prod", "--endpoint", first, key=FULL).returncode == 0
        pause(data, WRONG_ENDPOINT)
        refused = run(data, "destinations", "set", "prod", f"endpoint={other}", "max_objects=50")
        assert refused.returncode == 1
        assert errors(refused).startswith("error: API key: the key was refused")
        assert errors(refused).rstrip().endswith("nothing was saved (--no-verify saves a key without this check)")
        before = stored(data)
        assert (before["endpoint"], before["paused_reason"], before["settings"]["max_objects"]) == (
            first,
            WRONG_ENDPOINT,
            75,
        )
        moved = run(data, "destinations", "set", "prod", f"endpoint={second}")
        assert moved.returncode == 0, moved.stderr
        lines = moved.stdout.splitlines()
        assert lines[0].startswith("Key checked with Braze: the key is valid")
        assert lines[1:] == [
            f"Updated 'prod' → {second}: defaults",
            f"Resumed 'prod' (it was paused: {WRONG_ENDPOINT})",
        ]
    after = stored(data)
    assert (after["endpoint"], after["paused"]) == (second, False)


def test_a_bad_endpoint_names_endpoint_and_changes_nothing(tmp_path: Path) -> None:
    added = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", "US-03", "--no-verify", key=FULL)
    assert added.returncode == 0, added.stderr
    for assignment, problem in [
        ("endpoint=nowhere", "error: endpoint: 'nowhere' is neither a Braze instance (US-01, "),
        ("endpoint=", "error: endpoint: cannot be reset: give a Braze instance (US-03) or REST endpoint URL"),
        ("endpoint=http://rest.iad-01.braze.com", "error: endpoint: a Braze REST endpoint must use https"),
        ("endpoint.url=US-01", "error: endpoint.url: the endpoint takes one value: endpoint=US-03 or endpoint=URL"),
    ]:
        done = run(tmp_path, "destinations", "set", "prod", assignment, "max_objects=50", "--no-verify")
        assert done.returncode == 1, assignment
        assert errors(done).startswith(problem), errors(done)
    both = run(tmp_path, "destinations", "set", "prod", "endpoint=nowhere", "max_objects=0")
    assert [line.split(":")[1].strip() for line in errors(both).splitlines()] == ["endpoint", "max_objects"]
    unchanged = stored(tmp_path)
    assert (unchanged["endpoint"], unchanged["settings"]["max_objects"]) == ("https://rest.iad-03.braze.com", 75)


def test_an_instance_name_is_resolved_and_only_a_wrong_endpoint_pause_is_lifted(tmp_path: Path) -> None:
    assert (
        run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", "US-03", "--no-verify", key=FULL).returncode
        == 0
    )
    pause(tmp_path, "Braze refused the API key (HTTP 401); update the key")
    moved = run(tmp_path, "destinations", "set", "prod", "endpoint=eu-01", "--no-verify")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.splitlines() == [
        "Key not checked (--no-verify).",
        "Updated 'prod' → https://rest.fra-01.braze.eu: defaults",
    ]
    assert stored(tmp_path)["paused_reason"] == "Braze refused the API key (HTTP 401); update the key"
    same = run(tmp_path, "destinations", "set", "prod", "endpoint=https://rest.fra-01.braze.eu")
    assert same.stdout.strip() == "'prod' is unchanged: defaults"  # no move, so no key check either


def test_apply_moving_the_endpoint_resumes_a_wrong_endpoint_pause(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with braze(tmp_path / "a") as first, braze(tmp_path / "b") as second:
        file = tmp_path / "prod.yaml"
        file.write_text(f"name: prod\nendpoint: {first}\n")
        assert run(data, "destinations", "apply", str(file), key=FULL).returncode == 0
        pause(data, WRONG_ENDPOINT)
        file.write_text(f"name: prod\nendpoint: {second}\n")
        moved = run(data, "destinations", "apply", str(file))
        assert moved.returncode == 0, moved.stderr
        assert moved.stdout.splitlines()[1:] == [
            f"Updated 'prod' → {second}: defaults",
            f"Resumed 'prod' (it was paused: {WRONG_ENDPOINT})",
        ]
    assert stored(data)["paused"] is False
