"""`zeroparty destinations test` and `destinations backfill`: what a destination makes of a test
profile, and sending it the responses captured before it existed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zeroparty.cli.app import destinations_cli
from zeroparty.cli.common import err, fail, out, plain, runtime, settings
from zeroparty.cli.destinations import destinations
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import (
    braze_message,
    delete_outcome,
    exported_users,
    key_verdict,
    missing_permission_advice,
    track_succeeded,
)
from zeroparty.errors import DeliveryError, InvalidInput

if TYPE_CHECKING:
    from zeroparty.domain.synthetic import SyntheticPerson, SyntheticSend
    from zeroparty.services.destination_backfill import Queued
    from zeroparty.services.destination_probe import TimedAnswer
    from zeroparty.services.destination_types import BrazeAnswer, BrazeConnection


# -- test ----------------------------------------------------------------------------------------


def _show_json(title: str, value: Any) -> None:
    out.print(plain(title), highlight=False)
    out.print(plain(json.dumps(value, indent=2, ensure_ascii=False)), highlight=False)


def _answered(dest: BrazeConnection, sent: TimedAnswer) -> None:
    _show_json(
        f"Braze answered HTTP {sent.result.status} in {sent.latency_ms:.0f} ms:",
        scrub_json(sent.result.body, dest.api_key),
    )


def _show_profile(found: BrazeAnswer | None, key: str, person: SyntheticPerson) -> None:
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


def _show_cleanup(deleted: BrazeAnswer | None, dest: BrazeConnection, person: SyntheticPerson) -> None:
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
    from zeroparty.bootstrap import destination_calls
    from zeroparty.domain.synthetic import NotSendable

    try:
        plan = destinations(create=False).test_plan(name, experience)
    except InvalidInput as exc:
        fail(str(exc))
    except NotSendable as exc:
        fail(f"test failed: {exc}")
    dest, exp, send = plan.dest, plan.experience, plan.send
    source = f"experience '{exp.slug}'" if exp is not None else "a synthetic set of attributes (no experience)"
    out.print(
        plain(f"Test send to '{name}' ({dest.endpoint}) with {source}, as {send.identity.shown}."), highlight=False
    )
    if send.identify is not None:
        _show_json(f"POST {dest.endpoint}/users/identify", send.identify)
    try:
        answers = destination_calls().test_send(dest, send, cleanup=cleanup)
    except DeliveryError as exc:
        fail(f"'{name}' is unreachable: {scrub(str(exc), dest.api_key)}")
    if answers.identified is not None:
        _answered(dest, answers.identified)
        _identify_verdict(dest, answers.identified.result)
    sent = answers.sent
    assert sent is not None
    _show_json(f"POST {dest.endpoint}/users/track", send.track)
    _answered(dest, sent)
    _show_points(send)
    _show_profile(answers.found, dest.api_key, send.identity)
    _show_cleanup(answers.deleted, dest, send.identity)
    _test_verdict(name, dest, sent.result)


def _identify_verdict(dest: BrazeConnection, result: BrazeAnswer) -> None:
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


def _test_verdict(name: str, dest: BrazeConnection, result: BrazeAnswer) -> None:
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

    from zeroparty.bootstrap import backfill_service
    from zeroparty.domain.backfill import parse_since

    try:
        start = parse_since(since) if since is not None else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    service = backfill_service(runtime(settings(), create=False))
    try:
        plan = service.plan(name, start)
    except InvalidInput as exc:
        fail(str(exc))
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("Queueing profiles", total=len(plan.emails))  # a description is markup: no names
        queued = service.run(plan, with_consent=with_consent, advanced=lambda n: progress.advance(task, n))
    _say_backfilled(name, plan.dest, queued, len(plan.emails), start, with_consent)


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
