"""`zeroparty destinations test` and `destinations backfill`: what a destination makes of a test
profile, and sending it the responses captured before it existed."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zeroparty.cli.app import destinations_cli
from zeroparty.cli.common import fail, now, out, plain, runtime, settings
from zeroparty.cli.destinations import call_braze, connection
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import EXPORT_FIELDS, braze_message, exported_users, key_verdict, track_succeeded
from zeroparty.errors import DeliveryError

if TYPE_CHECKING:
    from zeroparty.adapters.braze.client import BrazeClient, Timed
    from zeroparty.adapters.db.destinations import BrazeConnection
    from zeroparty.delivery.ports import SendResult


# -- test ----------------------------------------------------------------------------------------


def _show_json(title: str, value: Any) -> None:
    out.print(plain(title), highlight=False)
    out.print(plain(json.dumps(value, indent=2, ensure_ascii=False)), highlight=False)


async def _test_calls(
    client: BrazeClient, dest: BrazeConnection, body: dict[str, Any], email: str
) -> tuple[Timed, SendResult | None]:
    import asyncio

    sent = await client.timed_post(dest.endpoint, "/users/track", dest.api_key, body)
    if not track_succeeded(sent.result.status, sent.result.body):
        return sent, None
    # /users/track is processed asynchronously: give the profile a moment to appear.
    found: SendResult | None = None
    for delay in (0.0, 0.5, 1.0, 2.0):
        await asyncio.sleep(delay)
        found = await client.export_by_email(dest.endpoint, dest.api_key, email, list(EXPORT_FIELDS))
        if found.status == 403 or exported_users(found.status, found.body) != []:
            break
    return sent, found


def _show_profile(found: SendResult | None, key: str, email: str) -> None:
    if found is None:
        return
    if found.status == 403:
        out.print(
            plain("Profile: not shown: the key may not export (no users.export.ids permission, HTTP 403)"),
            highlight=False,
        )
        return
    users = exported_users(found.status, found.body)
    if users is None:
        said = scrub(braze_message(scrub_json(found.body, key)), key)
        out.print(plain(f"Profile: the export failed (HTTP {found.status} {said})"), highlight=False)
    elif not users:
        out.print(plain(f"Profile: Braze holds no profile for {email} yet (it may still be processing)"))
    else:
        _show_json("Profile as Braze holds it (/users/export/ids):", scrub_json(users, key))


@destinations_cli.command("test")
def test(
    name: Annotated[str, typer.Argument(help="The destination to send a test profile to.")],
    experience: Annotated[
        str | None, typer.Option(help="Use this published experience's mapping (default: the first one).")
    ] = None,
) -> None:
    """Send a test profile through the real mapping and settings; show what Braze made of it.

    The profile is zeroparty-test+<random>@example.com. Exit 0 only when Braze accepted it and the
    destination is not paused."""
    from zeroparty.domain.synthetic import synthetic_attributes, synthetic_email, synthetic_object

    rt = runtime(settings(), create=False)
    dest = connection(rt, name)
    published = list(rt.experiences.list_published())
    if experience is not None:
        published = [p for p in published if p.experience.slug == experience]
        if not published:
            fail(f"--experience: no published experience '{experience}'")
    exp = published[0].experience if published else None
    test_id = secrets.token_hex(4)
    email = synthetic_email(test_id)
    attributes = synthetic_attributes(exp, now().isoformat(timespec="seconds"))
    body = {"attributes": [synthetic_object(email, attributes, dest.settings, test_id)]}
    source = f"experience '{exp.slug}'" if exp is not None else "a synthetic set of attributes (no experience)"
    out.print(plain(f"Test send to '{name}' ({dest.endpoint}) with {source}."), highlight=False)
    _show_json(f"POST {dest.endpoint}/users/track", body)
    try:
        sent, found = call_braze(lambda c: _test_calls(c, dest, body, email))
    except DeliveryError as exc:
        fail(f"'{name}' is unreachable: {scrub(str(exc), dest.api_key)}")
    _show_json(
        f"Braze answered HTTP {sent.result.status} in {sent.latency_ms:.0f} ms:",
        scrub_json(sent.result.body, dest.api_key),
    )
    _show_profile(found, dest.api_key, email)
    _test_verdict(name, dest, sent.result)


def _test_verdict(name: str, dest: BrazeConnection, result: SendResult) -> None:
    if not track_succeeded(result.status, result.body):
        verdict = key_verdict(dest.endpoint, result.status, scrub_json(result.body, dest.api_key))
        reason = verdict.message if verdict.kind != "ok" else f"Braze refused the test profile (HTTP {result.status})"
        fail(f"test failed: {scrub(reason, dest.api_key)}")
    if dest.paused_reason is not None:
        fail(
            f"Braze accepted the test, but '{name}' is paused ({dest.paused_reason}): nothing is delivered until "
            f"`zeroparty destinations resume {name}` (or update-key)"
        )
    out.print(plain(f"Test passed: Braze accepted the profile for '{name}'."), highlight=False)


# -- backfill --------------------------------------------------------------------------------------


@destinations_cli.command("backfill")
def backfill(
    name: Annotated[str, typer.Argument(help="The destination to send the existing responses to.")],
    since: Annotated[
        str | None,
        typer.Option(help="Only responses created at or after this ISO date (YYYY-MM-DD, midnight UTC) or time."),
    ] = None,
) -> None:
    """Send a destination each respondent's current profile, as their stored answers make it.

    Queued in the outbox like any response: values the destination already holds are not sent
    again, so running it twice costs nothing. Responses without an email are skipped."""
    from rich.progress import Progress

    from zeroparty.adapters.db.backfill import CHUNK as BACKFILL_CHUNK
    from zeroparty.adapters.db.backfill import SqlBackfill
    from zeroparty.domain.backfill import parse_since

    try:
        start = parse_since(since) if since is not None else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    rt = runtime(settings(), create=False)
    dest = connection(rt, name)
    store = SqlBackfill(rt.engine)
    emails = store.respondents(start)
    queued = 0
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("Queueing profiles", total=len(emails))  # a description is markup: no names
        for n in range(0, len(emails), BACKFILL_CHUNK):
            chunk = emails[n : n + BACKFILL_CHUNK]
            queued += store.queue(dest.id, chunk, start, now())
            progress.advance(task, len(chunk))
    window = f" created since {start:%Y-%m-%d %H:%M:%S} UTC" if start is not None else ""
    out.print(
        plain(
            f"Queued {queued} profile(s) for '{name}' from {len(emails)} respondent(s) with responses{window}; "
            "values it already holds are not sent again."
        ),
        highlight=False,
    )
    if dest.paused_reason is not None:
        out.print(plain(f"'{name}' is paused ({dest.paused_reason}): they go out once it resumes."), highlight=False)
