"""The `zeroparty` command's Typer apps; each command group registers itself in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(help="Interactive experiences that stream first-party data into Braze.", no_args_is_help=True)
destinations_cli = typer.Typer(help="Where captured data is sent.", no_args_is_help=True)
experiences_cli = typer.Typer(help="Experience definitions (YAML or JSON).", no_args_is_help=True)
app.add_typer(destinations_cli, name="destinations")
app.add_typer(experiences_cli, name="experiences")
