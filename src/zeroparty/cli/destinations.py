"""`zeroparty destinations …`: where captured data is sent, and full control over each destination:
its key (checked with Braze before it is saved), its settings, a test send, and removal."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from zeroparty.cli.actor import cli_actor
from zeroparty.cli.app import destinations_cli
from zeroparty.cli.common import err, fail, iso, out, plain, print_json, runtime, settings
from zeroparty.cli.consents import warn_unmapped
from zeroparty.cli.destination_keys import fail_invalid_key, read_key, say_checked
from zeroparty.cli.records import Field, say, show
from zeroparty.cli.workspace_scope import store_in_workspace
from zeroparty.domain.braze_instances import resolve_endpoint
from zeroparty.errors import InvalidInput

if TYPE_CHECKING:
    from zeroparty.domain.destination_settings import DestinationSettings
    from zeroparty.services.destination_setup import Changed, DestinationSetup
    from zeroparty.services.destination_types import BrazeConnection, DestinationView
    from zeroparty.services.destinations import DestinationsService

__all__ = ["destinations"]  # shared with the other destination commands
NoVerifyOpt = Annotated[bool, typer.Option("--no-verify", help="Save the key without checking it with Braze.")]


class BatchLimitsChoice(StrEnum):
    combined = "combined"
    per_array = "per_array"


# Braze's two contracts (docs/delivery.md, "Batching"): https://www.braze.com/docs/api/api_limits and
# https://www.braze.com/docs/api/endpoints/user_data/post_user_track#monthly-active-users-cy-24-25.
BATCH_LIMITS_HELP = "combined: 75 objects per request in all; per_array: 75 attributes + 75 events + 75 purchases"


def destinations(create: bool = True) -> DestinationsService:
    """The destinations of the store in the configured data dir (there must be one and a key
    already, without `create`)."""
    return setup(create).destinations


def setup(create: bool = True) -> DestinationSetup:
    """Connecting and changing destinations, their keys checked with Braze (services/destination_setup.py)."""
    from zeroparty.bootstrap import destination_setup

    return destination_setup(runtime(settings(), create=create))


def _fail_invalid(exc: InvalidInput) -> NoReturn:
    """Every problem on its own line, naming its key; exit 1."""
    for problem in exc.errors:
        err.print(plain(f"error: {problem}"), highlight=False)
    raise typer.Exit(1)


def _batch_limits(given: BatchLimitsChoice | None) -> str:
    """The contract's limits: as given, else asked on a terminal (default combined, never over
    either contract's limit), else combined."""
    if given is not None:
        return given.value
    if not sys.stdin.isatty():
        return "combined"
    out.print(plain(f"Which request limits does your Braze contract have? {BATCH_LIMITS_HELP}."), highlight=False)
    choices = [c.value for c in BatchLimitsChoice]
    while True:
        try:
            answer = str(typer.prompt(f"Batch limits ({', '.join(choices)})", default="combined")).strip()
        except typer.Abort:  # no answer (end of input, Ctrl-C)
            fail("--batch-limits: no answer; pass --batch-limits combined or per_array")
        if answer in choices:
            return answer
        err.print(plain(f"error: --batch-limits: '{answer}' is not one of {', '.join(choices)}"), highlight=False)


def _valid_name(name: str) -> None:
    if not name.strip() or len(name) > 100:
        fail("NAME: must be 1 to 100 characters")


@destinations_cli.command("add-braze")
def add_braze(
    name: Annotated[str, typer.Argument(help="A name for this destination.")],
    endpoint: Annotated[str, typer.Option(help="Braze REST endpoint or instance name (US-01 … KR-01).")],
    batch_limits: Annotated[
        BatchLimitsChoice | None,
        typer.Option(
            "--batch-limits",
            help=f"Your Braze contract's request limits ({BATCH_LIMITS_HELP}); asked on a terminal, else combined.",
            show_default=False,
        ),
    ] = None,
    no_verify: NoVerifyOpt = False,
) -> None:
    """Add a Braze destination, its key checked with Braze first.

    The key comes from ZEROPARTY_BRAZE_API_KEY or a hidden prompt. The check writes nothing: it
    needs users.track (else nothing is saved) and warns when users.delete or users.export.ids is missing."""
    try:
        url = resolve_endpoint(endpoint)
    except ValueError as exc:
        fail(f"--endpoint: {exc}")
    _valid_name(name)
    limits = _batch_limits(batch_limits)
    key = read_key()
    connect = setup()
    if connect.destinations.find(name) is not None:
        fail(f"name: a destination named '{name}' already exists")
    from zeroparty.domain.destination_settings import DestinationSettings

    wanted = DestinationSettings.model_validate({"batch_limits": limits})
    try:
        done = connect.add_braze(name, url, key, wanted, verify=not no_verify, actor=cli_actor())
    except InvalidInput as exc:
        fail_invalid_key(exc)
    say_checked(done.check, done.asked)
    out.print(plain(f"Added Braze destination '{name}' → {url}"))
    out.print(
        plain(f"Batch limits: {limits} ({_limits_said(limits)}); change with `destinations set {name} batch_limits=…`"),
        highlight=False,
    )


def _limits_said(limits: str) -> str:
    combined, per_array = BATCH_LIMITS_HELP.split("; ")
    return (combined if limits == "combined" else per_array).split(": ", 1)[1]


@destinations_cli.command("list")
def list_destinations(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of blocks.")] = False,
) -> None:
    """List destinations (keys masked) with their queue counts and non-default settings."""
    from zeroparty.bootstrap import destination_views
    from zeroparty.domain.destination_config import summary

    engine, workspace_id = store_in_workspace()
    found = destination_views(engine, workspace_id)
    if as_json:
        print_json([_destination_json(d) for d in found])
        warn_unmapped(engine, None, workspace_id)
        return
    if not found:
        say("No destinations yet: add one with `zeroparty destinations add-braze NAME --endpoint INSTANCE`.")
        return
    # One block per destination: its endpoint and settings are too long to share a line at 80 columns.
    fields = (
        Field("name", whole=True),
        Field("endpoint", whole=True),
        Field("key", whole=True),
        Field("status"),
        Field("items"),
        Field("settings"),
    )
    records = [
        (
            d.name,
            d.endpoint,
            d.key_hint,
            "active" if d.paused_reason is None else f"paused: {d.paused_reason}",
            f"{d.pending:,} pending, {d.delivered:,} delivered, {d.dead:,} dead",
            summary(d.settings),
        )
        for d in found
    ]
    show(fields, records, table=False)
    warn_unmapped(engine, None, workspace_id)


def _destination_json(d: DestinationView) -> dict[str, Any]:
    return {
        "name": d.name,
        "kind": d.kind,
        "endpoint": d.endpoint,
        "key_hint": d.key_hint,
        "paused": d.paused_reason is not None,
        "paused_reason": d.paused_reason,
        "paused_until": iso(d.paused_until),
        "pending": d.pending,
        "delivered": d.delivered,
        "dead": d.dead,
        "settings": d.settings.model_dump(mode="json"),
    }


@destinations_cli.command("resume")
def resume_destination(name: str) -> None:
    """Resume a paused destination (after fixing its key, for instance)."""
    service = destinations(create=False)
    try:
        service.resume(name, actor=cli_actor())
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Resumed '{name}'"))


def connection(service: DestinationsService, name: str) -> BrazeConnection:
    try:
        return service.connection(name)
    except InvalidInput as exc:
        fail(str(exc))


@destinations_cli.command("update-key")
def update_key(
    name: Annotated[str, typer.Argument(help="The destination whose key to replace.")],
    no_verify: NoVerifyOpt = False,
) -> None:
    """Replace a destination's key, checked with Braze first; a paused destination resumes.

    The key comes from ZEROPARTY_BRAZE_API_KEY or a hidden prompt."""
    connect = setup(create=False)
    connection(connect.destinations, name)  # an unknown name fails before the key is asked for
    key = read_key()
    try:
        done = connect.replace_key(name, key, verify=not no_verify, actor=cli_actor())
    except InvalidInput as exc:
        fail_invalid_key(exc)
    say_checked(done.check, done.asked)
    out.print(plain(f"Replaced the key of '{name}'."), highlight=False)
    _say_resumed(name, done.resumed)


@destinations_cli.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The destination to remove.")],
    force: Annotated[
        bool, typer.Option("--force", help="Remove it even though rows still wait to be delivered to it.")
    ] = False,
) -> None:
    """Remove a destination with its outbox rows and delivery history (one transaction)."""
    service = destinations(create=False)
    try:
        removed = service.remove(name, force=force, actor=cli_actor())
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
            "(exclude+=first_name); endpoint=US-03 or endpoint=URL moves the destination.",
            show_default=False,
        ),
    ],
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Save without checking the key (at a new endpoint, or for a new permission)."),
    ] = False,
) -> None:
    """Change a destination's settings or endpoint; all of them are checked before any is saved.

    A new endpoint is saved once the stored key works there (a key belongs to one instance); a
    destination paused because its endpoint was wrong then resumes. A setting that needs a new
    permission (identify_emails=true: users.identify) is saved once the stored key has it."""
    from zeroparty.domain.destination_config import change_settings, summary

    connect = setup(create=False)
    try:
        current = connect.destinations.settings(name)
    except InvalidInput as exc:
        fail(str(exc))
    try:
        wanted = change_settings(current, assignments)
    except InvalidInput as exc:
        _fail_invalid(exc)
    dest = connection(connect.destinations, name) if wanted.endpoint is not None else None
    endpoint = wanted.endpoint if dest is not None and wanted.endpoint != dest.endpoint else None
    if wanted.settings == current and endpoint is None:
        out.print(plain(f"'{name}' is unchanged: {summary(current)}"), highlight=False)
        return
    done = _changed(connect, name, wanted.settings, endpoint, no_verify)
    moved = f" → {endpoint}" if endpoint is not None else ""
    out.print(plain(f"Updated '{name}'{moved}: {summary(wanted.settings)}"), highlight=False)
    _say_resumed(name, done.resumed)


def _changed(
    connect: DestinationSetup, name: str, wanted: DestinationSettings, endpoint: str | None, no_verify: bool
) -> Changed:
    """Save `wanted` (and `endpoint`) once they can work: a lower array_limit must keep every
    published experience's picks, the stored key must work at a new endpoint and have any
    permission the settings add; exit 1 naming what cannot, nothing saved."""
    from zeroparty.services.destination_setup import KeyRefused

    try:
        done = connect.change_settings(name, wanted, endpoint, verify=not no_verify, actor=cli_actor())
    except KeyRefused as exc:
        fail_invalid_key(exc)
    except InvalidInput as exc:
        _fail_invalid(exc)
    say_checked(done.check, done.asked)
    return done


def _say_resumed(name: str, reason: str | None) -> None:
    if reason is not None:
        out.print(plain(f"Resumed '{name}' (it was paused: {reason})"), highlight=False)


def _load_file(path: Path) -> Any:
    import yaml

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
    from zeroparty.domain.destination_config import destination_file, summary

    try:
        wanted = destination_file(_load_file(file))
    except InvalidInput as exc:
        _fail_invalid(exc)
    connect = setup()
    existing = connect.destinations.find(wanted.name)
    if existing is None:
        key = read_key()
        try:
            added = connect.add_braze(
                wanted.name, wanted.endpoint, key, wanted.settings, verify=not no_verify, actor=cli_actor()
            )
        except InvalidInput as exc:
            fail_invalid_key(exc)
        say_checked(added.check, added.asked)
        out.print(plain(f"Created '{wanted.name}' → {wanted.endpoint}: {summary(wanted.settings)}"), highlight=False)
        return
    if existing.endpoint == wanted.endpoint and existing.settings == wanted.settings:
        out.print(plain(f"'{wanted.name}' is unchanged"), highlight=False)
        return
    endpoint = wanted.endpoint if existing.endpoint != wanted.endpoint else None
    done = _changed(connect, wanted.name, wanted.settings, endpoint, no_verify)
    out.print(plain(f"Updated '{wanted.name}' → {wanted.endpoint}: {summary(wanted.settings)}"), highlight=False)
    _say_resumed(wanted.name, done.resumed)
