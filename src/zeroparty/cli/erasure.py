"""The face of `people erase` (cli/people.py) over services/erasure.py: showing the plan, asking,
and reporting what was done. Imported only when the command runs (it needs pydantic and the
storage types; `zeroparty --help` must not load them)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import typer

from zeroparty.cli.actor import cli_actor
from zeroparty.cli.common import confirm, err, fail, out, plain, print_json, runtime, settings
from zeroparty.cli.records import Field, say, show
from zeroparty.errors import InvalidInput

if TYPE_CHECKING:
    from zeroparty.domain.erasure import Choice
    from zeroparty.services.erasure import Lookup, Step
    from zeroparty.services.people import LocalErasure

NOT_CONFIRMED = "--yes: not confirmed, nothing was deleted in Braze"
_PLAN_FIELDS = (Field("braze_id", whole=True), Field("external_id", whole=True), Field("action"), Field("holds"))


def _show_plan(steps: list[Step]) -> None:
    for step in steps:
        plan = step.plan
        again = " (left unfinished by an earlier erasure)" if step.retried else ""
        if plan is None:
            say(f"{step.destination}: never sent anything for this address: not called.")
        elif plan.problem is not None:
            say(f"{step.destination}{again}: {plan.problem}")
        elif not plan.choices:
            say(f"{step.destination}{again}: no profile found: nothing to delete.")
        else:
            say(f"{step.destination}{again}: {len(plan.choices)} profile(s) found, {len(plan.doomed)} to delete:")
            show(_PLAN_FIELDS, [_plan_row(c) for c in plan.choices])


def _plan_row(choice: Choice) -> tuple[str, str, str, str]:
    p = choice.profile
    if not choice.delete:
        holds = f"{choice.held()}: {choice.why_kept}" if choice.holds else str(choice.why_kept)
    else:
        holds = choice.held()
        if choice.shared_with is not None:
            holds += f"; it also carries external_id {choice.shared_with}, which zeroparty never sent"
    return (p.braze_id or "–", p.external_id or "–", "delete" if choice.delete else "keep", holds)


def _as_json(address: str, steps: list[Step], local: LocalErasure | None, digest: str) -> dict[str, Any]:
    def step_json(s: Step) -> dict[str, Any]:
        plan = s.plan
        profiles = [
            {
                "braze_id": c.profile.braze_id,
                "external_id": c.profile.external_id,
                "delete": c.delete,
                "holds": list(c.holds),
                "shared_with": c.shared_with,
                "why_kept": c.why_kept,
            }
            for c in (plan.choices if plan is not None else ())
        ]
        return {
            "destination": s.destination,
            "sent": s.called,
            "retried": s.retried,
            "problem": plan.problem if plan is not None else None,
            "profiles": profiles,
            "outcome": s.outcome.outcome if s.outcome is not None else None,
            "done": s.outcome.done if s.outcome is not None else None,
            "deleted": list(s.outcome.deleted) if s.outcome is not None else [],
        }

    return {
        "email": address,
        "destinations": [step_json(s) for s in steps],
        "erased_here": None if local is None else {"responses": local.responses, "rows": local.rows},
        "erasure_id": None if local is None else local.erasure_id,
        "email_hmac": digest,
    }


def _report(address: str, steps: list[Step], local: LocalErasure, digest: str) -> None:
    deleted = ", ".join(f"{n} {table}" for table, n in sorted(local.rows.items())) or "nothing was stored"
    say(f"Erased {address} here: {deleted}.")
    done = [s for s in steps if s.outcome is not None]
    if not done:
        say("No Braze destination was sent anything for this address.")
    for s in done:
        assert s.outcome is not None
        again = " (retried from an earlier erasure)" if s.retried else ""
        ids = f": {', '.join(s.outcome.deleted)}" if s.outcome.deleted else ""
        _indented(f"{s.destination}: {s.outcome.outcome}{again}{ids}")
    say(f"Logged as erasure #{local.erasure_id} (HMAC-SHA256 of the address: {digest}).")


def _indented(text: str) -> None:
    """One destination's line, wrapped at whole words under itself (ids are never cut)."""
    lines = textwrap.wrap(
        text, width=out.width, initial_indent="  ", subsequent_indent="    ", break_long_words=False,
        break_on_hyphens=False,
    )  # fmt: skip
    out.print(plain("\n".join(lines)), highlight=False)


def erase_person(address: str, *, yes: bool, as_json: bool) -> None:
    """`people erase` for a normalised address: look up, show, ask, erase here, delete in Braze,
    report; exit 1 when a destination is not done."""
    from zeroparty.bootstrap import erasure_service

    service = erasure_service(runtime(settings(), create=False))
    try:
        lookup = service.look_up(address)
    except InvalidInput as exc:
        fail(str(exc))
    if not as_json:
        _show_plan(lookup.steps)
    _ask(lookup, yes=yes, as_json=as_json)
    try:
        erasure = service.erase(lookup, actor=cli_actor())
    except InvalidInput as exc:
        fail(str(exc))
    if as_json:
        print_json(_as_json(address, lookup.steps, erasure.local, lookup.keys.hmac))
    else:
        _report(address, lookup.steps, erasure.local, lookup.keys.hmac)
    if erasure.failed:
        err.print(
            plain(
                f"error: Braze is not done at {', '.join(erasure.failed)}; the local erasure is done. "
                "Fix the cause and run the same command again: it finishes only those."
            ),
            highlight=False,
        )
        raise typer.Exit(1)


def _ask(lookup: Lookup, *, yes: bool, as_json: bool) -> None:
    """Exit 1, nothing done anywhere, unless the operator agrees to the deletions (or --yes)."""
    doomed = lookup.doomed
    if not doomed or yes:
        return
    if as_json:  # a script is never asked: without --yes it gets the plan, and nothing is done
        print_json(_as_json(lookup.address, lookup.steps, None, lookup.keys.hmac))
        fail(NOT_CONFIRMED)
    if not confirm(f"Delete {doomed} profile(s) in Braze?"):
        fail(NOT_CONFIRMED)
