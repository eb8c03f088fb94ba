"""The data folder's permissions as found on disk (domain/file_modes.py decides what they mean)."""

from __future__ import annotations

import stat
from pathlib import Path

from zeroparty.domain.file_modes import data_dir_advice

_MAX_FILES = 200  # the folder holds a handful; past this many a listing says nothing more


def check_data_dir(path: Path) -> str | None:
    """A warning naming the data folder and any file in it that users other than its owner can
    reach, with their modes and the `chmod` command that makes them private; None when all is
    private or the folder does not exist yet (it will be created 0700). For `serve`, `worker` and
    `demo` to print at start."""
    try:
        folder_mode = stat.S_IMODE(path.stat().st_mode)
        entries = sorted(path.iterdir())[:_MAX_FILES]
    except FileNotFoundError:
        return None
    files = []
    for entry in entries:
        try:
            found = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # removed meanwhile
            continue
        if stat.S_ISREG(found.st_mode):
            files.append((entry.name, stat.S_IMODE(found.st_mode)))
    return data_dir_advice(str(path), folder_mode, files)
