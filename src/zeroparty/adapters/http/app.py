"""The web application: hosted pages, JSON API, operator pages (login, docs, metrics), the console at
/admin, health and readiness."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp

from zeroparty import __version__
from zeroparty.adapters.http import api, assets, embed, errors, health, operator, pages, theme
from zeroparty.adapters.http.console.context import ConsoleContext
from zeroparty.adapters.http.console.context import install as install_console
from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.edge import HeadAsGet
from zeroparty.adapters.http.health import ReadinessProbe
from zeroparty.domain.experience.i18n import Labels

HERE = Path(__file__).parent


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=HERE / "templates")  # autoescape is on for .html
    found.env.globals["t"] = Labels()  # the built-in labels in English, unless a page passes its language's
    return found


def create_app(
    ctx: AppContext,
    registry: CollectorRegistry,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    mounts: dict[str, ASGIApp] | None = None,
    readiness: ReadinessProbe | None = None,
    console: ConsoleContext | None = None,
) -> FastAPI:
    # FastAPI's own /docs and /openapi.json are open and load Swagger UI from a CDN; ours are neither.
    app = FastAPI(
        title="zeroparty", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    errors.install(app)
    app.add_middleware(HeadAsGet)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for prefix, sub in (mounts or {}).items():
        app.mount(prefix, sub)
    app.include_router(api.router(ctx))
    app.include_router(pages.router(ctx))
    app.include_router(embed.router(ctx))
    app.include_router(theme.router(ctx))
    app.include_router(assets.router(ctx))
    app.include_router(operator.router(ctx, registry, app))
    if console is not None:
        install_console(app, console, ctx.templates)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if readiness is not None:
        health.install(app, readiness)

    return app
