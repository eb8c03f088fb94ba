"""The JSON API (`/api/v1`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.errors import error_body
from zeroparty.adapters.http.token_roles import token_with
from zeroparty.domain.braze_definition import definition_schema
from zeroparty.domain.experience.elements import IDENT
from zeroparty.domain.operator_tokens import TokenView
from zeroparty.domain.roles import Role
from zeroparty.domain.untrusted import is_canonical_uuid, parse_json
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.admission import FREE, Arrival
from zeroparty.services.read_ports import ResponseStatus

# A person's answers and email: no cache, in a browser or on the way, may keep them.
NO_STORE = {"Cache-Control": "no-store"}


class ResponseIn(BaseModel):
    """A whole response: choice answers and form inputs, each keyed by element id; values for the
    declared hidden fields, by key (others are ignored); optionally the respondent's Braze
    external_id, as a token the brand's server signed (docs/experiences.md)."""

    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    hidden: dict[str, Any] = Field(
        {}, description="Values for the experience's declared hidden fields (UTM parameters and the like)."
    )
    external_id_token: str | None = None
    variant: str | None = Field(
        None,
        pattern=IDENT,
        description="The A/B variant to record it under (it must exist); without it, one is drawn by weight.",
    )


class ResponseCreated(BaseModel):
    id: str
    outcome: str | None
    queued: int
    variant: str | None = None


def _json_body_problem(content_type: str | None) -> JSONResponse | None:
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        return JSONResponse(
            error_body(
                "unsupported content type",
                [FieldError("content-type", f"must be application/json, got '{media or 'nothing'}'")],
            ),
            status_code=415,
        )
    return None


async def _arrival(ctx: AppContext, request: Request) -> Arrival:
    """Whom a response counts against for `settings.spam.rate_limit`: the client's address, unless
    the call carries an operator token (a brand's own server posting for many people)."""
    if ctx.arrivals is None:
        return FREE
    if request.headers.get("authorization") and await ctx.auth.operator(request) is not None:
        return FREE
    return Arrival(client=ctx.arrivals.client(request))


def router(ctx: AppContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["api"])
    # The token calling (once per request, however many ask): every route here reads, which a viewer
    # token may; a route that changes things would take `token_with(ctx, Role.EDITOR)` instead.
    operator = token_with(ctx, Role.VIEWER)
    operator_only = [operator]

    @api.post(
        "/experiences/{slug}/responses",
        status_code=201,
        response_model=ResponseCreated,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ResponseIn.model_json_schema()}},
            }
        },
        responses={
            400: {"description": "malformed JSON (not UTF-8, a BOM, bad syntax, nested too deep, a huge number)"},
            404: {"description": "unknown or unpublished experience"},
            409: {"description": "its response limit is full (`settings.response_limit`)"},
            410: {"description": "the experience is closed (`zeroparty experiences close`, `settings.closes_at`)"},
            413: {"description": "body too large"},
            415: {"description": "not JSON"},
            422: {"description": "invalid answers or external id token; each bad field named"},
            429: {"description": "too many responses started from this address (`settings.spam.rate_limit`)"},
        },
    )
    async def create_response(slug: str, request: Request) -> Any:
        """Record a whole response in one call; 201 only after it is committed."""
        problem = _json_body_problem(request.headers.get("content-type"))
        if problem:
            return problem
        data = parse_json(await request.body())
        try:
            body = ResponseIn.model_validate(data)
        except ValidationError as exc:
            errors = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
            return JSONResponse(error_body("the request is not valid", errors), status_code=422)
        came = await _arrival(ctx, request)
        prepared = ctx.capture.prepare_whole(
            slug,
            body.answers,
            body.inputs,
            body.external_id_token,
            body.hidden,
            came,
            body.variant,
        )
        done = await ctx.capture.commit_async(prepared)
        outcome = done.outcome.id if done.outcome else None
        return JSONResponse(
            ResponseCreated(
                id=done.response_id, outcome=outcome, queued=done.queued, variant=done.variant
            ).model_dump(),
            status_code=201,
            headers={"Location": f"/api/v1/responses/{done.response_id}", **NO_STORE},
        )

    @api.get(
        "/responses/{response_id}",
        response_model=ResponseStatus,
        dependencies=operator_only,
        responses={401: {"description": "no operator token"}, 404: {"description": "unknown response"}},
    )
    async def response_status(response_id: str, answer: Response, token: TokenView = operator) -> ResponseStatus:
        """Where a response stands: answers, outcome, and delivery per destination. A response to
        another workspace's experience than the token's is unknown here."""
        status = (
            await run_in_threadpool(ctx.responses.status, response_id, token.workspace_id)
            if is_canonical_uuid(response_id)
            else None
        )
        if status is None:
            raise NotFound(FieldError("response_id", f"no response '{response_id}'"))
        answer.headers.update(NO_STORE)
        return status

    @api.get("/experiences", dependencies=operator_only, responses={401: {"description": "no operator token"}})
    async def list_experiences(token: TokenView = operator) -> list[dict[str, Any]]:
        """The token's workspace's published experiences."""
        found = await run_in_threadpool(ctx.experiences.published_in, token.workspace_id)
        return [{"slug": p.experience.slug, "title": p.experience.title, "version": p.version} for p in found]

    @api.get("/experience-schema")
    async def experience_schema() -> dict[str, Any]:
        """JSON Schema of experience definitions, for editors and validators."""
        return definition_schema()

    return api
