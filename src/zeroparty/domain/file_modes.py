"""Whether a data folder and the files in it are private to their owner, and what to run if not.

zeroparty creates its data folder 0700 and its files 0600, but an existing folder keeps the mode it
has (an operator may have chosen it, say for a backup agent in the folder's group); this says so,
naming the folder, the files, their modes and the `chmod` that makes them private.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

_OTHERS = 0o077  # any permission for the group or for everyone else


def shared(mode: int) -> bool:
    return bool(mode & _OTHERS)


def data_dir_advice(folder: str, folder_mode: int, files: Sequence[tuple[str, int]]) -> str | None:
    """A warning for `folder` (mode `folder_mode`) holding `files` ((name, mode) pairs), or None when
    the folder and every file in it are its owner's alone."""
    open_files = [(name, mode) for name, mode in files if shared(mode)]
    if not shared(folder_mode) and not open_files:
        return None
    parts, commands = [], []
    if shared(folder_mode):
        mode = f"{folder_mode & 0o7777:04o}"
        parts.append(f"data folder {folder} is mode {mode}: users other than its owner can reach it")
        commands.append(f"chmod 700 {shlex.quote(folder)}")
    if open_files:
        listed = ", ".join(f"{name} ({mode & 0o7777:04o})" for name, mode in open_files)
        parts.append(f"files in {folder} others can open: {listed}")
        paths = " ".join(shlex.quote(f"{folder.rstrip('/')}/{name}") for name, _ in open_files)
        commands.append(f"chmod 600 {paths}")
    return "; ".join(parts) + ". To keep them private run: " + " && ".join(commands)
