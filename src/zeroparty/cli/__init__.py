"""The `zeroparty` command line (Typer + Rich). Each command group lives in its own module."""

from __future__ import annotations

import contextlib

from zeroparty.cli import (  # noqa: F401  (register their commands)
    deliveries,
    destinations,
    destinations_send,
    experiences,
    people,
    servers,
    tokens,
)
from zeroparty.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        app()
