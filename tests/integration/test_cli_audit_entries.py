"""A change made from the command line leaves an entry in the workspace's audit log, naming the CLI
as who made it and never a key or a token."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import run

KEY = "k" * 36


def _log(data: Path, *extra: str) -> list[dict[str, object]]:
    done = run(data, "audit", "--json", *extra)
    assert done.returncode == 0, done.stderr
    entries: list[dict[str, object]] = json.loads(done.stdout)
    return entries


def test_destination_changes_leave_audit_entries(tmp_path: Path) -> None:
    added = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", "US-03", "--no-verify", key=KEY)
    assert added.returncode == 0, added.stderr
    keyed = run(tmp_path, "destinations", "update-key", "prod", "--no-verify", key="n" * 36)
    assert keyed.returncode == 0, keyed.stderr
    assert run(tmp_path, "destinations", "set", "prod", "max_objects=50").returncode == 0
    assert run(tmp_path, "destinations", "remove", "prod").returncode == 0
    entries = _log(tmp_path)
    assert [(e["action"], e["target"]) for e in entries] == [
        ("destination.remove", "prod"),
        ("destination.settings", "prod"),
        ("destination.key", "prod"),
        ("destination.add", "prod"),
    ]
    assert all(str(e["actor"]).startswith("cli") for e in entries)
    assert KEY not in json.dumps(entries) and "n" * 36 not in json.dumps(entries)


def test_token_and_workspace_changes_leave_audit_entries(tmp_path: Path) -> None:
    made = run(tmp_path, "tokens", "create", "ci", "--role", "viewer")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert run(tmp_path, "tokens", "revoke", "ci").returncode == 0
    entries = _log(tmp_path)
    assert [(e["action"], e["target"]) for e in entries] == [("token.revoke", "ci"), ("token.create", "ci")]
    assert entries[1]["detail"] == {"role": "viewer", "replace": False} and token not in json.dumps(entries)
    assert run(tmp_path, "workspaces", "create", "acme").returncode == 0
    theirs = json.loads(run(tmp_path, "--workspace", "acme", "audit", "--json").stdout)
    assert [(e["action"], e["target"]) for e in theirs] == [("workspace.create", "acme")]


def test_publishing_from_the_cli_leaves_audit_entries(tmp_path: Path) -> None:
    from tests.support.definitions import ROOT

    definition = str(ROOT / "examples" / "skin-quiz.yaml")
    assert run(tmp_path, "experiences", "import", definition).returncode == 0
    assert run(tmp_path, "experiences", "unpublish", "skin-quiz").returncode == 0
    entries = _log(tmp_path)
    assert [(e["action"], e["target"]) for e in entries] == [
        ("experience.state", "skin-quiz"),
        ("experience.publish", "skin-quiz"),
    ]
    assert entries[0]["detail"] == {"from": "published", "to": "unpublished"}
    assert all(str(e["actor"]).startswith("cli") for e in entries)
