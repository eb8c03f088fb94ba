"""`zeroparty destinations test` and `destinations backfill`: what a destination makes of a test
profile, and sending it the responses captured before it existed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zeroparty.cli.app import destinations_cli
from zeroparty.cli.common import err, fail, now, out, plain, runtime, settings
from zeroparty.cli.destinations import call_braze, connection
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import (
    EXPORT_FIELDS,
    braze_message,
    delete_outcome,
    exported_users,
    key_verdict,
    missing_permission_advice,
    track_succeeded,
)
from zeroparty.errors import DeliveryError

if TYPE_CHECKING:
    from zeroparty.adapters.braze.client import BrazeClient, Timed
    from zeroparty.adapters.db.backfill import Queued
    from zeroparty.delivery.ports import SendResult
    from zeroparty.domain.synthetic import SyntheticPerson, SyntheticSend
    from zeroparty.services.destination_types import BrazeConnection


# -- test ----------------------------------------------------------------------------------------


def _show_json(title: str, value: Any) -> None:
    out.print(plain(title), highlight=False)
    out.print(plain(json.dumps(value, indent=2, ensure_ascii=False)), highlight=False)


def _answered(dest: BrazeConnection, sent: Timed) -> None:
    _show_json(
        f"Braze answered HTTP {sent.result.status} in {sent.latency_ms:.0f} ms:",
        scrub_json(sent.result.body, dest.api_key),
    )


async def _find(client: BrazeClient, dest: BrazeConnection, person: SyntheticPerson) -> SendResult:
    """The test profile as Braze holds it. /users/track is processed asynchronously: the profile
    may take a moment to appear, so the export is asked again for up to about 3.5 s."""
    import asyncio

    query = {**person.export_query(), "fields_to_export": list(EXPORT_FIELDS)}
    found: SendResult | None = None
    for delay in (0.0, 0.5, 1.0, 2.0):
        await asyncio.sleep(delay)
        found = await client.post(dest.endpoint, "/users/export/ids", dest.api_key, query)
        if found.status == 403 or exported_users(found.status, found.body) != []:
            break
    assert found is not None
    return found


async def _test_calls(
    client: BrazeClient, dest: BrazeConnection, send: SyntheticSend, cleanup: bool
) -> tuple[Timed | None, Timed | None, SendResult | None, SendResult | None]:
    """(identify answer, track answer, export answer, delete answer): each None when not reached."""
    identified = None
    if send.identify is not None:
        identified = await client.timed_post(dest.endpoint, "/users/identify", dest.api_key, send.identify)
        if not 200 <= identified.result.status < 300:
            return identified, None, None, None
    sent = await client.timed_post(dest.endpoint, "/users/track", dest.api_key, send.track)
    if not 200 <= sent.result.status < 300:
        return identified, sent, None, None
    found = await _find(client, dest, send.identity)
    deleted = None
    if cleanup:
        deleted = await client.post(dest.endpoint, "/users/delete", dest.api_key, send.identity.delete_query())
    return identified, sent, found, deleted


def _show_profile(found: SendResult | None, key: str, person: SyntheticPerson) -> None:
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
        out.print(plain(f"Profile: Braze holds no profile for {person.shown} yet (it may still be processing)"))
    else:
        _show_json("Profile as Braze holds it (/users/export/ids):", scrub_json(users, key))


def _show_points(send: SyntheticSend) -> None:
    events = len(send.track.get("events", []))
    out.print(
        plain(
            f"Data points: {send.points} ({send.points - events} attribute(s), {events} event(s); identifiers and "
            "subscription states cost none)."
        ),
        highlight=False,
    )


def _show_cleanup(deleted: SendResult | None, dest: BrazeConnection, person: SyntheticPerson) -> None:
    if deleted is None:
        return
    done, said = delete_outcome(deleted.status, scrub_json(deleted.body, dest.api_key))
    if done:
        out.print(plain(f"Cleanup: the test profile {person.shown} was {said}."), highlight=False)
    else:
        err.print(plain(f"warning: cleanup: the test profile {person.shown} was not deleted: {said}"), highlight=False)


@destinations_cli.command("test")
def test(
    name: Annotated[str, typer.Argument(help="The destination to send a test profile to.")],
    experience: Annotated[
        str | None, typer.Option(help="Use this published experience's mapping (default: the first one).")
    ] = None,
    cleanup: Annotated[
        bool, typer.Option("--cleanup", help="Delete the test profile in Braze afterwards (/users/delete).")
    ] = False,
) -> None:
    """Send a completed test response as a real delivery would; show what Braze made of it.

    The test person is the same every run: zeroparty-test+<name>@example.com (and the external id
    zeroparty-test-<name> on an external_id destination). Exit 0 only when Braze accepted it and
    the destination is not paused."""
    from zeroparty.domain.synthetic import NotSendable, synthetic_send

    rt = runtime(settings(), create=False)
    dest = connection(rt, name)
    published = list(rt.experiences.list_published())
    if experience is not None:
        published = [p for p in published if p.experience.slug == experience]
        if not published:
            fail(f"--experience: no published experience '{experience}'")
    chosen = published[0] if published else None
    exp = chosen.experience if chosen is not None else None
    try:
        send = synthetic_send(name, dest.settings, exp, chosen.version if chosen else None, now())
    except NotSendable as exc:
        fail(f"test failed: {exc}")
    source = f"experience '{exp.slug}'" if exp is not None else "a synthetic set of attributes (no experience)"
    out.print(
        plain(f"Test send to '{name}' ({dest.endpoint}) with {source}, as {send.identity.shown}."), highlight=False
    )
    if send.identify is not None:
        _show_json(f"POST {dest.endpoint}/users/identify", send.identify)
    try:
        identified, sent, found, deleted = call_braze(lambda c: _test_calls(c, dest, send, cleanup))
    except DeliveryError as exc:
        fail(f"'{name}' is unreachable: {scrub(str(exc), dest.api_key)}")
    if identified is not None:
        _answered(dest, identified)
        _identify_verdict(dest, identified.result)
    assert sent is not None
    _show_json(f"POST {dest.endpoint}/users/track", send.track)
    _answered(dest, sent)
    _show_points(send)
    _show_profile(found, dest.api_key, send.identity)
    _show_cleanup(deleted, dest, send.identity)
    _test_verdict(name, dest, sent.result)


def _identify_verdict(dest: BrazeConnection, result: SendResult) -> None:
    if 200 <= result.status < 300:
        return
    if result.status == 403:
        reason = missing_permission_advice("users.identify", "/users/identify")
    else:
        reason = key_verdict(dest.endpoint, result.status, scrub_json(result.body, dest.api_key)).message
        if result.status == 400:
            said = braze_message(scrub_json(result.body, dest.api_key))
            reason = f"Braze refused the identify step (HTTP 400 {said!r})"
    fail(f"test failed: {scrub(reason, dest.api_key)}; nothing was sent to /users/track")


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
    with_consent: Annotated[
        bool,
        typer.Option(
            "--with-consent",
            help="Also send subscription states as the responses left them. Risky: it re-subscribes whoever "
            "unsubscribed in Braze since.",
        ),
    ] = False,
) -> None:
    """Send a destination each respondent's current profile, as their stored answers make it.

    Queued in the outbox like any response: values the destination already holds are not sent
    again, so running it twice costs nothing. Responses without an email are skipped; so are
    respondents without a signed external id when the destination names people by external id.
    No subscription state is sent unless --with-consent."""
    from rich.progress import Progress

    from zeroparty.adapters.db.backfill import CHUNK as BACKFILL_CHUNK
    from zeroparty.adapters.db.backfill import Queued, SqlBackfill
    from zeroparty.domain.backfill import parse_since

    try:
        start = parse_since(since) if since is not None else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    rt = runtime(settings(), create=False)
    dest = connection(rt, name)
    by_external_id = dest.settings.identity == "external_id"
    store = SqlBackfill(rt.engine)
    emails = store.respondents(start)
    queued = Queued()
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("Queueing profiles", total=len(emails))  # a description is markup: no names
        for n in range(0, len(emails), BACKFILL_CHUNK):
            chunk = emails[n : n + BACKFILL_CHUNK]
            queued += store.queue(
                dest.id, chunk, start, now(), by_external_id=by_external_id, with_consent=with_consent
            )
            progress.advance(task, len(chunk))
    _say_backfilled(name, dest, queued, len(emails), start, with_consent)


def _say_backfilled(
    name: str, dest: BrazeConnection, queued: Queued, respondents: int, start: datetime | None, with_consent: bool
) -> None:
    window = f" created since {start:%Y-%m-%d %H:%M:%S} UTC" if start is not None else ""
    lines = [
        f"Queued {queued.rows} profile(s) for '{name}' from {respondents} respondent(s) with responses{window}; "
        "values it already holds are not sent again.",
        "Subscription states sent as the responses left them (--with-consent)."
        if with_consent
        else "Subscription states not sent (pass --with-consent to send them).",
    ]
    if queued.without_external_id:
        lines.append(
            f"Skipped {queued.without_external_id} respondent(s) without a signed external id: '{name}' names "
            "people by external_id."
        )
    if dest.paused_reason is not None:
        lines.append(f"'{name}' is paused ({dest.paused_reason}): they go out once it resumes.")
    for line in lines:
        out.print(plain(line), highlight=False)
