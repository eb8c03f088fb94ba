"""The `zeroparty` command line (Typer + Rich). Each command group lives in its own module."""

from __future__ import annotations

import contextlib
import gc

from zeroparty.cli import (  # noqa: F401  (register their commands)
    analytics,
    assets,
    audit,
    deliveries,
    destinations,
    destinations_forget,
    destinations_send,
    experiences,
    people,
    servers,
    tokens,
    users,
    variants,
    workspaces,
)
from zeroparty.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    # Starting a command imports SQLAlchemy, pydantic and their kin: hundreds of thousands of objects
    # that live as long as the process, which the cyclic collector would walk again and again for
    # nothing (about a tenth of a listing's time). It is switched back on once the store is open
    # (`common.collect_again`), and from the start for the commands that run until stopped.
    gc.disable()
    with contextlib.suppress(KeyboardInterrupt):
        app()
