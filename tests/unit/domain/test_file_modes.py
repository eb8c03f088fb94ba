"""What the data folder check says for each mode (pure)."""

from __future__ import annotations

import pytest

from zeroparty.domain.file_modes import data_dir_advice


def test_a_private_folder_with_private_files_needs_no_word() -> None:
    assert data_dir_advice("/srv/zp", 0o700, [("zeroparty.db", 0o600), ("secret.key", 0o400)]) is None


def test_an_open_folder_is_named_with_its_mode_and_the_chmod() -> None:
    said = data_dir_advice("/srv/zp", 0o755, [("zeroparty.db", 0o600)])
    assert said == (
        "data folder /srv/zp is mode 0755: users other than its owner can reach it. "
        "To keep them private run: chmod 700 /srv/zp"
    )


def test_open_files_are_listed_even_in_a_private_folder() -> None:
    said = data_dir_advice("/srv/zp/", 0o700, [("secret.key", 0o644), ("zeroparty.db", 0o600), ("x.db-wal", 0o640)])
    assert said is not None
    assert "files in /srv/zp/ others can open: secret.key (0644), x.db-wal (0640)" in said
    assert said.endswith("chmod 600 /srv/zp/secret.key /srv/zp/x.db-wal") and "chmod 700" not in said


@pytest.mark.parametrize("mode", [0o750, 0o710, 0o701, 0o777, 0o2770])
def test_any_access_for_the_group_or_others_counts(mode: int) -> None:
    assert data_dir_advice("/d", mode, []) is not None


def test_odd_paths_are_quoted_for_the_shell() -> None:
    said = data_dir_advice("/tmp/my data; rm -rf ~", 0o755, [("it's.db", 0o644)])
    assert said is not None
    assert "chmod 700 '/tmp/my data; rm -rf ~'" in said
    assert """chmod 600 '/tmp/my data; rm -rf ~/it'"'"'s.db'""" in said
