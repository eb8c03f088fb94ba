"""Embedding experiences on other sites (docs/experiences.md, "Embedding").

- `/embed.js`: the script a brand's page loads; it frames `/e/{slug}?embed=1`, sizes the frame to
  its content and reports completion to the page (static, no build step; cached for a day, then
  revalidated by its ETag).
- `/e/{slug}/embed.json`: what that script needs to know about an experience (its title, the URL
  parameters it takes), readable from any origin: all of it is shown on the public page anyway.
- Who may frame an experience's pages: its `settings.embed_origins`, else the deployment's default,
  as the `frame-ancestors` of the Content-Security-Policy of each of its pages.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.edge import content_security_policy
from zeroparty.adapters.http.page_values import valid_path
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.publishing import embed_parameters, frame_ancestors
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.capture import ExperienceClosed

SCRIPT = Path(__file__).parent / "static" / "embed.js"
SCRIPT_MAX_AGE_S = 86400  # its URL carries no version: a fix reaches every page within a day


def shown_experience(request: Request, exp: Experience) -> None:
    """Note that this request shows `exp`'s page, so its answer carries `exp`'s frame policy."""
    request.state.zp_experience = exp


def experience_policy(request: Request, default_frame_ancestors: str) -> str | None:
    """The Content-Security-Policy for the experience this request showed, or None (the default)."""
    exp: Experience | None = getattr(request.state, "zp_experience", None)
    if exp is None:
        return None
    return content_security_policy(frame_ancestors(exp.settings, default_frame_ancestors))


def framed(request: Request) -> bool:
    """Whether the browser is loading this page into a frame (Fetch Metadata; absent in old browsers)."""
    return request.headers.get("sec-fetch-dest") == "iframe"


class Script:
    """embed.js read once, with its ETag."""

    def __init__(self, path: Path = SCRIPT) -> None:
        self.body = path.read_bytes()
        self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'

    def answer(self, request: Request) -> Response:
        headers = {
            "ETag": self.etag,
            "Cache-Control": f"public, max-age={SCRIPT_MAX_AGE_S}",
            "Cross-Origin-Resource-Policy": "cross-origin",  # loaded by other sites' pages
        }
        given = request.headers.get("if-none-match", "")
        if self.etag in (tag.strip().removeprefix("W/") for tag in given.split(",")):
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type="text/javascript; charset=utf-8", headers=headers)


def router(ctx: AppContext) -> APIRouter:
    embed = APIRouter(include_in_schema=False)
    script = Script()

    @embed.get("/embed.js")
    async def embed_js(request: Request) -> Response:
        return script.answer(request)

    @embed.get("/e/{slug}/embed.json")
    async def embed_json(slug: str) -> Response:
        cors = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=60"}
        if not valid_path(slug):
            raise NotFound(FieldError("slug", "no published experience here"))
        try:
            exp = (await run_in_threadpool(ctx.capture.published, slug)).experience
        except ExperienceClosed as exc:  # its frame shows the closed message
            exp = exc.experience
        body: dict[str, Any] = {
            "experience": exp.slug,
            "title": exp.title,
            # `lang` too when it has several languages: the page's `?lang=fr` picks the frame's.
            "parameters": embed_parameters([f.key for f in exp.hidden()])
            + (["lang"] if len(exp.languages) > 1 else []),
        }
        return JSONResponse(body, headers=cors)

    return embed
