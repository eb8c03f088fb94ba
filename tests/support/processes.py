"""Helpers for tests that run zeroparty as real processes: free loopback ports, a clean environment."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cli_env(data_dir: Path | None, **extra: str) -> dict[str, str]:
    """This process's environment without any ZEROPARTY_* setting, pointed at `data_dir` (None: the
    default, `./.zeroparty` of the working folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEROPARTY_")}
    if data_dir is not None:
        env["ZEROPARTY_DATA_DIR"] = str(data_dir)
    return env | extra
