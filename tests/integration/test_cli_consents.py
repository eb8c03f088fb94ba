"""A consent box whose key a destination maps to no subscription group goes nowhere: `validate`,
`import` and `destinations list` say so on stderr, naming the experience, the key, the destination
and the command that maps it, without changing the exit code."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import run
from tests.support.definitions import ROOT

VIP = ROOT / "examples" / "vip-signup.yaml"
GROUP = "6f1c1e5a-7b9e-4a3c-9d2e-1f0a2b3c4d5e"


def warning(key: str, destination: str = "prod") -> str:
    return (
        f"warning: experience 'vip-signup' asks for consent '{key}', which destination '{destination}' maps to no "
        "subscription group: nothing is sent there when it is given. Map it to the group's id in Braze: "
        f"zeroparty destinations set {destination} subscription_groups.{key}=UUID"
    )


def test_validate_without_data_only_checks_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run(data, "experiences", "validate", str(VIP))
    assert done.returncode == 0 and done.stderr == ""
    assert not data.exists()  # validating creates no store


def test_unmapped_consents_are_warned_about_until_they_are_mapped(tmp_path: Path) -> None:
    added = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", "US-03", "--no-verify", key="k" * 20)
    assert added.returncode == 0, added.stderr
    both = [warning("newsletter"), warning("sms_offers")]

    validated = run(tmp_path, "experiences", "validate", str(VIP))
    assert validated.returncode == 0 and validated.stderr.splitlines() == both
    imported = run(tmp_path, "experiences", "import", str(VIP))
    assert imported.returncode == 0 and imported.stderr.splitlines() == both
    listed = run(tmp_path, "destinations", "list")
    assert listed.returncode == 0 and listed.stderr.splitlines() == both
    as_json = run(tmp_path, "destinations", "list", "--json")
    assert json.loads(as_json.stdout)[0]["settings"]["subscription_groups"] == {}  # stdout stays JSON

    mapped = run(tmp_path, "destinations", "set", "prod", f"subscription_groups.newsletter={GROUP}")
    assert mapped.returncode == 0, mapped.stderr
    assert run(tmp_path, "destinations", "list").stderr.splitlines() == [warning("sms_offers")]
    run(tmp_path, "destinations", "set", "prod", f"subscription_groups.sms_offers={GROUP}")
    assert run(tmp_path, "destinations", "list").stderr == ""
    assert run(tmp_path, "experiences", "validate", str(VIP)).stderr == ""


def test_a_destination_name_that_needs_quoting_is_quoted_in_the_command(tmp_path: Path) -> None:
    run(tmp_path, "destinations", "add-braze", "eu prod", "--endpoint", "EU-01", "--no-verify", key="k" * 20)
    done = run(tmp_path, "experiences", "import", str(VIP))
    assert "zeroparty destinations set 'eu prod' subscription_groups.newsletter=UUID" in done.stderr
