"""`experiences validate` and `import` as an author runs them: a multi-choice whose answers could
hold more values than Braze keeps in an array is refused, against the destinations' smallest
`array_limit` (Braze's 25 where there is none)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.definitions import sample_data
from tests.support.processes import cli_env

GOALS = "screens[1].elements[0]"


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(data_dir, COLUMNS="200") | {"ZEROPARTY_BRAZE_API_KEY": "braze-rest-key-array-limit"}
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args], env=env, capture_output=True, text=True, timeout=60
    )


def thirty_goals(tmp_path: Path) -> Path:
    data = sample_data()
    goals = data["screens"][1]["elements"][0]
    goals.pop("max_selected")
    goals["options"] += [{"value": f"goal_{n}", "label": f"Goal {n}"} for n in range(len(goals["options"]), 30)]
    path = tmp_path / "thirty.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_thirty_picks_are_refused_until_every_destination_keeps_thirty(tmp_path: Path) -> None:
    definition = thirty_goals(tmp_path)
    alone = run(tmp_path, "experiences", "validate", str(definition))
    assert alone.returncode == 1
    [line] = alone.stdout.strip().splitlines()
    assert line.startswith(f"{GOALS}.options: all 30 options can be selected, but Braze keeps at most 25 values")
    assert "set max_selected: 25 or fewer" in line and "array_limit=N" in line
    first_import = run(tmp_path, "experiences", "import", str(definition))
    assert first_import.returncode == 1 and first_import.stdout == alone.stdout
    assert not (tmp_path / "zeroparty.db").exists()  # a refused file creates no store

    for name in ("raised", "plain"):
        added = run(tmp_path, "destinations", "add-braze", name, "--endpoint", "US-03", "--no-verify")
        assert added.returncode == 0, added.stderr
    assert run(tmp_path, "destinations", "set", "raised", "array_limit=30").returncode == 0
    refused = run(tmp_path, "experiences", "import", str(definition))
    assert refused.returncode == 1
    assert "destinations set plain array_limit=N" in refused.stdout  # the destination that keeps fewest
    assert "Published" not in refused.stdout

    assert run(tmp_path, "destinations", "set", "plain", "array_limit=30").returncode == 0
    checked = run(tmp_path, "experiences", "validate", str(definition))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    published = run(tmp_path, "experiences", "import", str(definition))
    assert published.returncode == 0 and "Published 'skin-quiz' version 1" in published.stdout
