"""`zeroparty tokens …`: operator API tokens for the JSON API, /docs and /metrics."""

from __future__ import annotations

from typing import Annotated

import typer

from zeroparty.cli.actor import cli_actor
from zeroparty.cli.app import app
from zeroparty.cli.common import err, fail, iso, out, plain, print_json, runtime, settings
from zeroparty.cli.records import Field, say, show
from zeroparty.cli.workspace_scope import store_in_workspace
from zeroparty.domain.roles import Role
from zeroparty.errors import InvalidInput

tokens_cli = typer.Typer(help="Operator API tokens (Authorization: Bearer …).", no_args_is_help=True)
app.add_typer(tokens_cli, name="tokens")


def _when(value: object) -> str:
    return "" if value is None else str(value)[:19]


@tokens_cli.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. ci or grafana.")],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Revoke the active token of this name (if any) and print a new one."),
    ] = False,
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            case_sensitive=False,
            help="What it may do in the workspace: owner (everything), editor or viewer (reads only).",
        ),
    ] = Role.OWNER,
) -> None:
    """Create a token for the workspace and print it once; only a digest of it is kept."""
    from zeroparty.bootstrap import operator_token_service

    rt = runtime(settings())
    try:
        service = operator_token_service(rt.engine, rt.workspace.id)
        token = service.create(name, role=role, replace=replace, actor=cli_actor())
    except InvalidInput as exc:
        fail(str(exc))
    # The token alone on stdout, so `TOKEN=$(zeroparty tokens create ci)` works; the advice on stderr.
    print(token)
    done = "created (any earlier token of that name is revoked)" if replace else "created"
    err.print(
        plain(f"Token '{name}' ({role.value}) {done}. It is shown only this once: keep it somewhere safe."),
        highlight=False,
    )


@tokens_cli.command("list")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")] = False,
) -> None:
    """List the workspace's tokens (never their values) with their roles."""
    from zeroparty.bootstrap import operator_token_service

    tokens = operator_token_service(*store_in_workspace()).tokens()
    if as_json:
        print_json(
            [
                {
                    "name": t.name,
                    "hint": t.hint,
                    "role": t.role.value,
                    "created_at": iso(t.created_at),
                    "last_used_at": iso(t.last_used_at),
                    "revoked_at": iso(t.revoked_at),
                    "active": t.revoked_at is None,
                }
                for t in tokens
            ]
        )
        return
    if not tokens:
        say("No tokens yet: create one with `zeroparty tokens create NAME`.")
        return
    fields = (
        Field("name", whole=True),
        Field("token", whole=True),
        Field("role"),
        Field("created"),
        Field("last used"),
        Field("status"),
    )
    rows = [
        (
            t.name,
            t.hint,
            t.role.value,
            _when(t.created_at),
            _when(t.last_used_at) or "never",
            "active" if t.revoked_at is None else f"revoked {_when(t.revoked_at)}",
        )
        for t in tokens
    ]
    show(fields, rows)


@tokens_cli.command("revoke")
def revoke(name: str) -> None:
    """Revoke a token: requests carrying it are refused from now on, and its browser sessions end."""
    from zeroparty.bootstrap import operator_token_service

    rt = runtime(settings(), create=False)  # nothing to revoke in a store that does not exist
    try:
        operator_token_service(rt.engine, rt.workspace.id).revoke(name, actor=cli_actor())
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Revoked '{name}'"), highlight=False)
