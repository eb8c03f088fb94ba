"""What every command shares: settings, the runtime, consoles, failing with a clear message."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from zeroparty.bootstrap import Runtime, open_runtime
from zeroparty.config import Settings
from zeroparty.errors import ConfigurationError

out = Console(soft_wrap=True)
err = Console(stderr=True)

HostOpt = Annotated[str | None, typer.Option(envvar="ZEROPARTY_HOST", help="Interface to listen on.")]
PortOpt = Annotated[int | None, typer.Option(envvar="ZEROPARTY_PORT", help="Port to listen on.")]


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as exc:
        fail(str(exc))


def fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


def configure_logging(s: Settings) -> None:
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Per-request lines from these libraries drown the ones that matter; keep their warnings.
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def runtime(s: Settings) -> Runtime:
    try:
        return open_runtime(s)
    except ConfigurationError as exc:
        fail(str(exc))


def now() -> datetime:
    return datetime.now(UTC)
