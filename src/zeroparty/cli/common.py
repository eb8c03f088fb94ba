"""What every command shares: settings, the runtime, consoles, failing with a clear message.

Every dynamic string reaches the consoles as `rich.text.Text` (see `plain`): printed as markup, a
stored reason such as "[redacted]" would vanish, and ":name:" would turn into an emoji."""

from __future__ import annotations

import gc
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from zeroparty.config import Settings
from zeroparty.domain.untrusted import printable
from zeroparty.errors import ConfigurationError

# The storage layer is imported by the commands that open it, when they run: `zeroparty --help`
# and the listings start in a fraction of a second (benchmarks/cli.py).
if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from zeroparty.bootstrap import Runtime

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
WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        envvar="ZEROPARTY_WORKSPACE",
        help="The workspace (its slug) the command acts in (default: default).",
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


def confirm(question: str) -> bool:
    """Ask `question` (default no); no answer (end of input, Ctrl-C) is a no."""
    try:
        return bool(typer.confirm(question, default=False))
    except typer.Abort:
        return False


def configure_logging(s: Settings) -> None:
    logging.basicConfig(level=s.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Per-request lines from these libraries drown the ones that matter; keep their warnings.
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def print_json(value: Any) -> None:
    """`value` as indented ASCII JSON (text escaped by json itself), printed literally."""
    out.print(plain(json.dumps(value, indent=2)), highlight=False)


def sqlite_file(s: Settings) -> Path | None:
    """The SQLite database file the settings point at; None for PostgreSQL or an in-memory database."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(s.db_url)
    except ArgumentError:
        return None  # `open_runtime` reports the bad URL
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def has_data(s: Settings) -> bool:
    """Whether there is a store to read: the SQLite file exists, or the database is elsewhere
    (PostgreSQL: nothing to look for locally)."""
    db_file = sqlite_file(s)
    return db_file is None or db_file.exists()


def _require_data(s: Settings) -> None:
    """Exit 1 naming where it looked unless there is a store: a command that only reads must not
    create an empty one (and a key) in whatever folder it was run from."""
    db_file = sqlite_file(s)
    if db_file is None or db_file.exists():
        return
    where = (
        f"no zeroparty database at {db_file.resolve()} (ZEROPARTY_DATABASE_URL)"
        if s.database_url
        else f"no zeroparty data in {s.data_dir.resolve()} (no zeroparty.db there)"
    )
    fail(
        f"{where}; run the command where the data is, or point to it with --data-dir DIR (before the command), "
        "ZEROPARTY_DATA_DIR or ZEROPARTY_DATABASE_URL"
    )


def _require_key(s: Settings) -> None:
    """Exit 1 unless the secret key exists: a new one could not open what the old one sealed."""
    key_file = s.data_dir / "secret.key"
    if s.secret_key or key_file.exists():
        return
    fail(
        f"no zeroparty key at {key_file.resolve()}: the Braze API keys in the database are sealed with it; "
        "point to the data folder that holds it with --data-dir DIR or ZEROPARTY_DATA_DIR, or set "
        "ZEROPARTY_SECRET_KEY"
    )


def collect_again() -> None:
    """The garbage collector back on: the imports that start a command are done (`cli.main`)."""
    gc.enable()


def store(s: Settings) -> Engine:
    """The existing store's engine, for commands that only read: nothing is created, no key read."""
    from zeroparty.bootstrap import open_store

    _require_data(s)
    try:
        engine = open_store(s)
    except ConfigurationError as exc:
        fail(str(exc))
    collect_again()
    return engine


def runtime(s: Settings, *, long_running: bool = False, create: bool = True) -> Runtime:
    """The runtime. With `create`, a new store is made when there is none, and said so on stderr
    (a command run from another folder would otherwise silently start from an empty one); without
    it, there must be a store and a key already (exit 1 otherwise)."""
    from zeroparty.bootstrap import open_runtime

    if not create:
        _require_data(s)
        _require_key(s)
    db_file = sqlite_file(s)
    is_new = db_file is not None and not db_file.exists()
    try:
        rt = open_runtime(s, long_running=long_running)
    except ConfigurationError as exc:
        fail(str(exc))
    collect_again()
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


def iso(moment: datetime | None) -> str | None:
    """A time for JSON output: ISO 8601 in UTC with a Z, or None."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
