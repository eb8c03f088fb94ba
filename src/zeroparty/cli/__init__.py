"""The `zeroparty` command line (Typer + Rich). Each command group lives in its own module."""

from __future__ import annotations

import contextlib

from zeroparty.cli import deliveries, destinations, experiences, people, servers, tokens  # noqa: F401  (register their commands)
from zeroparty.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        app()
