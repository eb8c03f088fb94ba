"""`zeroparty deliveries …`: how delivery to each destination is going, the dead items with Braze's
reason for each, and replaying them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from zeroparty.cli.actor import cli_actor
from zeroparty.cli.app import app
from zeroparty.cli.common import confirm, err, fail, iso, out, plain, print_json, runtime, settings
from zeroparty.cli.records import Field, say, show
from zeroparty.cli.workspace_scope import store_in_workspace
from zeroparty.domain.latency import LATENCY_SAMPLE
from zeroparty.errors import InvalidInput

if TYPE_CHECKING:
    from zeroparty.services.deliveries import DeadItem, DestinationStats

deliveries_cli = typer.Typer(
    help="Delivery per destination: counts, latency, requests and data points; dead items and replay."
)
app.add_typer(deliveries_cli, name="deliveries")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")]
DestinationOpt = Annotated[str | None, typer.Option("--destination", help="Only this destination.")]


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def _status(s: DestinationStats) -> str:
    if s.paused_reason is None:
        return "active"
    until = f" (until {s.paused_until:%Y-%m-%d %H:%M:%S} UTC)" if s.paused_until is not None else ""
    return f"paused{until}: {s.paused_reason}"


def _stats_json(stats: list[DestinationStats]) -> dict[str, Any]:
    return {
        "latency": {"from": "queued (outbox.created_at)", "to": "delivered_at", "last_delivered_rows": LATENCY_SAMPLE},
        "destinations": [
            {
                "destination": s.name,
                "pending": s.pending,
                "in_flight": s.in_flight,
                "delivered": s.delivered,
                "dead": s.dead,
                "paused": s.paused_reason is not None,
                "paused_reason": s.paused_reason,
                "paused_until": iso(s.paused_until),
                "latency_p50_s": s.latency_p50_s,
                "latency_p99_s": s.latency_p99_s,
                "latency_rows": s.latency_rows,
                "requests": s.requests,
                "points_sent": s.points_sent,
                "points_saved": s.points_saved,
                "month_points_sent": s.budget.used,
                "monthly_data_point_budget": s.budget.budget,
                "budget_level": s.budget.level,
                "over_budget": "hold" if s.budget.hold else "send",
                "held_by_budget": s.budget.holding,
                "budget_warning": s.budget.warning(s.name),
            }
            for s in stats
        ],
    }


@deliveries_cli.callback(invoke_without_command=True)
def deliveries(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Per destination: pending, in flight, delivered, dead, paused and why, latency p50/p99,
    requests sent, data points sent and saved."""
    if ctx.invoked_subcommand is not None:
        return
    from zeroparty.bootstrap import deliveries_service

    stats = deliveries_service(*store_in_workspace()).stats()
    if as_json:
        print_json(_stats_json(stats))
        return
    if not stats:
        say("No destinations yet: add one with `zeroparty destinations add-braze`.")
        return
    # One block per destination: eleven figures do not fit 80 columns side by side.
    fields = (
        Field("destination", whole=True),
        Field("status"),
        Field("items"),
        Field("latency"),
        Field("sent"),
        Field("month"),
    )
    for s in stats:
        warning = s.budget.warning(s.name)
        if warning is not None:
            err.print(plain(f"warning: {warning}"), highlight=False)
    note = (
        f"Latency: from queued to delivered, over each destination's last {LATENCY_SAMPLE:,} delivered items. "
        "Points saved: values Braze already held, not sent again."
    )
    show(fields, [_stats_record(s) for s in stats], table=False, note=note)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _stats_record(s: DestinationStats) -> tuple[str, ...]:
    return (
        s.name,
        _status(s),
        f"{s.pending:,} pending, {s.in_flight:,} in flight, {s.delivered:,} delivered, {s.dead:,} dead",
        f"p50 {_seconds(s.latency_p50_s)}, p99 {_seconds(s.latency_p99_s)}",
        f"{_count(s.requests, 'request')}; {_count(s.points_sent, 'data point')} sent, {s.points_saved:,} saved",
        _month(s),
    )


def _month(s: DestinationStats) -> str:
    """This calendar month's data points, against the budget when there is one."""
    used = _count(s.budget.used, "data point")
    if s.budget.budget is None:
        return f"{used} sent (no budget)"
    share = 100 * s.budget.used // s.budget.budget
    held = "; new updates held" if s.budget.holding else ""
    return f"{used} of {s.budget.budget:,} ({share} %){held}"


def _dead_json(item: DeadItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "destination": item.destination,
        "user": item.user,
        "dead_at": iso(item.dead_at),
        "attempts": item.attempts,
        "reason": item.reason,
        "response_id": item.response_id,
    }


@deliveries_cli.command("dead")
def dead(destination: DestinationOpt = None, as_json: JsonOpt = False) -> None:
    """Every dead item, newest first, with Braze's reason for its object."""
    from zeroparty.bootstrap import deliveries_service

    try:
        items = deliveries_service(*store_in_workspace()).dead(destination)
    except InvalidInput as exc:
        fail(str(exc))
    if as_json:
        print_json([_dead_json(i) for i in items])
        return
    if not items:
        where = f" for '{destination}'" if destination is not None else ""
        say(f"No dead items{where}.")
        return
    # One block per item, headed by its id (copied whole into `replay`); the reason wraps below.
    fields = (
        Field("id", whole=True),
        Field("destination", whole=True),
        Field("user", whole=True),
        Field("dead at"),
        Field("attempts"),
        Field("reason"),
    )
    records = [
        (i.id, i.destination, i.user, f"{i.dead_at:%Y-%m-%d %H:%M:%S} UTC", str(i.attempts), i.reason or "")
        for i in items
    ]
    note = f"{len(items)} dead item(s). Replay: zeroparty deliveries replay ID… (or --all)"
    show(fields, records, table=False, note=note)


@deliveries_cli.command("replay")
def replay(
    ids: Annotated[list[str] | None, typer.Argument(help="Ids of dead items (from `deliveries dead`).")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every dead item (of --destination).")] = False,
    destination: DestinationOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replaying --all.")] = False,
) -> None:
    """Put dead items back to pending: same id, history kept; their users are queued again.

    Exit 1 if an id is not a dead item (of --destination, when given); the others are replayed."""
    ids = ids or []
    if replay_all and ids:
        fail("--all: give either ids or --all, not both")
    if not replay_all and not ids:
        fail("ID: name the dead items to replay (see `zeroparty deliveries dead`), or pass --all")
    from zeroparty.bootstrap import deliveries_service

    rt = runtime(settings(), create=False)
    service = deliveries_service(rt.engine, rt.workspace.id, rt.outbox)
    try:
        if replay_all:
            found = service.dead(destination)
            if not found:
                out.print(plain("Nothing to replay: there are no dead items."), highlight=False)
                return
            where = f" of '{destination}'" if destination is not None else ""
            if not yes and not confirm(f"Replay all {len(found)} dead item(s){where}?"):
                fail("--all: not confirmed, nothing was replayed (pass --yes to replay without asking)")
        done = service.replay(None if replay_all else ids, destination, actor=cli_actor())
    except InvalidInput as exc:
        fail(str(exc))
    out.print(
        plain(f"Replayed {done.replayed} dead item(s): back to pending with the same id, their history kept."),
        highlight=False,
    )
    for problem in done.problems:
        err.print(plain(f"error: {problem}"), highlight=False)
    if done.problems:
        raise typer.Exit(1)
