"""`zeroparty experiences validate|import` with a product feed: the CSV beside the definition is
read, its problems name the line and column, and its products are published with the version."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.definitions import ROOT
from tests.support.processes import cli_env
from tests.support.stack import settings_for
from zeroparty.bootstrap import open_runtime


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(data_dir, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args], env=env, capture_output=True, text=True, timeout=60
    )


def _store_pictures(data_dir: Path) -> None:
    """The pictures the catalogue names, stored in-process (`zeroparty assets add` has its own tests:
    a command per picture here would only cost the suite time)."""
    rt = open_runtime(settings_for(data_dir))
    try:
        for picture in sorted((ROOT / "examples" / "images").glob("*.svg")):
            rt.assets.add(picture.read_bytes(), picture.name)
    finally:
        rt.engine.dispose()


def _copy_finder(folder: Path) -> tuple[Path, Path]:
    folder.mkdir()
    definition = folder / "skincare-finder.yaml"
    shutil.copy(ROOT / "examples" / "skincare-finder.yaml", definition)
    shutil.copy(ROOT / "examples" / "skincare-products.csv", folder / "skincare-products.csv")
    return definition, folder / "skincare-products.csv"


def test_a_bad_feed_csv_names_its_line_and_column_and_publishes_nothing(tmp_path: Path) -> None:
    definition, csv = _copy_finder(tmp_path / "defs")
    lines = csv.read_text().splitlines()
    lines[3] = lines[3].replace(",24.00,", ",24 EUR,").replace("https://example.com/", "http://example.com/")
    csv.write_text("\n".join(lines) + "\n")
    done = run(tmp_path, "experiences", "import", str(definition))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{csv}, line 4, column price: '24 EUR' is not a price; write it like 12.50",
        f"{csv}, line 4, column url: must be an https:// URL",
    ]
    assert not (tmp_path / "zeroparty.db").exists()  # refused before a store is made


def test_a_missing_feed_file_is_named(tmp_path: Path) -> None:
    definition, csv = _copy_finder(tmp_path / "defs")
    csv.unlink()
    done = run(tmp_path, "experiences", "validate", str(definition))
    assert done.returncode == 1
    assert done.stdout.startswith(f"feed.file: cannot read {csv}: ")


def test_the_catalogue_is_published_with_the_version(tmp_path: Path) -> None:
    definition, csv = _copy_finder(tmp_path / "defs")
    assert "valid (4 screens, 2 outcomes)" in run(tmp_path, "experiences", "validate", str(definition)).stdout
    _store_pictures(tmp_path)
    first = run(tmp_path, "experiences", "import", str(definition))
    assert first.returncode == 0 and "version 1" in first.stdout, first.stderr
    again = run(tmp_path, "experiences", "import", str(definition))
    assert "unchanged" in again.stdout
    csv.write_text(csv.read_text().replace("Gentle Cream Cleanser,14.00", "Gentle Cream Cleanser,15.00"))
    changed = run(tmp_path, "experiences", "import", str(definition))
    assert changed.returncode == 0 and "version 2" in changed.stdout, changed.stderr
