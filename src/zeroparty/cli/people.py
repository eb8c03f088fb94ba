"""`zeroparty people …`: what zeroparty holds about a person, and erasing it (here and in Braze).

`people erase` looks first, asks, then deletes: the profiles zeroparty wrote are found in each
destination that was sent something for the person (domain/erasure.py says which ones go), shown,
and deleted by braze_id once the operator agrees; the local erasure happens after the answer, so a
"no" leaves everything as it was. The steps are in services/erasure.py; cli/erasure.py shows the plan,
asks and reports."""

from __future__ import annotations

from typing import Annotated

import typer

from zeroparty.cli.app import app
from zeroparty.cli.common import fail

people_cli = typer.Typer(help="People who answered: erasure on request.", no_args_is_help=True)
app.add_typer(people_cli, name="people")


@people_cli.command("erase")
def erase(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before deleting the profiles found.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan and what was done as JSON; never asks (see --yes).")
    ] = False,
) -> None:
    """Erase a person here and in each Braze destination that was sent their data.

    First looks the person up in each such destination (/users/export/ids) and shows the profiles
    zeroparty wrote, then asks before deleting them by braze_id (--yes skips the question). Then
    responses, answers, outbox rows, delivery records and consent records go here, and the profiles
    in Braze. Logged under an HMAC of the address. Exit 1 if a destination is not done (a look-up or
    deletion failed): run the same command again to finish those."""
    from zeroparty.cli.erasure import erase_person
    from zeroparty.domain.experience.answers import normalize_email

    try:
        address = normalize_email(email)
    except ValueError as exc:
        fail(f"EMAIL: {exc}")
    erase_person(address, yes=yes, as_json=as_json)
