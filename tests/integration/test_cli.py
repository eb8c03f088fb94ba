"""The `zeroparty` command as a user runs it: a real process, real files, a real database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.support.definitions import SAMPLE, sample_data
from tests.support.processes import cli_env, server_process


def run(
    data_dir: Path, *args: str, key: str | None = None, stdin: str | None = None, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = cli_env(data_dir, COLUMNS="200") | (extra or {})
    if key is not None:
        env["ZEROPARTY_BRAZE_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args], env=env, capture_output=True, text=True, input=stdin, timeout=60
    )


def test_validate_accepts_the_sample(tmp_path: Path) -> None:
    done = run(tmp_path, "experiences", "validate", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


def test_validate_prints_path_and_message_per_problem_and_exits_1(tmp_path: Path) -> None:
    data = sample_data()
    data["screens"][1]["elements"][0]["id"] = "skin_type"
    data["outcomes"][0]["when"] = {"element": "skin_type", "equals": "purple"}
    del data["title"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    done = run(tmp_path, "experiences", "validate", str(bad))
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert "title: Field required" in lines
    assert any(line.startswith("screens[1].elements[0].id: duplicate element id 'skin_type'") for line in lines)
    assert any(line.startswith("outcomes[0].when: 'purple' is not an option") for line in lines)


def test_validate_reports_unparsable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: [unclosed\n")
    done = run(tmp_path, "experiences", "validate", str(bad))
    assert done.returncode == 1
    assert done.stdout.startswith(f"{bad}, line 2, column 1: YAML syntax error: ")
    missing = run(tmp_path, "experiences", "validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "cannot read" in missing.stdout


def test_import_publishes_new_immutable_versions(tmp_path: Path) -> None:
    first = run(tmp_path, "experiences", "import", str(SAMPLE))
    assert first.returncode == 0, first.stderr
    assert "version 1" in first.stdout
    changed = sample_data()
    changed["title"] = "A new title"
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(changed))
    second = run(tmp_path, "experiences", "import", str(path))
    assert "version 2" in second.stdout
    listed = run(tmp_path, "experiences", "list")
    assert "A new title" in listed.stdout and "skin-quiz" in listed.stdout


def test_add_braze_takes_the_key_from_env_and_never_shows_or_stores_it_in_clear(tmp_path: Path) -> None:
    key = "braze-rest-key-4f1c9a7e-secret-9z8y"
    done = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", "US-03", "--no-verify", key=key)
    assert done.returncode == 0, done.stderr
    assert key not in done.stdout + done.stderr
    listed = run(tmp_path, "destinations", "list")
    assert "prod" in listed.stdout and "https://rest.iad-03.braze.com" in listed.stdout
    assert key not in listed.stdout and "…9z8y" in listed.stdout
    database = (tmp_path / "zeroparty.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("zeroparty.db-*")
    )
    assert key.encode() not in database


def test_add_braze_prompts_for_the_key_when_not_in_env(tmp_path: Path) -> None:
    done = run(
        tmp_path, "destinations", "add-braze", "eu", "--endpoint", "EU-01", "--no-verify", stdin="prompted-key-123456\n"
    )
    assert done.returncode == 0, done.stderr
    assert "prompted-key-123456" not in done.stdout
    assert "eu" in run(tmp_path, "destinations", "list").stdout


def test_add_braze_refuses_a_bad_endpoint_or_duplicate_name(tmp_path: Path) -> None:
    bad = run(
        tmp_path,
        "destinations",
        "add-braze",
        "x",
        "--endpoint",
        "https://rest.iad-99.braze.com",
        "--no-verify",
        key="k" * 20,
    )
    assert bad.returncode == 1
    assert "--endpoint" in bad.stderr and "not a documented Braze REST host" in bad.stderr
    assert (
        run(tmp_path, "destinations", "add-braze", "x", "--endpoint", "US-01", "--no-verify", key="k" * 20).returncode
        == 0
    )
    again = run(tmp_path, "destinations", "add-braze", "x", "--endpoint", "US-01", "--no-verify", key="k" * 20)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_bad_configuration_is_a_clear_error(tmp_path: Path) -> None:
    done = run(tmp_path, "destinations", "list", extra={"ZEROPARTY_PORT": "not-a-port"})
    assert done.returncode == 1
    assert "ZEROPARTY_PORT: expected a whole number, got 'not-a-port'" in done.stderr


def test_standalone_sandbox_serves_brazes_paths_at_the_root(tmp_path: Path) -> None:
    args = ["sandbox", "--api-key", "standalone-key", "--instance", "US-03", "--rate-limit-mode", "mau"]
    with server_process(args, cli_env(tmp_path), tmp_path / "sandbox.log") as base:
        body = {"attributes": [{"external_id": "s1", "color": "red"}]}
        headers = {"Authorization": "Bearer standalone-key"}
        assert httpx.post(base + "/users/track", json=body, headers=headers).status_code == 401  # not US-03's host
        ok = httpx.post(base + "/users/track", json=body, headers={**headers, "Host": "rest.iad-03.braze.com"})
        assert ok.status_code == 201 and 1 <= int(ok.headers["X-RateLimit-Reset"]) <= 3


def test_standalone_sandbox_refuses_an_unknown_instance(tmp_path: Path) -> None:
    done = run(tmp_path, "sandbox", "--instance", "US-42")
    assert done.returncode == 1 and "--instance" in done.stderr
