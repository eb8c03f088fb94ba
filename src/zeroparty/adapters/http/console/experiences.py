"""Experiences in the console: the list, the editor (YAML typed or uploaded, checked with each problem
shown beside its line, published only when valid), an experience's page (versions and roll back,
variants' weights, its state, the embed snippet, a preview at phone and desktop widths) and its
analytics (funnel, drop-off, outcomes, responses per day)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.experience_views import Editor, chart_rows, editor_lines
from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import ConsoleRoute, form_fields, posted_form, render
from zeroparty.adapters.http.forms import parse_form
from zeroparty.domain.experience.publishing import PublishState
from zeroparty.domain.experience.variants import BadVariant
from zeroparty.domain.roles import Role
from zeroparty.errors import Conflict, InvalidInput
from zeroparty.services.publishing import Problem, embed_snippet

LIST = "/admin/w/{ws}/experiences"
NEW = "/admin/w/{ws}/experiences/new"
ONE = "/admin/w/{ws}/experiences/{slug}"
EDIT = "/admin/w/{ws}/experiences/{slug}/edit"
ROLL_BACK = "/admin/w/{ws}/experiences/{slug}/rollback"
STATE = "/admin/w/{ws}/experiences/{slug}/state"
VARIANTS = "/admin/w/{ws}/experiences/{slug}/variants"
ANALYTICS = "/admin/w/{ws}/experiences/{slug}/analytics"
Detail = dict[str, str | int | bool | None]
MAX_DEFINITION_BYTES = 1_000_000  # far above any real definition; a bigger upload is refused unread
STATES: dict[str, PublishState] = {"published": "published", "unpublished": "unpublished", "closed": "closed"}
DONE = {
    "published": "Published: a new version is live.",
    "unchanged": "Nothing changed: the current version already holds this definition.",
    "rolledback": "Rolled back: the earlier version's definition is published again as a new version.",
    "state": "State changed.",
    "variants": "Variants saved.",
}


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
    _listing(admin, gate, services_for)
    _editing(admin, gate, services_for)
    _one(admin, gate, services_for)
    return admin


def _page(
    request: Request, member: Member, gate: ConsoleGate, template: str, status: int = 200, **context: Any
) -> Response:
    return render(request, template, {"section": "experiences", **context}, member=member, gate=gate, status=status)


def _listing(admin: APIRouter, gate: ConsoleGate, services_for: ServicesFor) -> None:
    @admin.get(LIST, name="console_experiences")
    @needs("GET", LIST, Role.VIEWER)
    async def listing(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        found = await run_in_threadpool(services_for(member.workspace_id).publishing.experiences)
        return _page(request, member, gate, "admin/experiences.html", experiences=found)


async def _editor_fields(request: Request) -> tuple[dict[str, str], list[Problem]]:
    """The editor's fields; an uploaded file, when one was chosen, replaces the typed text."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await form_fields(request), []
    async with request.form(max_files=1, max_fields=10) as form:  # closing it removes the spooled upload
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read(MAX_DEFINITION_BYTES + 1)
            if len(raw) > MAX_DEFINITION_BYTES:
                return fields, [Problem("file", f"is larger than {MAX_DEFINITION_BYTES:,} bytes")]
            try:
                fields["definition"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                return fields, [Problem("file", f"{upload.filename} is not UTF-8 text")]
    return fields, []


def _editing(admin: APIRouter, gate: ConsoleGate, services_for: ServicesFor) -> None:
    def editor(request: Request, member: Member, page: Editor, status: int = 200) -> Response:
        return _page(request, member, gate, "admin/experience_edit.html", status, editor=page, lines=editor_lines(page))

    @admin.get(NEW, name="console_experience_new")
    @needs("GET", NEW, Role.EDITOR)
    async def new(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.EDITOR)
        return editor(request, member, Editor(None, ""))

    @admin.get(EDIT, name="console_experience_edit")
    @needs("GET", EDIT, Role.EDITOR)
    async def edit(request: Request, ws: str, slug: str) -> Response:
        member = await gate.member(request, ws, Role.EDITOR)
        text = await run_in_threadpool(services_for(member.workspace_id).publishing.text, slug)
        return editor(request, member, Editor(slug, text))

    async def submit(request: Request, ws: str, slug: str | None) -> Response:
        member = await gate.member(request, ws, Role.EDITOR)
        fields, upload_problems = await _editor_fields(request)
        await gate.check_csrf(request, member.visitor, fields)
        text = fields.get("definition", "").replace("\r\n", "\n")
        if upload_problems:
            return editor(request, member, Editor(slug, text, upload_problems), 422)
        svc = services_for(member.workspace_id)
        checked = await run_in_threadpool(svc.publishing.check, text)
        if checked.experience is None:
            return editor(request, member, Editor(slug, text, checked.problems), 422)
        if fields.get("action") != "publish":
            return editor(request, member, Editor(slug, text, [], checked))
        try:
            done = await run_in_threadpool(partial(svc.publishing.publish, actor=member.actor), checked.experience)
        except Conflict as exc:
            problems = [Problem(e.field, e.message) for e in exc.errors]
            return editor(request, member, Editor(slug, text, problems), 422)
        published = done.published
        return _back(request, ws, published.experience.slug, "published" if done.created else "unchanged")

    @admin.post(NEW)
    @needs("POST", NEW, Role.EDITOR)
    async def create(request: Request, ws: str) -> Response:
        return await submit(request, ws, None)

    @admin.post(EDIT)
    @needs("POST", EDIT, Role.EDITOR)
    async def save(request: Request, ws: str, slug: str) -> Response:
        return await submit(request, ws, slug)


def _back(request: Request, ws: str, slug: str, done: str) -> Response:
    path = request.url_for("console_experience", ws=ws, slug=slug).path
    return RedirectResponse(f"{path}?done={done}", status_code=303)


def _one(admin: APIRouter, gate: ConsoleGate, services_for: ServicesFor) -> None:
    async def show_page(request: Request, member: Member, slug: str, status: int = 200, **extra: Any) -> Response:
        svc = services_for(member.workspace_id)
        versions = await run_in_threadpool(svc.publishing.versions, slug)
        state, closed_message = await run_in_threadpool(svc.publishing.state, slug)
        variants = await run_in_threadpool(svc.variants.variants, slug)
        context = {
            "slug": slug,
            "versions": versions,
            "state": state,
            "closed_message": closed_message,
            "variants": variants,
            "snippet": embed_snippet(str(request.base_url), slug),
            "notice": DONE.get(request.query_params.get("done", "")),
            "preview": request.query_params.get("preview") == "1",
            "errors": extra.pop("errors", {}),
            **extra,
        }
        return _page(request, member, gate, "admin/experience.html", status, **context)

    @admin.get(ONE, name="console_experience")
    @needs("GET", ONE, Role.VIEWER)
    async def show(request: Request, ws: str, slug: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        return await show_page(request, member, slug)

    @admin.post(ROLL_BACK)
    @needs("POST", ROLL_BACK, Role.EDITOR)
    async def roll_back(request: Request, ws: str, slug: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.EDITOR)
        svc = services_for(member.workspace_id)
        wanted = fields.get("version", "")
        if not wanted.isdigit():
            return await show_page(request, member, slug, 422, errors={"version": ["choose a version to roll back to"]})
        done = await run_in_threadpool(partial(svc.publishing.roll_back, actor=member.actor), slug, int(wanted))
        return _back(request, ws, slug, "rolledback" if done.created else "unchanged")

    @admin.post(STATE)
    @needs("POST", STATE, Role.EDITOR)
    async def set_state(request: Request, ws: str, slug: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.EDITOR)
        state = STATES.get(fields.get("state", ""))
        if state is None:
            return await show_page(
                request, member, slug, 422, errors={"state": ["choose published, unpublished or closed"]}
            )
        svc = services_for(member.workspace_id)
        await run_in_threadpool(partial(svc.publishing.set_state, actor=member.actor), slug, state)
        return _back(request, ws, slug, "state")

    @admin.post(VARIANTS)
    @needs("POST", VARIANTS, Role.EDITOR)
    async def set_variants(request: Request, ws: str, slug: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.EDITOR)
        try:
            pairs = parse_form(request.headers.get("content-type"), await request.body())
        except InvalidInput:
            pairs = []
        specs = _variant_specs(pairs)
        svc = services_for(member.workspace_id)
        try:
            if specs:
                saved = await run_in_threadpool(svc.variants.set, slug, specs)
            else:  # every row blank: no variants, the latest version is served
                await run_in_threadpool(svc.variants.clear, slug)
                saved = ()
        except BadVariant as exc:
            return await show_page(request, member, slug, 422, errors={"variants": [str(exc)]})
        except InvalidInput as exc:
            return await show_page(request, member, slug, 422, errors={"variants": [str(e) for e in exc.errors]})
        detail: Detail = {v.name: f"{v.version}:{v.weight}" for v in saved}
        await run_in_threadpool(
            svc.audit.record, member.workspace_id, member.actor, "experience.variants", slug, detail
        )
        return _back(request, ws, slug, "variants")

    @admin.get(ANALYTICS, name="console_experience_analytics")
    @needs("GET", ANALYTICS, Role.VIEWER)
    async def analytics(request: Request, ws: str, slug: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        svc = services_for(member.workspace_id)
        await run_in_threadpool(svc.publishing.state, slug)  # another workspace's: not found
        stats = await run_in_threadpool(svc.analytics.stats, slug)
        days = await run_in_threadpool(svc.analytics.per_day, slug)
        return _page(
            request,
            member,
            gate,
            "admin/experience_analytics.html",
            slug=slug,
            charts_list=chart_rows(stats.overall, days),
        )


def _variant_specs(pairs: list[tuple[str, str]]) -> list[str]:
    """`NAME=VERSION:WEIGHT` per row of the variants form (rows of name, version and weight; a row
    left blank is not a variant)."""
    names = [v for k, v in pairs if k == "name"]
    versions = [v for k, v in pairs if k == "version"]
    weights = [v for k, v in pairs if k == "weight"]
    rows = zip(names, versions, weights, strict=False)
    return [f"{n.strip()}={v.strip()}:{w.strip()}" for n, v, w in rows if n.strip() or v.strip() or w.strip()]
