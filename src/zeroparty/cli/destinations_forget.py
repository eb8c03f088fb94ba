"""`zeroparty destinations forget NAME (--email ADDRESS… | --all)`: drop the record of what a
destination holds, so the next delivery sends every value again (for when Braze changed outside
zeroparty: a profile deleted or edited there)."""

from __future__ import annotations

from typing import Annotated

import typer

from zeroparty.cli.app import destinations_cli
from zeroparty.cli.common import confirm, fail, out, plain, runtime, settings
from zeroparty.errors import InvalidInput


def _normalised(addresses: list[str]) -> list[str]:
    """Each address as capture stores it, or exit 1 naming the one that is not an address."""
    from zeroparty.domain.experience.answers import normalize_email

    found: list[str] = []
    for address in addresses:
        try:
            found.append(normalize_email(address))
        except ValueError as exc:
            fail(f"--email: {address!r} is not a valid email address: {exc}")
    return list(dict.fromkeys(found))


@destinations_cli.command("forget")
def forget(
    name: Annotated[str, typer.Argument(help="The destination whose records to drop.")],
    emails: Annotated[
        list[str] | None,
        typer.Option("--email", help="A person whose records to drop (repeat for several).", show_default=False),
    ] = None,
    forget_all: Annotated[bool, typer.Option("--all", help="Drop every record of the destination.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before forgetting --all.")] = False,
) -> None:
    """Forget what a destination holds: its next delivery of these people sends every value again.

    For when a profile changed in Braze (deleted, or an attribute cleared there): zeroparty would
    otherwise leave out the values it recorded as held. Nothing is sent by this command."""
    from zeroparty.bootstrap import forget_service

    emails = emails or []
    if forget_all and emails:
        fail("--all: give either --email or --all, not both")
    if not forget_all and not emails:
        fail("--email: name the people to forget (--email ADDRESS, repeatable), or pass --all")
    addresses = _normalised(emails)
    service = forget_service(runtime(settings(), create=False))
    try:
        dest_id = service.destination_id(name)
    except InvalidInput as exc:
        fail(str(exc))
    if forget_all:
        held = service.held(dest_id)
        if held and not yes and not confirm(f"Forget all {held} record(s) of what '{name}' holds?"):
            fail("--all: not confirmed, nothing was forgotten (pass --yes to forget without asking)")
        dropped = service.forget_all(dest_id)
    else:
        dropped = service.forget_people(dest_id, addresses)
    whom = "" if forget_all else f" for {', '.join(addresses)}"
    out.print(
        plain(
            f"Forgot {dropped} record(s) of what '{name}' holds{whom}: the next delivery to it sends every value again."
        ),
        highlight=False,
    )
