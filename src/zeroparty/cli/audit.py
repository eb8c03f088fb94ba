"""`zeroparty audit`: who changed what in the CLI's workspace, newest first; `audit export` for all of it."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from zeroparty.cli.app import app
from zeroparty.cli.common import print_json, runtime, settings
from zeroparty.cli.records import Field, say, show

audit_cli = typer.Typer(help="Who changed what in the workspace (newest first).", invoke_without_command=True)
app.add_typer(audit_cli, name="audit")


# Changes to users themselves (disabled, a reset link issued, a password reset) belong to no one
# workspace: they are listed apart, so one workspace's owners do not read about another's people.
InstanceOpt = Annotated[
    bool, typer.Option("--instance", help="The changes to users (disabled, reset links) instead of the workspace's.")
]


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@audit_cli.callback()
def listing(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="How many entries to show.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")] = False,
    instance: InstanceOpt = False,
) -> None:
    """The workspace's latest changes: when, who, what, to what."""
    if ctx.invoked_subcommand is not None:
        return
    from zeroparty.bootstrap import audit_service
    from zeroparty.services.audit import as_json as entry_json

    rt = runtime(settings(), create=False)
    entries = audit_service(rt.engine).list(None if instance else rt.workspace.id, limit)
    if as_json:
        print_json([entry_json(e) for e in entries])
        return
    if not entries:
        say("Nothing changed in this workspace yet.")
        return
    fields = (Field("when"), Field("actor", whole=True), Field("action", whole=True), Field("target"))
    show(fields, [(str(e.at)[:19], e.actor, e.action, e.target) for e in entries])


@audit_cli.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl (one JSON object a line).")] = (
        ExportFormat.csv
    ),
    instance: InstanceOpt = False,
) -> None:
    """Every entry of the workspace to stdout, newest first."""
    from zeroparty.bootstrap import audit_service

    rt = runtime(settings(), create=False)
    service = audit_service(rt.engine)
    of = None if instance else rt.workspace.id
    lines = service.csv_rows(of) if fmt is ExportFormat.csv else service.json_lines(of)
    for line in lines:
        sys.stdout.write(line)
