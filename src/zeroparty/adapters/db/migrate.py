"""Apply Alembic migrations programmatically (at start of every process that opens the store).

`alembic_config` serves any migration history run on a handed-over Engine: the product's (here)
and the Braze sandbox's, which keeps its own (`zeroparty.sandbox.migrate`).

Alembic itself is imported only when there is something to migrate: a database already at the head
revision is recognised from its `alembic_version` row and the revision ids written in the migration
files, so one-shot commands start without loading the migration machinery."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"

# `revision = "0008"` / `down_revision = "0007"` (or None, or a tuple for a merge), as Alembic writes them.
_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"'\s]+)["']""")


def alembic_config(engine: Engine, script_location: Path = MIGRATIONS) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["engine"] = engine
    return cfg


def head_revisions(versions: Path = MIGRATIONS / "versions") -> frozenset[str] | None:
    """The head revision ids of the history in `versions`, read from the files' text; None when a
    file cannot be read that way (then only Alembic can say)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        if path.name == "__init__.py":
            continue
        assigned = dict((name, value) for name, value in _ASSIGNED.findall(path.read_text(encoding="utf-8")))
        revision = _QUOTED.fullmatch(assigned.get("revision", "").strip())
        if revision is None or "down_revision" not in assigned:
            return None
        revisions.add(revision.group(1))
        parents.update(_QUOTED.findall(assigned["down_revision"]))
    return frozenset(revisions - parents) or None


def is_current(engine: Engine) -> bool:
    """Whether the database records exactly the head revision(s); False when it cannot be told
    (no version table yet, an unreadable history, an error): Alembic then decides."""
    heads = head_revisions()
    if heads is None:
        return False
    try:
        with reader(engine).connect() as conn:
            recorded = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except sa.exc.DBAPIError:
        return False
    return set(recorded) == heads and len(recorded) == len(heads)


def upgrade(engine: Engine) -> None:
    """Bring the database to the head revision; nothing (and no Alembic import) when it is there."""
    if is_current(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    # The migrations turned SQLite's foreign key checks off on the connection they ran on (env.py),
    # and a pooled connection keeps that: start the pool afresh, each new connection checking them.
    engine.dispose()
