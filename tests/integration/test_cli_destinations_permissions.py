"""The permissions a destination's key needs, checked by `add-braze`, `update-key` and `destinations
set` against a real sandbox whose keys lack one permission or another; and the contract's batch
limits asked at `add-braze`."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.integration.test_cli import run
from tests.integration.test_cli_destinations import FULL, NO_IDENTIFY, TRACK_ONLY, braze, errors
from tests.support.processes import cli_env

__all__ = ["braze"]  # the fixture


def stored_settings(data_dir: Path) -> dict[str, object]:
    done = run(data_dir, "destinations", "list", "--json")
    assert done.returncode == 0, done.stderr
    [dest] = json.loads(done.stdout)
    settings: dict[str, object] = dest["settings"]
    return settings


def test_a_key_without_delete_or_export_is_saved_with_a_warning_naming_each(tmp_path: Path, braze: str) -> None:
    done = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=TRACK_ONLY)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Key checked with Braze: the key is valid and has users.track (")
    warnings = [line for line in errors(done).splitlines() if line.startswith("warning: ")]
    assert [w.split(",")[0] for w in warnings] == [
        "warning: the key lacks the users.delete permission",
        "warning: the key lacks the users.export.ids permission",
    ]
    assert "which POST /users/delete needs" in warnings[0] and "cannot delete profiles in Braze" in warnings[0]
    assert "which POST /users/export/ids needs" in warnings[1]
    assert TRACK_ONLY not in done.stdout + done.stderr
    updated = run(tmp_path, "destinations", "update-key", "prod", key=FULL)
    assert updated.returncode == 0, updated.stderr
    assert "warning" not in updated.stderr
    assert updated.stdout.startswith("Key checked with Braze: the key is valid and has users.track, users.delete and ")


def test_turning_on_identify_emails_needs_users_identify(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=NO_IDENTIFY).returncode == 0
    # identify_emails alone calls nothing on an email destination: no new permission, no check
    quiet = run(tmp_path, "destinations", "set", "prod", "identify_emails=true")
    assert quiet.returncode == 0 and quiet.stdout.strip() == "Updated 'prod': identify_emails=True", quiet.stdout
    refused = run(tmp_path, "destinations", "set", "prod", "identity=external_id")
    assert refused.returncode == 1
    assert errors(refused).startswith(
        "error: API key: the key lacks the users.identify permission, which POST /users/identify needs: create a key "
        "with users.identify under Settings > APIs and Identifiers > API Keys"
    )
    assert "without it identify_emails cannot fold email-only profiles in" in refused.stderr
    assert "nothing was saved (--no-verify saves a key without this check)" in refused.stderr
    assert stored_settings(tmp_path)["identity"] == "email"
    forced = run(tmp_path, "destinations", "set", "prod", "identity=external_id", "--no-verify")
    assert forced.returncode == 0, forced.stderr
    assert stored_settings(tmp_path)["identity"] == "external_id"
    # a key without users.identify is not taken for such a destination either
    rekey = run(tmp_path, "destinations", "update-key", "prod", key=NO_IDENTIFY)
    assert rekey.returncode == 1 and "lacks the users.identify permission" in rekey.stderr
    good = run(tmp_path, "destinations", "update-key", "prod", key=FULL)
    assert good.returncode == 0, good.stderr
    assert "users.identify" in good.stdout.splitlines()[0]


def test_turning_identify_emails_on_at_an_external_id_destination_needs_users_identify(
    tmp_path: Path, braze: str
) -> None:
    assert run(tmp_path, "destinations", "add-braze", "crm", "--endpoint", braze, key=NO_IDENTIFY).returncode == 0
    assert run(tmp_path, "destinations", "set", "crm", "identify_emails=false").returncode == 0
    assert run(tmp_path, "destinations", "set", "crm", "identity=external_id").returncode == 0  # nothing to identify
    refused = run(tmp_path, "destinations", "set", "crm", "identify_emails=true")
    assert refused.returncode == 1 and "lacks the users.identify permission" in refused.stderr
    assert stored_settings(tmp_path)["identify_emails"] is False


def test_add_braze_takes_the_contracts_batch_limits(tmp_path: Path, braze: str) -> None:
    bad = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, "--batch-limits", "mau", key=FULL)
    assert bad.returncode == 2 and "--batch-limits" in bad.stderr
    done = run(
        tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, "--batch-limits", "per_array", key=FULL
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "Batch limits: per_array (75 attributes + 75 events + 75 purchases); "
        "change with `destinations set prod batch_limits=…`"
    )
    assert stored_settings(tmp_path)["batch_limits"] == "per_array"
    # Not on a terminal and not given: combined, never over either contract's limit.
    other = run(tmp_path, "destinations", "add-braze", "other", "--endpoint", braze, key=FULL)
    assert other.stdout.splitlines()[-1].startswith("Batch limits: combined (75 objects per request in all)")


def test_at_a_terminal_add_braze_asks_for_the_batch_limits(tmp_path: Path, braze: str) -> None:
    main, tty = pty.openpty()  # stdin is a terminal: the question is asked there
    try:
        os.write(main, b"per_array\n")
        env = cli_env(tmp_path, COLUMNS="200", ZEROPARTY_BRAZE_API_KEY=FULL)
        cmd = [sys.executable, "-m", "zeroparty", "destinations", "add-braze", "prod", "--endpoint", braze]
        done = subprocess.run(cmd, env=env, stdin=tty, capture_output=True, text=True, timeout=60)
    finally:
        os.close(main)
        os.close(tty)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(
        "Which request limits does your Braze contract have? combined: 75 objects per request in all; "
        "per_array: 75 attributes + 75 events + 75 purchases.\n"
    )
    assert stored_settings(tmp_path)["batch_limits"] == "per_array"
