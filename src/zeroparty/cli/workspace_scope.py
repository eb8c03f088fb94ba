"""The store and the workspace a command that only reads acts in (global `--workspace`): the
commands that need a key get both from the runtime instead (`rt.engine`, `rt.workspace`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zeroparty.cli.common import fail, settings, store
from zeroparty.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def store_in_workspace() -> tuple[Engine, int]:
    """The existing store's engine and the id of the workspace named by `--workspace` (exit 1 with
    a clear message when there is no such workspace)."""
    from zeroparty.bootstrap import workspace_id

    s = settings()
    engine = store(s)
    try:
        return engine, workspace_id(engine, s.workspace)
    except ConfigurationError as exc:
        fail(str(exc))
