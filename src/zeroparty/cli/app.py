"""The `zeroparty` command's Typer apps; each command group registers itself in its own module."""

from __future__ import annotations

import os

import typer

from zeroparty.cli.common import DataDirOpt, WorkspaceOpt, collect_again

# Commands that run until stopped: the garbage collector works for them from the start (see `main`).
LONG_RUNNING = frozenset({"serve", "worker", "sandbox", "demo"})

app = typer.Typer(help="Interactive experiences that stream first-party data into Braze.", no_args_is_help=True)
destinations_cli = typer.Typer(help="Where captured data is sent.", no_args_is_help=True)
experiences_cli = typer.Typer(help="Experience definitions (YAML or JSON).", no_args_is_help=True)
app.add_typer(destinations_cli, name="destinations")
app.add_typer(experiences_cli, name="experiences")


@app.callback()
def root(ctx: typer.Context, data_dir: DataDirOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Interactive experiences that stream first-party data into Braze."""
    if ctx.invoked_subcommand in LONG_RUNNING:
        collect_again()
    # Given once here, it applies to whichever command follows: it *is* ZEROPARTY_DATA_DIR, which
    # the settings read (and child processes inherit).
    if data_dir is not None:
        os.environ["ZEROPARTY_DATA_DIR"] = str(data_dir)
    if workspace is not None:
        os.environ["ZEROPARTY_WORKSPACE"] = workspace
