"""A destination's test send in the console: one button sends the test profile through the real path
(`DestinationsService.test_plan`, then `DestinationCalls.test_send`, as `zeroparty destinations test`
does) and the page shows the JSON sent, Braze's answer and how long it took, the data points it
cost, and the profile Braze now holds when the key may export it. Every text Braze sent back is
scrubbed of the key first."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import ConsoleRoute, form_fields, render
from zeroparty.domain.roles import Role
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.synthetic import NotSendable
from zeroparty.domain.verify import braze_message, exported_users, key_verdict, track_succeeded
from zeroparty.errors import DeliveryError, FieldError, InvalidInput, NotFound
from zeroparty.services.destination_probe import SendAnswers
from zeroparty.services.destinations import SendPlan

PAGE = "/admin/w/{ws}/destinations/{name}/test"
SANDBOX_UI = "/_sandbox/ui/profiles/"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def sandbox_profile_link(endpoint: str, profile: Any) -> str | None:
    """The sandbox profile browser's page of `profile` when `endpoint` is a sandbox on this machine
    (a loopback host); None for a real Braze instance."""
    host = urlsplit(endpoint).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    braze_id = profile.get("braze_id") if isinstance(profile, dict) else None
    if not local or not isinstance(braze_id, str) or not braze_id:
        return None
    return endpoint.rstrip("/") + SANDBOX_UI + quote(braze_id, safe="")


@dataclass(frozen=True)
class Answer:
    path: str
    status: int
    latency_ms: float
    body: str  # scrubbed of the key


@dataclass(frozen=True)
class Outcome:
    """What the page shows of one test send."""

    passed: bool
    verdict: str
    identify: str | None  # the /users/identify body sent, as JSON
    track: str  # the /users/track body sent, as JSON
    points: int
    attributes: int
    events: int
    answers: list[Answer]
    profile: str | None  # as Braze holds it, as JSON
    profile_note: str | None  # why no profile is shown
    sandbox_link: str | None


def _verdict(plan: SendPlan, answers: SendAnswers) -> tuple[bool, str]:
    key, endpoint = plan.dest.api_key, plan.dest.endpoint
    if answers.sent is None:
        assert answers.identified is not None
        said = braze_message(scrub_json(answers.identified.result.body, key))
        return False, scrub(
            f"Braze refused the identify step (HTTP {answers.identified.result.status} {said}); "
            "nothing was sent to /users/track",
            key,
        )
    result = answers.sent.result
    if not track_succeeded(result.status, result.body):
        verdict = key_verdict(endpoint, result.status, scrub_json(result.body, key))
        reason = verdict.message if verdict.kind != "ok" else f"Braze refused the test profile (HTTP {result.status})"
        return False, scrub(reason, key)
    if plan.dest.paused_reason is not None:
        return False, f"Braze accepted the test, but this destination is paused ({plan.dest.paused_reason})."
    return True, "Braze accepted the test profile."


def _profile(plan: SendPlan, answers: SendAnswers) -> tuple[Any, str | None]:
    found, key = answers.found, plan.dest.api_key
    if found is None:
        return None, "Not looked up: Braze did not accept the test."
    if found.status == 403:
        return None, "Not shown: the key may not export profiles (no users.export.ids permission)."
    users = exported_users(found.status, found.body)
    if users is None:
        return None, scrub(f"The export failed (HTTP {found.status} {braze_message(scrub_json(found.body, key))})", key)
    if not users:
        return None, f"Braze holds no profile for {plan.send.identity.shown} yet (it may still be processing)."
    return scrub_json(users[0], key), None


def outcome(plan: SendPlan, answers: SendAnswers) -> Outcome:
    key = plan.dest.api_key
    timed = [("/users/identify", answers.identified), ("/users/track", answers.sent)]
    shown = [
        Answer(path, t.result.status, t.latency_ms, pretty(scrub_json(t.result.body, key)))
        for path, t in timed
        if t is not None
    ]
    passed, verdict = _verdict(plan, answers)
    profile, note = _profile(plan, answers)
    events = len(plan.send.track.get("events", []))
    return Outcome(
        passed=passed,
        verdict=verdict,
        identify=pretty(plan.send.identify) if plan.send.identify is not None else None,
        track=pretty(plan.send.track),
        points=plan.send.points,
        attributes=plan.send.points - events,
        events=events,
        answers=shown,
        profile=pretty(profile) if profile is not None else None,
        profile_note=note,
        sandbox_link=sandbox_profile_link(plan.dest.endpoint, profile),
    )


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    def page(request: Request, member: Member, name: str, status: int = 200, **context: Any) -> Response:
        context = {"section": "destinations", "name": name, "done": None, "problem": None, **context}
        return render(request, "admin/test_send.html", context, status=status, member=member, gate=gate)

    async def known(member: Member, name: str) -> None:
        if await run_in_threadpool(services_for(member.workspace_id).destinations.find, name) is None:
            raise NotFound(FieldError("name", f"no destination named {name!r}"))

    @admin.get(PAGE, name="console_test_send")
    @needs("GET", PAGE, Role.VIEWER)
    async def show(request: Request, ws: str, name: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        await known(member, name)
        return page(request, member, name)

    @admin.post(PAGE)
    @needs("POST", PAGE, Role.EDITOR)
    async def send(request: Request, ws: str, name: str) -> Response:
        member = await gate.member(request, ws, Role.EDITOR)
        await gate.check_csrf(request, member.visitor, await form_fields(request))
        svc = services_for(member.workspace_id)
        await known(member, name)
        try:
            plan = await run_in_threadpool(svc.destinations.test_plan, name)
        except (InvalidInput, NotSendable) as exc:
            return page(request, member, name, 422, problem=f"Nothing was sent: {exc}")
        try:
            answers = await run_in_threadpool(svc.calls.test_send, plan.dest, plan.send)
        except DeliveryError as exc:
            problem = f"Braze could not be reached: {scrub(str(exc), plan.dest.api_key)}"
            return page(request, member, name, 502, problem=problem)
        done = outcome(plan, answers)
        status = answers.sent.result.status if answers.sent is not None else None
        await run_in_threadpool(
            svc.audit.record,
            member.workspace_id,
            member.actor,
            "destination.test_send",
            name,
            {"passed": done.passed, "status": status, "data_points": done.points},
        )
        experience = plan.experience.slug if plan.experience is not None else None
        return page(request, member, name, done=done, person=plan.send.identity.shown, experience=experience)

    return admin
