"""`zeroparty workspaces …` as an operator uses it: a workspace is created and listed (a table that
reads at 80 columns, or JSON), and a taken or malformed slug exits 1 naming it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import run


def test_a_workspace_is_created_and_listed_at_80_columns_and_as_json(tmp_path: Path) -> None:
    made = run(tmp_path, "workspaces", "create", "acme-beauty-europe", "--name", "Acme Beauty Europe and Nordics")
    assert made.returncode == 0, made.stderr
    assert "--workspace acme-beauty-europe" in made.stdout
    listed = run(tmp_path, "workspaces", "list", extra={"COLUMNS": "80"})
    assert listed.returncode == 0, listed.stderr
    assert "default" in listed.stdout and "acme-beauty-europe" in listed.stdout
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80, listed.stdout
    rows = json.loads(run(tmp_path, "workspaces", "list", "--json").stdout)
    assert [(r["slug"], r["name"]) for r in rows] == [
        ("default", "Default"),
        ("acme-beauty-europe", "Acme Beauty Europe and Nordics"),
    ]


def test_a_taken_or_malformed_slug_exits_1_naming_it(tmp_path: Path) -> None:
    # Made while ZEROPARTY_WORKSPACE already names it: a deployment set up for that workspace.
    first = run(tmp_path, "workspaces", "create", "acme", extra={"ZEROPARTY_WORKSPACE": "acme"})
    assert first.returncode == 0, first.stderr
    again = run(tmp_path, "workspaces", "create", "acme", "--name", "Another")
    assert again.returncode == 1 and "slug: a workspace named 'acme' exists already" in again.stderr
    bad = run(tmp_path, "workspaces", "create", "Acme Inc")
    assert bad.returncode == 1 and "slug: must be" in bad.stderr
    rows = json.loads(run(tmp_path, "workspaces", "list", "--json").stdout)
    assert [r["slug"] for r in rows] == ["default", "acme"]
