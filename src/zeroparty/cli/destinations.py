"""`zeroparty destinations …`: where captured data is sent, and full control over each destination:
its key (checked with Braze before it is saved), its settings, a test send, and removal."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
import yaml
from rich.progress import Progress
from rich.table import Table

from zeroparty.adapters.braze.client import BrazeClient, Timed
from zeroparty.adapters.db.backfill import CHUNK as BACKFILL_CHUNK
from zeroparty.adapters.db.backfill import SqlBackfill
from zeroparty.adapters.db.destinations import BrazeConnection
from zeroparty.bootstrap import Runtime
from zeroparty.cli.app import destinations_cli
from zeroparty.cli.common import err, fail, now, out, plain, runtime, settings
from zeroparty.delivery.ports import SendResult
from zeroparty.domain.backfill import parse_since
from zeroparty.domain.braze_instances import resolve_endpoint
from zeroparty.domain.destination_config import (
    apply_assignments,
    destination_file,
    summary,
    synthetic_attributes,
    synthetic_email,
    synthetic_object,
)
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import (
    EXPORT_FIELDS,
    Verdict,
    braze_message,
    exported_users,
    key_verdict,
    track_succeeded,
    unreachable_verdict,
)
from zeroparty.errors import DeliveryError, InvalidInput

T = TypeVar("T")
# One-shot commands wait less than the worker: an operator is watching.
CLI_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
KEY_ENV = "ZEROPARTY_BRAZE_API_KEY"
NoVerifyOpt = Annotated[bool, typer.Option("--no-verify", help="Save the key without checking it with Braze.")]


def _fail_invalid(exc: InvalidInput) -> NoReturn:
    """Every problem on its own line, naming its key; exit 1."""
    for problem in exc.errors:
        err.print(plain(f"error: {problem}"), highlight=False)
    raise typer.Exit(1)


def _read_key() -> str:
    key = os.environ.get(KEY_ENV) or typer.prompt("Braze REST API key", hide_input=True)
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        fail("API key: must be non-empty and contain no spaces")
    return key


def _call(fn: Callable[[BrazeClient], Awaitable[T]]) -> T:
    async def go() -> T:
        client = BrazeClient(timeout=CLI_TIMEOUT)
        try:
            return await fn(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _check_key(endpoint: str, key: str) -> Verdict:
    """Braze's verdict on `key` at `endpoint`, from a call that writes nothing."""
    try:
        timed = _call(lambda c: c.verify(endpoint, key))
    except DeliveryError as exc:
        return unreachable_verdict(scrub(str(exc), key))
    verdict = key_verdict(endpoint, timed.result.status, scrub_json(timed.result.body, key))
    return Verdict(verdict.kind, scrub(verdict.message, key) + f" ({timed.latency_ms:.0f} ms)")


def _verified(endpoint: str, key: str, no_verify: bool) -> None:
    """Exit 1 with Braze's verdict unless the key works at `endpoint`; nothing is saved then."""
    if no_verify:
        out.print(plain("Key not checked (--no-verify)."), highlight=False)
        return
    verdict = _check_key(endpoint, key)
    if not verdict.ok:
        fail(f"API key: {verdict.message}; nothing was saved (--no-verify saves a key without this check)")
    out.print(plain(f"Key checked with Braze: {verdict.message}."), highlight=False)


def _valid_name(name: str) -> None:
    if not name.strip() or len(name) > 100:
        fail("NAME: must be 1 to 100 characters")


@destinations_cli.command("add-braze")
def add_braze(
    name: Annotated[str, typer.Argument(help="A name for this destination.")],
    endpoint: Annotated[str, typer.Option(help="Braze REST endpoint or instance name (US-01 … KR-01).")],
    no_verify: NoVerifyOpt = False,
) -> None:
    """Add a Braze destination, its key checked with Braze first.

    The key comes from ZEROPARTY_BRAZE_API_KEY or a hidden prompt; the check writes nothing."""
    try:
        url = resolve_endpoint(endpoint)
    except ValueError as exc:
        fail(f"--endpoint: {exc}")
    _valid_name(name)
    key = _read_key()
    rt = runtime(settings())
    if any(d.name == name for d in rt.destinations.list()):
        fail(f"name: a destination named '{name}' already exists")
    _verified(url, key, no_verify)
    try:
        rt.destinations.add_braze(name, url, key, now())
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Added Braze destination '{name}' → {url}"))


@destinations_cli.command("list")
def list_destinations() -> None:
    """List destinations (keys masked) with their queue counts and non-default settings."""
    rt = runtime(settings())
    table = Table("name", "endpoint", "key", "status", "pending", "delivered", "dead", "settings")
    for d in rt.destinations.list():
        status = "active" if d.paused_reason is None else f"paused: {d.paused_reason}"
        cells = (d.name, d.endpoint, d.key_hint, status, d.pending, d.delivered, d.dead, summary(d.settings))
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


def _connection(rt: Runtime, name: str) -> BrazeConnection:
    try:
        return rt.destinations.connection(name)
    except InvalidInput as exc:
        fail(str(exc))


@destinations_cli.command("update-key")
def update_key(
    name: Annotated[str, typer.Argument(help="The destination whose key to replace.")],
    no_verify: NoVerifyOpt = False,
) -> None:
    """Replace a destination's key, checked with Braze first; a paused destination resumes.

    The key comes from ZEROPARTY_BRAZE_API_KEY or a hidden prompt."""
    rt = runtime(settings())
    dest = _connection(rt, name)
    key = _read_key()
    _verified(dest.endpoint, key, no_verify)
    was_paused = rt.destinations.update_key(name, key)
    out.print(plain(f"Replaced the key of '{name}'."), highlight=False)
    if was_paused is not None:
        out.print(plain(f"Resumed '{name}' (it was paused: {was_paused})"), highlight=False)


@destinations_cli.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The destination to remove.")],
    force: Annotated[
        bool, typer.Option("--force", help="Remove it even though rows still wait to be delivered to it.")
    ] = False,
) -> None:
    """Remove a destination with its outbox rows and delivery history (one transaction)."""
    rt = runtime(settings())
    try:
        removed = rt.destinations.remove(name, force=force)
    except InvalidInput as exc:
        fail(str(exc))
    dropped = f", {removed.waiting} of them never delivered" if removed.waiting else ""
    out.print(
        plain(
            f"Removed '{name}' with its {removed.outbox_rows} outbox row(s){dropped} and "
            f"{removed.attempts} delivery record(s)"
        ),
        highlight=False,
    )


@destinations_cli.command("set")
def set_settings(
    name: Annotated[str, typer.Argument(help="The destination to configure.")],
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="key=value (key= resets it), map.entry=value (renames.skin_type=skin), set+=value / set-=value "
            "(exclude+=first_name).",
            show_default=False,
        ),
    ],
) -> None:
    """Change a destination's settings; all of them are checked before any is saved."""
    rt = runtime(settings())
    try:
        current = rt.destinations.settings(name)
    except InvalidInput as exc:
        fail(str(exc))
    try:
        updated = apply_assignments(current, assignments)
    except InvalidInput as exc:
        _fail_invalid(exc)
    if updated == current:
        out.print(plain(f"'{name}' is unchanged: {summary(current)}"), highlight=False)
        return
    rt.destinations.set_settings(name, updated)
    out.print(plain(f"Updated '{name}': {summary(updated)}"), highlight=False)


def _load_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"FILE: cannot read {path}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"FILE: {path} is not UTF-8 text")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        fail(f"{path}{where}: YAML syntax error: {getattr(exc, 'problem', None) or exc}")


@destinations_cli.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="YAML: name, endpoint, settings (never the key).")],
    no_verify: NoVerifyOpt = False,
) -> None:
    """Create or update a destination from a YAML file (name, endpoint, settings).

    A new destination's key comes from ZEROPARTY_BRAZE_API_KEY or a hidden prompt; an existing one
    keeps its key."""
    try:
        wanted = destination_file(_load_file(file))
    except InvalidInput as exc:
        _fail_invalid(exc)
    rt = runtime(settings())
    existing = next((d for d in rt.destinations.list() if d.name == wanted.name), None)
    if existing is None:
        key = _read_key()
        _verified(wanted.endpoint, key, no_verify)
        rt.destinations.add_braze(wanted.name, wanted.endpoint, key, now(), wanted.settings)
        out.print(plain(f"Created '{wanted.name}' → {wanted.endpoint}: {summary(wanted.settings)}"), highlight=False)
        return
    if existing.endpoint == wanted.endpoint and existing.settings == wanted.settings:
        out.print(plain(f"'{wanted.name}' is unchanged"), highlight=False)
        return
    if existing.endpoint != wanted.endpoint:
        # The stored key must work at the new endpoint too: a key belongs to one instance.
        _verified(wanted.endpoint, rt.destinations.connection(wanted.name).api_key, no_verify)
    rt.destinations.set_settings(wanted.name, wanted.settings, endpoint=wanted.endpoint)
    out.print(plain(f"Updated '{wanted.name}' → {wanted.endpoint}: {summary(wanted.settings)}"), highlight=False)


# -- test ----------------------------------------------------------------------------------------


def _show_json(title: str, value: Any) -> None:
    out.print(plain(title), highlight=False)
    out.print(plain(json.dumps(value, indent=2, ensure_ascii=False)), highlight=False)


async def _test_calls(
    client: BrazeClient, dest: BrazeConnection, body: dict[str, Any], email: str
) -> tuple[Timed, SendResult | None]:
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
    rt = runtime(settings())
    dest = _connection(rt, name)
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
        sent, found = _call(lambda c: _test_calls(c, dest, body, email))
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
    try:
        start = parse_since(since) if since is not None else None
    except ValueError as exc:
        fail(f"--since: {exc}")
    rt = runtime(settings())
    dest = _connection(rt, name)
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
