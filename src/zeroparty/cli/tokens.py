"""`zeroparty tokens …`: operator API tokens for the JSON API, /docs and /metrics."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from zeroparty.cli.app import app
from zeroparty.cli.common import err, fail, now, out, plain, runtime, settings
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
) -> None:
    """Create a token and print it once; only a digest of it is kept."""
    rt = runtime(settings())
    try:
        token = rt.tokens.create(name, now(), replace=replace)
    except InvalidInput as exc:
        fail(str(exc))
    # The token alone on stdout, so `TOKEN=$(zeroparty tokens create ci)` works; the advice on stderr.
    print(token)
    done = "created (any earlier token of that name is revoked)" if replace else "created"
    err.print(plain(f"Token '{name}' {done}. It is shown only this once: keep it somewhere safe."), highlight=False)


@tokens_cli.command("list")
def list_tokens() -> None:
    """List tokens (never their values)."""
    rt = runtime(settings())
    table = Table("name", "token", "created", "last used", "status")
    for t in rt.tokens.list():
        status = "active" if t.revoked_at is None else f"revoked {_when(t.revoked_at)}"
        table.add_row(plain(t.name), plain(t.hint), _when(t.created_at), _when(t.last_used_at), status)
    out.print(table)


@tokens_cli.command("revoke")
def revoke(name: str) -> None:
    """Revoke a token: requests carrying it are refused from now on, and its browser sessions end."""
    rt = runtime(settings())
    try:
        rt.tokens.revoke(name, now())
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Revoked '{name}'"), highlight=False)
