"""The store and the workspace a command that only reads acts in (global `--workspace`): the
commands that need a key get both from the runtime instead (`rt.engine`, `rt.workspace`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zeroparty.cli.common import fail, store
from zeroparty.config import Settings
from zeroparty.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from zeroparty.domain.workspaces import Workspace


def scoped_store(s: Settings) -> tuple[Engine, Workspace]:
    """The existing store (`common.store`) and the workspace the command acts in (`--workspace`);
    exit 1 naming ZEROPARTY_WORKSPACE when there is no such workspace."""
    from zeroparty.bootstrap import current_workspace

    engine = store(s)
    try:
        return engine, current_workspace(s, engine)
    except ConfigurationError as exc:
        fail(str(exc))


def store_in_workspace() -> tuple[Engine, int]:
    """`scoped_store` of the environment's settings, the workspace by its id."""
    from zeroparty.cli.common import settings

    engine, workspace = scoped_store(settings())
    return engine, workspace.id
