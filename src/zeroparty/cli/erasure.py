"""The parts of `people erase` (cli/people.py) around the rule of domain/erasure.py: looking each
destination up, showing the plan, deleting by braze_id and reporting. Imported only when the
command runs (it needs pydantic and the storage types; `zeroparty --help` must not load them)."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from zeroparty.cli.common import confirm, err, fail, now, out, plain, print_json, runtime, settings
from zeroparty.cli.destinations import braze_client
from zeroparty.cli.records import Field, say, show
from zeroparty.domain.erasure import (
    EXPORT_PATH,
    EXPORT_PERMISSION,
    Choice,
    Outcome,
    Plan,
    Sent,
    choose,
    delete_bodies,
    deletion,
    exported,
    refusal,
    sent_to,
)
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import email_hmac_hex, email_sha256_hex
from zeroparty.errors import DeliveryError, InvalidInput

if TYPE_CHECKING:
    from zeroparty.adapters.braze.client import BrazeClient
    from zeroparty.adapters.db.destinations import SqlDestinations
    from zeroparty.adapters.db.people import Found, LocalErasure, LogKeys, SqlPeople
    from zeroparty.services.destination_types import BrazeConnection

NOT_CONFIRMED = "--yes: not confirmed, nothing was deleted in Braze"
GONE = "the destination no longer exists; delete the person's profiles in Braze by hand"
CHANGED = (
    "a delivery reached Braze while the profiles were looked up, so it may have written to a profile not "
    "shown: run the same command again to look it up"
)
_PLAN_FIELDS = (Field("braze_id", whole=True), Field("external_id", whole=True), Field("action"), Field("holds"))


@dataclass
class Step:
    """One destination's part of the erasure, as it goes."""

    destination: str
    sent: Sent | None = None  # None: never sent anything for the person
    retried: bool = False  # an earlier erasure left it unfinished
    connection: BrazeConnection | None = None
    plan: Plan | None = None
    outcome: Outcome | None = None

    @property
    def called(self) -> bool:
        return self.sent is not None


def _steps(found: Found, stored: SqlDestinations, email: str) -> list[Step]:
    """Every destination, and those an earlier erasure left unfinished: what each was sent."""
    names = sorted(set(found.destinations) | set(found.leftover))
    steps: list[Step] = []
    for name in names:
        step = Step(name, retried=name in found.leftover)
        try:
            step.connection = stored.connection(name)
        except InvalidInput:
            step.connection = None
        step.sent = _sent(name, found, step.connection, email)
        steps.append(step)
    return steps


def _sent(name: str, found: Found, connection: BrazeConnection | None, email: str) -> Sent | None:
    sent = found.leftover.get(name)
    delivered = found.delivered.get(name)
    if delivered is not None and connection is not None:
        now_sent = sent_to(email, connection.settings, delivered, found.external_ids)
        sent = now_sent if sent is None else sent | now_sent
    return sent


async def _look_up(client: BrazeClient, step: Step) -> Plan:
    """Export the profiles holding an identifier zeroparty used for the person, and choose."""
    dest, sent = step.connection, step.sent
    assert sent is not None
    if dest is None:
        return Plan(step.destination, problem=GONE)
    profiles = []
    for body in sent.lookups():
        try:
            result = await client.export_ids(dest.endpoint, dest.api_key, body)
        except DeliveryError as exc:
            return Plan(step.destination, problem=f"look-up failed: {scrub(str(exc), dest.api_key)}")
        found = exported(result.status, result.body)
        if found is None:
            said = refusal(result.status, scrub_json(result.body, dest.api_key), EXPORT_PERMISSION, EXPORT_PATH)
            return Plan(step.destination, problem=f"cannot look up: {scrub(said, dest.api_key)}")
        profiles += found
    return Plan(step.destination, choose(sent, profiles))


async def _delete(client: BrazeClient, step: Step, changed: bool) -> Outcome:
    dest, plan = step.connection, step.plan
    name = step.destination
    if plan is None or plan.problem is not None or dest is None:
        problem = plan.problem if plan is not None and plan.problem else GONE
        return Outcome(name, False, f"not deleted: {problem}")
    answers: list[tuple[list[str], int, Any]] = []
    for body in delete_bodies(plan.braze_ids):
        chunk = body["braze_ids"]
        try:
            result = await client.delete_by_braze_ids(dest.endpoint, dest.api_key, chunk)
        except DeliveryError as exc:
            gone = tuple(i for ids, _, _ in answers for i in ids)
            return Outcome(name, False, f"failed: {scrub(str(exc), dest.api_key)}", gone)
        answers.append((chunk, result.status, scrub_json(result.body, dest.api_key)))
        if not 200 <= result.status < 300:
            break
    outcome = deletion(name, answers)
    if changed and outcome.done:
        return Outcome(name, False, f"{outcome.outcome}; but {CHANGED}", outcome.deleted)
    return outcome


def _run(steps: list[Step], act: Callable[[BrazeClient, Step], Awaitable[None]]) -> None:
    async def go() -> None:
        client = braze_client()
        try:
            for step in steps:
                await act(client, step)
        finally:
            await client.aclose()

    asyncio.run(go())


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
    from zeroparty.adapters.db.people import LogKeys, SqlPeople

    rt = runtime(settings(), create=False)
    people = SqlPeople(rt.engine, rt.box)
    keys = LogKeys(email_hmac_hex(rt.erasure_secret, address), email_sha256_hex(address))
    try:
        found = people.find(address, keys, now())
    except InvalidInput as exc:
        fail(str(exc))
    steps = _steps(found, rt.destinations, address)
    called = [s for s in steps if s.called]

    async def look(client: BrazeClient, step: Step) -> None:
        step.plan = await _look_up(client, step)

    _run(called, look)
    if not as_json:
        _show_plan(steps)
    _ask(address, steps, keys.hmac, yes=yes, as_json=as_json)
    local = _erase_here(people, address, keys, found, steps)

    async def delete(client: BrazeClient, step: Step) -> None:
        step.outcome = await _delete(client, step, step.destination in local.changed)

    _run(called, delete)
    for step in steps:  # first sent something while the others were looked up
        if step.destination in local.changed and not step.called:
            step.outcome = Outcome(step.destination, False, f"not looked up: {CHANGED}")
    outcomes = [s.outcome for s in steps if s.outcome is not None]
    people.record_calls(local.erasure_id, outcomes, local.sealed)
    if as_json:
        print_json(_as_json(address, steps, local, keys.hmac))
    else:
        _report(address, steps, local, keys.hmac)
    failed = [o.destination for o in outcomes if not o.done]
    if failed:
        err.print(
            plain(
                f"error: Braze is not done at {', '.join(failed)}; the local erasure is done. "
                "Fix the cause and run the same command again: it finishes only those."
            ),
            highlight=False,
        )
        raise typer.Exit(1)


def _ask(address: str, steps: list[Step], digest: str, *, yes: bool, as_json: bool) -> None:
    """Exit 1, nothing done anywhere, unless the operator agrees to the deletions (or --yes)."""
    doomed = sum(len(s.plan.doomed) for s in steps if s.plan is not None)
    if not doomed or yes:
        return
    if as_json:  # a script is never asked: without --yes it gets the plan, and nothing is done
        print_json(_as_json(address, steps, None, digest))
        fail(NOT_CONFIRMED)
    if not confirm(f"Delete {doomed} profile(s) in Braze?"):
        fail(NOT_CONFIRMED)


def _erase_here(people: SqlPeople, address: str, keys: LogKeys, found: Found, steps: list[Step]) -> LocalErasure:
    by_name = {s.destination: s for s in steps}

    def sent_of(name: str, now_found: Found) -> Sent:
        step = by_name.get(name, Step(name))
        return _sent(name, now_found, step.connection, address) or Sent(address)

    called = [s.destination for s in steps if s.called]
    try:
        return people.erase(address, keys, now(), called, found, sent_of)
    except InvalidInput as exc:
        fail(str(exc))
