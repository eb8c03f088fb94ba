"""`zeroparty destinations …` operator commands, run as a real process against a real Braze sandbox
over HTTP: the key check on add and update, settings by command and by file, removal."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.integration.test_cli import run
from tests.support.definitions import sample_data
from tests.support.processes import cli_env, closed_port, server_process
from tests.support.server import serve
from zeroparty.adapters.db.engine import create_engine, sqlite_dbapi
from zeroparty.sandbox import SandboxConfig, create_sandbox_app
from zeroparty.sandbox.config import ALL_PERMISSIONS

FULL = "full-key-0123456789abcdef"
TRACK_ONLY = "track-only-key-0123456789"  # may write, not export or delete
NO_TRACK = "no-track-key-0123456789ab"  # may do everything but /users/track
NO_IDENTIFY = "zq9-no-idn-0123456789abcd"  # may do everything but /users/identify
KEYS = {
    FULL: ALL_PERMISSIONS,
    TRACK_ONLY: frozenset({"users.track"}),
    NO_TRACK: ALL_PERMISSIONS - {"users.track"},
    NO_IDENTIFY: ALL_PERMISSIONS - {"users.identify"},
}
UUID = "6f1c1e5a-7b9e-4a3c-9d2e-1f0a2b3c4d5e"


@contextmanager
def sandbox(tmp_path: Path, **config: object) -> Iterator[str]:
    """A Braze sandbox with keys of limited permissions, on a real port: its base URL."""
    engine = create_engine(f"sqlite:///{tmp_path / 'braze-sandbox.db'}")
    try:
        with serve(create_sandbox_app(engine, SandboxConfig(api_keys=KEYS, **config))) as base:  # type: ignore[arg-type]
            yield base
    finally:
        engine.dispose()


@pytest.fixture
def braze(tmp_path: Path) -> Iterator[str]:
    with sandbox(tmp_path) as base:
        yield base


def db(data_dir: Path) -> sqlite3.Connection:
    # The SQLite library zeroparty uses: two libraries in one process lose each other's locks.
    connection: sqlite3.Connection = sqlite_dbapi().connect(str(data_dir / "zeroparty.db"))
    return connection


def errors(done: subprocess.CompletedProcess[str]) -> str:
    """stderr without the note a first command prints about the database it creates."""
    return "".join(line for line in done.stderr.splitlines(keepends=True) if not line.startswith("note: "))


def listing(data_dir: Path) -> str:
    """`destinations list` on a terminal wide enough that no cell wraps."""
    env = cli_env(data_dir, COLUMNS="1000")
    cmd = [sys.executable, "-m", "zeroparty", "destinations", "list"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def stored_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.glob("zeroparty.db*"))


# -- add-braze verifies the key --------------------------------------------------------------------


def test_a_good_key_is_checked_and_saved(tmp_path: Path, braze: str) -> None:
    done = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "Key checked with Braze: the key is valid and has users.track, users.delete and users.export.ids ("
    )
    assert f"Added Braze destination 'prod' → {braze}" in done.stdout
    assert FULL not in done.stdout + done.stderr and FULL.encode() not in stored_bytes(tmp_path)


def test_a_bad_key_is_refused_and_nothing_is_saved(tmp_path: Path, braze: str) -> None:
    done = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key="wrong-key-0123456789")
    assert done.returncode == 1
    assert errors(done).startswith(
        "error: API key: the key was refused (HTTP 401 'Invalid API Key'): it is wrong, revoked or deleted ("
    )
    assert "nothing was saved (--no-verify saves a key without this check)" in done.stderr
    assert "prod" not in run(tmp_path, "destinations", "list").stdout


def test_a_key_without_users_track_is_refused(tmp_path: Path, braze: str) -> None:
    done = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=NO_TRACK)
    assert done.returncode == 1
    assert errors(done).startswith(
        "error: API key: the key is valid but lacks the users.track permission (HTTP 403 'Access Denied'); "
        "create a key with users.track under Settings > APIs and Identifiers > API Keys"
    )


def test_no_verify_saves_without_calling_braze(tmp_path: Path) -> None:
    with closed_port() as port:
        closed = f"http://127.0.0.1:{port}"
        checked = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", closed, key=FULL)
    assert checked.returncode == 1 and "API key: no answer: could not reach" in checked.stderr
    done = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", closed, "--no-verify", key=FULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Key not checked (--no-verify).")


# A Braze instance host resolved to the sandbox, the way DNS would: the request keeps its Host header.
REDIRECT = """
import sys, httpx
port = int(sys.argv[1])
original = httpx.AsyncHTTPTransport.handle_async_request
async def handle(self, request):
    host = request.url.host
    if host.endswith((".braze.com", ".braze.eu")):
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)
        request.headers["Host"] = host
    return await original(self, request)
httpx.AsyncHTTPTransport.handle_async_request = handle
sys.argv = ["zeroparty", *sys.argv[2:]]
from zeroparty.cli import main
main()
"""


def test_a_key_from_another_instance_is_named_as_such(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "sandbox", COLUMNS="200")
    args = ["sandbox", "--api-key", FULL, "--instance", "US-03"]
    with server_process(args, env, tmp_path / "sandbox.log") as base:
        port = base.rsplit(":", 1)[1]

        def add(endpoint: str) -> subprocess.CompletedProcess[str]:
            cmd = [
                sys.executable,
                "-c",
                REDIRECT,
                port,
                "destinations",
                "add-braze",
                endpoint,
                "--endpoint",
                endpoint,
            ]
            env_cli = env | {"ZEROPARTY_DATA_DIR": str(tmp_path), "ZEROPARTY_BRAZE_API_KEY": FULL}
            return subprocess.run(cmd, env=env_cli, capture_output=True, text=True, timeout=60)

        wrong = add("US-01")
        assert wrong.returncode == 1
        assert errors(wrong).startswith(
            "error: API key: the key was refused by US-01 (https://rest.iad-01.braze.com, HTTP 401 'Invalid API Key'): "
            "it is wrong or revoked, or it belongs to another instance: a key works only on its own instance, the one "
            "shown next to it under Settings > APIs and Identifiers > API Keys (the instances are US-01, US-02, US-03,"
        )
        right = add("US-03")
        assert right.returncode == 0, right.stderr
        assert "Added Braze destination 'US-03' → https://rest.iad-03.braze.com" in right.stdout


# -- update-key ----------------------------------------------------------------------------------------


def test_update_key_checks_the_new_key_then_resumes(tmp_path: Path, braze: str) -> None:
    added = run(
        tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, "--no-verify", key="old-key-0123456789"
    )
    assert added.returncode == 0, added.stderr
    with db(tmp_path) as conn:  # what the engine does when Braze refuses the key
        conn.execute("UPDATE destinations SET paused_reason = 'Braze refused the API key (401)'")
    bad = run(tmp_path, "destinations", "update-key", "prod", key=NO_TRACK)
    assert bad.returncode == 1 and "lacks the users.track permission" in bad.stderr
    assert "paused: Braze refused the API key (401)" in run(tmp_path, "destinations", "list").stdout
    good = run(tmp_path, "destinations", "update-key", "prod", key=FULL)
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines()[1:] == [
        "Replaced the key of 'prod'.",
        "Resumed 'prod' (it was paused: Braze refused the API key (401))",
    ]
    listed = run(tmp_path, "destinations", "list").stdout
    assert "active" in listed and "…cdef" in listed and FULL.encode() not in stored_bytes(tmp_path)
    missing = run(tmp_path, "destinations", "update-key", "nope", key=FULL)
    assert missing.returncode == 1 and "name: no destination named 'nope'" in missing.stderr


def test_update_key_takes_the_key_from_the_hidden_prompt(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    done = run(tmp_path, "destinations", "update-key", "prod", "--no-verify", stdin="prompted-key-123456\n")
    assert done.returncode == 0, done.stderr
    assert "prompted-key-123456" not in done.stdout and "…3456" in run(tmp_path, "destinations", "list").stdout


# -- set and apply ---------------------------------------------------------------------------------------


def test_set_changes_settings_and_list_summarises_them(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    assert "defaults" in run(tmp_path, "destinations", "list").stdout
    done = run(
        tmp_path, "destinations", "set", "prod", "max_objects=50", "renames.skin_type=skin", "exclude+=first_name",
        f"subscription_groups.marketing_opt_in={UUID}", "completion_event=quiz_completed",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = (
        f"max_objects=50; renames skin_type→skin; exclude first_name; groups marketing_opt_in→email:{UUID}; "
        "completion_event=quiz_completed"
    )
    assert done.stdout.strip() == f"Updated 'prod': {line}"
    assert line in listing(tmp_path)
    again = run(tmp_path, "destinations", "set", "prod", "exclude-=first_name", "max_objects=")
    assert "exclude" not in again.stdout and "max_objects" not in again.stdout
    same = run(tmp_path, "destinations", "set", "prod", "max_objects=75")
    assert same.stdout.startswith("'prod' is unchanged")


def test_set_names_each_bad_key_and_saves_nothing(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    bad = run(tmp_path, "destinations", "set", "prod", "max_objects=50", "max_in_flight=0", "renames.skin_type=$x")
    assert bad.returncode == 1
    assert errors(bad).splitlines() == [
        "error: max_in_flight: must be greater than or equal to 1",
        "error: renames.skin_type: attribute name must not start with '$' (Braze operator prefix)",
    ]
    assert "defaults" in run(tmp_path, "destinations", "list").stdout  # max_objects=50 was not saved either
    unknown = run(tmp_path, "destinations", "set", "prod", "colour=red")
    assert unknown.returncode == 1 and errors(unknown).startswith("error: colour: unknown setting 'colour'")
    conflict = run(tmp_path, "destinations", "set", "prod", "renames.first_name=fn", "exclude+=first_name")
    assert errors(conflict).strip() == "error: exclude: 'first_name' is both renamed and excluded"
    missing = run(tmp_path, "destinations", "set", "nope", "max_objects=50")
    assert missing.returncode == 1 and "name: no destination named 'nope'" in missing.stderr


def test_apply_creates_then_updates_from_a_file(tmp_path: Path, braze: str) -> None:
    file = tmp_path / "prod.yaml"
    file.write_text(f"name: prod\nendpoint: {braze}\nsettings:\n  max_objects: 50\n  renames: {{skin_type: skin}}\n")
    created = run(tmp_path, "destinations", "apply", str(file), key=FULL)
    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines()[-1] == f"Created 'prod' → {braze}: max_objects=50; renames skin_type→skin"
    assert run(tmp_path, "destinations", "apply", str(file)).stdout.strip() == "'prod' is unchanged"
    file.write_text(f"name: prod\nendpoint: {braze}\nsettings:\n  exclude: [first_name]\n")
    updated = run(tmp_path, "destinations", "apply", str(file))  # no key needed: it keeps its own
    assert updated.returncode == 0, updated.stderr
    assert updated.stdout.strip() == f"Updated 'prod' → {braze}: exclude first_name"
    # A key belongs to one instance: moving the destination checks its stored key at the new endpoint.
    with closed_port() as port:
        closed = f"http://127.0.0.1:{port}"
        file.write_text(f"name: prod\nendpoint: {closed}\n")
        moved = run(tmp_path, "destinations", "apply", str(file))
    assert moved.returncode == 1 and errors(moved).startswith(f"error: API key: no answer: could not reach {closed}")
    assert f"{braze}" in listing(tmp_path) and "exclude first_name" in listing(tmp_path)


def test_apply_refuses_a_key_in_the_file_and_names_every_problem(tmp_path: Path) -> None:
    file = tmp_path / "prod.yaml"
    file.write_text("name: prod\nendpoint: US-99\napi_key: abc\nsettings:\n  max_objects: 0\n  identity: phone\n")
    done = run(tmp_path, "destinations", "apply", str(file), key=FULL)
    assert done.returncode == 1
    assert errors(done).splitlines() == [
        "error: api_key: a key never goes in a file: it comes from ZEROPARTY_BRAZE_API_KEY or the prompt",
        "error: endpoint: 'US-99' is neither a Braze instance (US-01, US-02, US-03, US-04, US-05, US-06, US-07, "
        "US-08, US-10, EU-01, EU-02, AU-01, ID-01, JP-01, KR-01) nor an http(s) URL",
        "error: settings.identity: must be 'email', 'external_id' or 'user_alias'",
        "error: settings.max_objects: must be greater than or equal to 1",
    ]
    file.write_text("name: [unclosed\n")
    broken = run(tmp_path, "destinations", "apply", str(file))
    assert broken.returncode == 1 and errors(broken).startswith(f"error: {file}, line 2, column 1: YAML syntax error")


# -- remove -----------------------------------------------------------------------------------------------


def test_remove_refuses_while_rows_wait_unless_forced(tmp_path: Path) -> None:
    from tests.support.stack import running_stack

    with running_stack(tmp_path, worker=False) as stack:  # capture queues rows; nothing delivers them
        r = stack_post(stack.base)
        assert r == 201
        other = run(tmp_path, "destinations", "add-braze", "idle", "--endpoint", stack.sandbox, "--no-verify", key=FULL)
        assert other.returncode == 0, other.stderr
        refused = run(tmp_path, "destinations", "remove", "sandbox")
        assert refused.returncode == 1
        assert errors(refused).strip() == (
            "error: NAME: 'sandbox' still has 1 outbox row(s) waiting to be delivered (pending or in flight); let them "
            "be delivered first, or pass --force to drop them with the destination"
        )
        idle = run(tmp_path, "destinations", "remove", "idle")
        assert (
            idle.returncode == 0
            and idle.stdout.strip() == "Removed 'idle' with its 0 outbox row(s) and 0 delivery record(s)"
        )
        forced = run(tmp_path, "destinations", "remove", "sandbox", "--force")
        assert forced.returncode == 0, forced.stderr
        assert forced.stdout.strip() == (
            "Removed 'sandbox' with its 1 outbox row(s), 1 of them never delivered and 0 delivery record(s)"
        )
        with db(tmp_path) as conn:
            assert conn.execute("SELECT count(*) FROM destinations").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
        gone = run(tmp_path, "destinations", "remove", "sandbox")
        assert gone.returncode == 1 and "name: no destination named 'sandbox'" in gone.stderr


def stack_post(base: str, email: str = "ada@example.com") -> int:
    import httpx

    answers = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"}
    r = httpx.post(
        f"{base}/api/v1/experiences/skin-quiz/responses",
        json={"answers": answers, "inputs": {"email": email, "first_name": "Ada", "marketing_opt_in": True}},
    )
    return r.status_code


def test_a_lower_array_limit_is_refused_while_a_published_experience_could_send_more(tmp_path: Path) -> None:
    defn = tmp_path / "many.yaml"
    data = sample_data()
    goals = data["screens"][1]["elements"][0]
    goals["max_selected"] = 4
    defn.write_text(yaml.safe_dump(data))
    added = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", "US-03", "--no-verify", key="k" * 36)
    assert added.returncode == 0, added.stderr
    assert run(tmp_path, "experiences", "import", str(defn)).returncode == 0
    refused = run(tmp_path, "destinations", "set", "prod", "array_limit=3")
    assert refused.returncode == 1
    assert "error: array_limit: experience 'skin-quiz' screens[1].elements[0].max_selected" in refused.stderr
    assert run(tmp_path, "destinations", "set", "prod", "array_limit=4").returncode == 0
