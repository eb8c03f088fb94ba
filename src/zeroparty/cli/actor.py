"""Who the audit log says made a change from the command line: `cli:<OS user>`, or `cli` alone when
the OS does not say (a container without a passwd entry)."""

from __future__ import annotations

import getpass


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
