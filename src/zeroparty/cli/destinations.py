"""`zeroparty destinations …`: where captured data is sent."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from zeroparty.cli.app import destinations_cli
from zeroparty.cli.common import fail, now, out, plain, runtime, settings
from zeroparty.domain.braze_instances import resolve_endpoint
from zeroparty.errors import InvalidInput


@destinations_cli.command("add-braze")
def add_braze(
    name: Annotated[str, typer.Argument(help="A name for this destination.")],
    endpoint: Annotated[str, typer.Option(help="Braze REST endpoint or instance name (US-01 … KR-01).")],
) -> None:
    """Add a Braze destination. The key comes from ZEROPARTY_BRAZE_API_KEY or a hidden prompt."""
    try:
        url = resolve_endpoint(endpoint)
    except ValueError as exc:
        fail(f"--endpoint: {exc}")
    if not name.strip() or len(name) > 100:
        fail("NAME: must be 1 to 100 characters")
    key = os.environ.get("ZEROPARTY_BRAZE_API_KEY") or typer.prompt("Braze REST API key", hide_input=True)
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        fail("API key: must be non-empty and contain no spaces")
    rt = runtime(settings())
    try:
        rt.destinations.add_braze(name, url, key, now())
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Added Braze destination '{name}' → {url}"))


@destinations_cli.command("list")
def list_destinations() -> None:
    """List destinations (keys masked) with their queue counts."""
    rt = runtime(settings())
    table = Table("name", "endpoint", "key", "status", "pending", "delivered", "dead")
    for d in rt.destinations.list():
        status = "active" if d.paused_reason is None else f"paused: {d.paused_reason}"
        cells = (d.name, d.endpoint, d.key_hint, status, d.pending, d.delivered, d.dead)
        table.add_row(*(plain(cell) for cell in cells))
    out.print(table)


@destinations_cli.command("resume")
def resume_destination(name: str) -> None:
    """Resume a paused destination (after fixing its key, for instance)."""
    rt = runtime(settings())
    try:
        rt.destinations.resume(name)
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Resumed '{name}'"))
