"""`zeroparty workspaces …`: the workspaces of this instance (one per brand)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from zeroparty.cli.actor import cli_actor
from zeroparty.cli.app import app
from zeroparty.cli.common import fail, iso, out, plain, print_json, runtime, settings, store
from zeroparty.cli.records import Field, say, show
from zeroparty.domain.workspaces import DEFAULT_SLUG
from zeroparty.errors import InvalidInput

if TYPE_CHECKING:
    pass

workspaces_cli = typer.Typer(help="Workspaces: one per brand; --workspace SLUG picks one.", no_args_is_help=True)
app.add_typer(workspaces_cli, name="workspaces")


@workspaces_cli.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="Lowercase letters, digits and '-', e.g. acme (used by --workspace).")],
    name: Annotated[str | None, typer.Option("--name", help="What people call it (default: the slug).")] = None,
) -> None:
    """Create a workspace."""
    from zeroparty.bootstrap import workspace_service

    # In the default workspace: the one `--workspace` names may be the one being made.
    rt = runtime(replace(settings(), workspace=DEFAULT_SLUG))
    try:
        made = workspace_service(rt.engine).create(slug, name, actor=cli_actor())
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Created workspace '{made.slug}' ({made.name}); use it with --workspace {made.slug}"))


@workspaces_cli.command("list")
def list_workspaces(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")] = False,
) -> None:
    """List the workspaces, oldest first."""
    from zeroparty.bootstrap import workspace_service

    found = workspace_service(store(settings())).list()
    if as_json:
        print_json([{"slug": w.slug, "name": w.name, "created_at": iso(w.created_at)} for w in found])
        return
    if not found:
        say("No workspaces: create one with `zeroparty workspaces create SLUG`.")
        return
    fields = (Field("slug", whole=True), Field("name"), Field("created"))
    show(fields, [(w.slug, w.name, str(w.created_at)[:19]) for w in found])
