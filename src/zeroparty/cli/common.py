"""What every command shares: settings, the runtime, consoles, failing with a clear message.

Every dynamic string reaches the consoles as `rich.text.Text` (see `plain`): printed as markup, a
stored reason such as "[redacted]" would vanish, and ":name:" would turn into an emoji."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from zeroparty.bootstrap import Runtime, open_runtime
from zeroparty.config import Settings
from zeroparty.domain.untrusted import printable
from zeroparty.errors import ConfigurationError

# soft_wrap: a long path or URL stays on one line, so it can be copied whole.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

HostOpt = Annotated[str | None, typer.Option(envvar="ZEROPARTY_HOST", help="Interface to listen on.")]
PortOpt = Annotated[int | None, typer.Option(envvar="ZEROPARTY_PORT", help="Port to listen on.")]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="ZEROPARTY_DATA_DIR",
        help="Folder holding the SQLite database and keys (default: ./.zeroparty).",
        show_default=False,
    ),
]


def plain(value: object) -> Text:
    """`value` as literal text: no markup, no emoji codes, control characters other than line
    breaks shown escaped."""
    return Text("\n".join(printable(line) for line in str(value).split("\n")))


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as exc:
        fail(str(exc))


def fail(message: str) -> NoReturn:
    err.print(Text.assemble(("error:", "red"), " ", plain(message)), highlight=False)
    raise typer.Exit(1)


def configure_logging(s: Settings) -> None:
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Per-request lines from these libraries drown the ones that matter; keep their warnings.
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def sqlite_file(s: Settings) -> Path | None:
    """The SQLite database file the settings point at; None for PostgreSQL or an in-memory database."""
    try:
        url = make_url(s.db_url)
    except ArgumentError:
        return None  # `open_runtime` reports the bad URL
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def runtime(s: Settings, *, long_running: bool = False) -> Runtime:
    """The runtime; says so on stderr when this creates a new SQLite database, since a command run
    from another folder would otherwise silently start from an empty one."""
    db_file = sqlite_file(s)
    is_new = db_file is not None and not db_file.exists()
    try:
        rt = open_runtime(s, long_running=long_running)
    except ConfigurationError as exc:
        fail(str(exc))
    if is_new and db_file is not None:
        how = (
            "it is set by ZEROPARTY_DATABASE_URL"
            if s.database_url
            else "to use another, pass --data-dir DIR or set ZEROPARTY_DATA_DIR"
        )
        err.print(plain(f"note: created a new database at {db_file.resolve()}; {how}"), highlight=False)
    return rt


def now() -> datetime:
    return datetime.now(UTC)
