"""`zeroparty --help` and the listing commands start without the web stack: they import neither the
web framework, the server, the sandbox nor the migration tool (when the schema is current). Which
modules a command imports is checked here; how long it takes is measured by benchmarks/cli.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli_data import seed
from tests.support.processes import cli_env
from zeroparty.config import Settings

HEAVY = (
    "fastapi", "starlette", "uvicorn", "alembic", "httpx", "cryptography", "zeroparty.sandbox", "zeroparty.adapters.http",
)  # fmt: skip
LISTINGS = [
    ["experiences", "list"],
    ["destinations", "list"],
    ["deliveries"],
    ["deliveries", "dead"],
    ["tokens", "list"],
]

# Runs the command as the `zeroparty` script does, then prints what it imported and whether the
# garbage collector is on.
PROBE = """
import gc, json, sys
from zeroparty.cli import main
sys.argv[0] = "zeroparty"
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules), "gc": gc.isenabled()}), file=sys.stderr)
"""


def probe(data_dir: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=cli_env(data_dir, COLUMNS="80"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    report: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    return report


def imported(data_dir: Path, *args: str) -> tuple[int, set[str]]:
    report = probe(data_dir, *args)
    return report["code"], set(report["modules"])


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    seed(Settings(data_dir=folder))
    return folder


def test_help_imports_no_web_stack_and_no_database_layer(tmp_path: Path) -> None:
    code, modules = imported(tmp_path, "--help")
    assert code == 0
    assert heavy(modules) == []
    assert "sqlalchemy" not in modules and "pydantic" not in modules
    assert not tmp_path.joinpath("zeroparty.db").exists()


@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_a_listing_imports_no_web_stack(data_dir: Path, args: list[str]) -> None:
    code, modules = imported(data_dir, *args)
    assert code in (0, None)
    assert heavy(modules) == []
    assert "zeroparty.domain.experience.model" not in modules  # a listing builds no experience models


@pytest.mark.parametrize("args", [["tokens", "list"], ["worker", "--help"], ["sandbox", "--help"]], ids=" ".join)
def test_the_garbage_collector_is_off_only_while_a_command_starts(data_dir: Path, args: list[str]) -> None:
    # Off for the imports that start a command; on again once the store is open, and from the start
    # for the commands that run until stopped.
    assert probe(data_dir, *args)["gc"] is True
