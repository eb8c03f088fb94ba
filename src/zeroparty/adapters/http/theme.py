"""`/e/{slug}/theme.css`: an experience's theme as the design system's custom properties
(domain/experience/theme.py). A stylesheet of our own origin, so the pages' policy (`style-src
'self'`) stays as strict with a theme as without one."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.page_values import valid_path
from zeroparty.domain.experience.theme import theme_css
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.capture import ExperienceClosed

MAX_AGE_S = 300  # a new version's look reaches returning browsers within minutes


def router(ctx: AppContext) -> APIRouter:
    themes = APIRouter(include_in_schema=False)

    @themes.get("/e/{slug}/theme.css", name="theme_css")
    async def theme(slug: str) -> Response:
        if not valid_path(slug):
            raise NotFound(FieldError("slug", "no published experience here"))
        try:
            exp = (await run_in_threadpool(ctx.capture.published, slug)).experience
        except ExperienceClosed as exc:  # its closed page keeps the brand's look
            exp = exc.experience
        css = theme_css(exp.theme) if exp.theme is not None else ""
        return Response(
            css, media_type="text/css; charset=utf-8", headers={"Cache-Control": f"public, max-age={MAX_AGE_S}"}
        )

    return themes
