"""`zeroparty people …`: what zeroparty holds about a person, and erasing it (here and in Braze)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from zeroparty.cli.app import app
from zeroparty.cli.common import err, fail, now, out, plain, runtime, settings
from zeroparty.cli.destinations import braze_client
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import delete_outcome, email_sha256_hex
from zeroparty.errors import DeliveryError, InvalidInput

if TYPE_CHECKING:
    from zeroparty.adapters.braze.client import BrazeClient
    from zeroparty.adapters.db.destinations import SqlDestinations
    from zeroparty.adapters.db.people import BrazeCall

people_cli = typer.Typer(help="People who answered: erasure on request.", no_args_is_help=True)
app.add_typer(people_cli, name="people")


async def _delete_at(
    client: BrazeClient, stored: SqlDestinations, name: str, email: str, external_ids: list[str]
) -> BrazeCall:
    """Ask one destination to delete the profile; what happened, in words for the log."""
    from zeroparty.adapters.db.people import BrazeCall

    try:
        dest = stored.connection(name)
    except InvalidInput:
        return BrazeCall(
            name, "not called: the destination no longer exists; delete the profile in Braze by hand", False
        )
    try:
        if dest.settings.identity == "user_alias":
            result = await client.delete_by_alias(dest.endpoint, dest.api_key, email, dest.settings.alias_label)
        elif dest.settings.identity == "external_id" and external_ids:
            result = await client.delete_by_external_ids(dest.endpoint, dest.api_key, external_ids)
        else:
            result = await client.delete_by_email(dest.endpoint, dest.api_key, email)
    except DeliveryError as exc:
        return BrazeCall(name, f"failed: {scrub(str(exc), dest.api_key)}", False)
    done, outcome = delete_outcome(result.status, scrub_json(result.body, dest.api_key))
    return BrazeCall(name, scrub(outcome, dest.api_key), done)


@people_cli.command("erase")
def erase(email: Annotated[str, typer.Argument(help="The person's email address.")]) -> None:
    """Erase a person here and in each Braze destination that received their data.

    Responses, answers, outbox rows, delivery history and consent records go at once; then each
    Braze destination that received something is asked to delete the profile. Logged without the
    address. Exit 1 if a Braze call failed: run it again to retry those."""
    from zeroparty.adapters.db.people import SqlPeople
    from zeroparty.domain.answers import normalize_email

    try:
        address = normalize_email(email)
    except ValueError as exc:
        fail(f"EMAIL: {exc}")
    rt = runtime(settings(), create=False)
    people = SqlPeople(rt.engine, rt.box)
    digest = email_sha256_hex(address)
    try:
        local = people.erase(address, digest, now())
    except InvalidInput as exc:
        fail(str(exc))
    deleted = ", ".join(f"{n} {table}" for table, n in sorted(local.rows.items())) or "nothing was stored"
    out.print(plain(f"Erased {address} here: {deleted}."), highlight=False)

    async def calls() -> list[BrazeCall]:
        client = braze_client()
        try:
            return [
                await _delete_at(client, rt.destinations, name, address, local.external_ids.get(name, []))
                for name in local.destinations
            ]
        finally:
            await client.aclose()

    import asyncio

    results = asyncio.run(calls()) if local.destinations else []
    people.record_calls(local.erasure_id, results, local.external_ids)
    if not results:
        out.print(plain("No Braze destination received anything for this address."), highlight=False)
    for call in results:
        again = " (retried from an earlier erasure)" if call.destination in local.retried else ""
        out.print(plain(f"  {call.destination}: {call.outcome}{again}"), highlight=False)
    out.print(plain(f"Logged as erasure #{local.erasure_id} (SHA-256 of the address: {digest})."), highlight=False)
    failed = [c.destination for c in results if not c.done]
    if failed:
        err.print(
            plain(
                f"error: Braze did not delete the profile at {', '.join(failed)}; the local erasure is done. "
                "Fix the cause and run the same command again: it retries only those."
            ),
            highlight=False,
        )
        raise typer.Exit(1)
