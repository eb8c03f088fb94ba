"""`check_data_dir` on real folders: quiet for what zeroparty creates, a warning naming an existing
folder or file others can reach, and the command it prints really makes them private."""

from __future__ import annotations

import subprocess
from pathlib import Path

import sqlalchemy as sa

from zeroparty.adapters.crypto import load_or_create_key
from zeroparty.adapters.data_dir import check_data_dir
from zeroparty.adapters.db.engine import prepare_sqlite_file


def test_a_data_folder_zeroparty_creates_is_private(tmp_path: Path) -> None:
    data = tmp_path / "new"
    assert check_data_dir(data) is None  # not there yet: it will be created private
    prepare_sqlite_file(sa.engine.make_url(f"sqlite:///{data / 'zeroparty.db'}"))
    load_or_create_key(None, data / "secret.key")
    assert check_data_dir(data) is None


def test_an_existing_open_folder_is_named_and_the_advice_works(tmp_path: Path) -> None:
    data = tmp_path / "old data"
    data.mkdir()
    data.chmod(0o755)  # as `mkdir` leaves it under the usual umask
    prepare_sqlite_file(sa.engine.make_url(f"sqlite:///{data / 'zeroparty.db'}"))
    (data / "notes.txt").write_text("x")
    (data / "notes.txt").chmod(0o644)
    (data / "sub").mkdir()  # folders inside are not the check's business
    said = check_data_dir(data)
    assert said is not None
    assert f"data folder {data} is mode 0755" in said and "notes.txt (0644)" in said
    assert "zeroparty.db" not in said.split("To keep")[0]  # created 0600: private already
    command = said.split("To keep them private run: ")[1]
    subprocess.run(["sh", "-c", command], check=True)
    assert check_data_dir(data) is None
