"""`zeroparty experiences stats` (the funnel of an experience) and `zeroparty responses export`
(its responses as CSV or JSON lines). Both call the analytics service (services/analytics.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zeroparty.cli.app import app, experiences_cli
from zeroparty.cli.common import fail, print_json, settings
from zeroparty.cli.records import Field, say, show
from zeroparty.errors import InvalidInput

if TYPE_CHECKING:
    from zeroparty.domain.experience.funnel import Funnel, Stats
    from zeroparty.services.analytics import AnalyticsService, ExportFormat

responses_cli = typer.Typer(help="Responses: export them.", no_args_is_help=True)
app.add_typer(responses_cli, name="responses")

FORMATS = ("csv", "jsonl")


def _service() -> AnalyticsService:
    from zeroparty.bootstrap import analytics_service
    from zeroparty.cli.workspace_scope import scoped_store

    engine, workspace = scoped_store(settings())
    return analytics_service(engine, workspace.id)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _seconds(ms: int | None) -> str:
    return "–" if ms is None else f"{ms / 1000:.1f} s"


def _show_funnel(f: Funnel) -> None:
    stages = [
        ("loads", f.loads),
        ("starts", f.starts),
        ("completions", f.completions),
        ("emails captured", f.emails_captured),
        ("opted in", f.opted_in),
    ]
    rows = [(name, str(n), "" if i == 0 else _share(n, stages[i - 1][1])) for i, (name, n) in enumerate(stages)]
    show((Field("stage"), Field("count", number=True), Field("of previous", number=True)), rows)
    fields = (
        Field("screen", whole=True),
        Field("views", number=True),
        Field("submits", number=True),
        Field("drop-off", number=True),
        Field("median time", number=True),
    )
    screens = [
        (s.id, str(s.views), str(s.submits), f"{s.drop_off} ({_share(s.drop_off, s.views)})", _seconds(s.median_ms))
        for s in f.screens
    ]
    show(fields, screens)
    reached = sum(f.outcomes.values())
    outcomes = [(o, str(n), _share(n, reached)) for o, n in f.outcomes.items()]
    show((Field("outcome", whole=True), Field("completions", number=True), Field("share", number=True)), outcomes)
    say(f"Call-to-action clicks: {f.cta_clicks}")


def _print_stats(title: str, stats: Stats) -> None:
    say(title)
    _show_funnel(stats.overall)
    for name, funnel in stats.variants.items():
        say("")
        say(f"Variant '{name}'")
        _show_funnel(funnel)


@experiences_cli.command("stats")
def stats(
    slug: Annotated[str, typer.Argument(help="The experience to count.")],
    since: Annotated[str | None, typer.Option("--since", help="First day counted (YYYY-MM-DD, UTC).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day counted (YYYY-MM-DD, UTC).")] = None,
    variant: Annotated[str | None, typer.Option("--variant", help="Count only this A/B variant.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")] = False,
) -> None:
    """The funnel (loads → starts → completions → emails captured → opted in), drop-off and median
    time per screen, and how often each outcome was reached; per A/B variant when there are
    several (`variants` in JSON), or of one (`--variant NAME`)."""
    from zeroparty.services.analytics import parse_window

    try:
        window = parse_window(since, until)
    except InvalidInput as exc:
        fail(str(exc))
    try:
        found = _service().stats(slug, window, variant)
    except InvalidInput as exc:
        fail(str(exc))
    if as_json:
        print_json(found.as_json())
    else:
        _print_stats(f"Funnel of '{slug}'" + ("" if variant is None else f", variant '{variant}'"), found)


def _format(raw: str) -> ExportFormat:
    if raw not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {raw!r}")
    return "csv" if raw == "csv" else "jsonl"


@responses_cli.command("export")
def export(
    slug: Annotated[str, typer.Argument(help="The experience whose responses to export.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Every response, one column per element (and hidden field), streamed as it is read.

    CSV text cells that a spreadsheet would run as a formula (starting with = + - @) are prefixed
    with ' (docs/analytics.md, "Export")."""
    chosen = _format(fmt)
    try:
        lines = _service().export(slug, chosen)
    except InvalidInput as exc:
        fail(str(exc))
    if output is None:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
        return
    partial = output.with_name(output.name + ".partial")  # a failed export leaves no half file at FILE
    try:
        with partial.open("w", encoding="utf-8", newline="") as f:
            f.writelines(lines)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"--output: cannot write {output}: {exc.strerror}")
