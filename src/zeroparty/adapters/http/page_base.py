"""What every hosted page shares: the application's context, the analytics events pages record,
where a response's next page is, and the response or version a page is for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.edge import WAS_HEAD
from zeroparty.adapters.http.embed import shown_experience
from zeroparty.adapters.http.error_pages import ErrorPages
from zeroparty.adapters.http.language import (
    keep_language,
)
from zeroparty.adapters.http.page_values import (
    path_for,
    piped_values,
)
from zeroparty.adapters.http.resume import RespondentMemory
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.domain.experience.model import Screen
from zeroparty.errors import FieldError, Gone, NotFound
from zeroparty.services.capture import ExperienceClosed
from zeroparty.services.capture_results import ResponseView
from zeroparty.services.ports import Published


class PageBase(ErrorPages):
    """The state and reads every hosted page uses; `Pages` adds the screens, `OutcomePages` the ends."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx.templates)
        self.ctx = ctx
        self.memory = RespondentMemory(ctx.passes, ctx.revisit)  # resume and variant passes (resume.py)

    def record(
        self,
        request: Request,
        kind: EventKind,
        pub: Published,
        response_id: str | None = None,
        screen_id: str | None = None,
        outcome_id: str | None = None,
        variant: str | None = None,
    ) -> None:
        """An analytics event for what this page showed; returns at once (batched elsewhere). A HEAD
        request (a link checker, a monitor) shows nobody anything and is not counted."""
        if request.scope.get(WAS_HEAD):
            return
        now = datetime.now(UTC)
        slug = pub.experience.slug
        self.ctx.events.record(Event(kind, slug, now, pub.version, response_id, screen_id, outcome_id, variant))

    def next_url(self, request: Request, slug: str, response_id: str, screen: Screen | None) -> str:
        if screen is None:
            return path_for(request, "outcome", slug=slug, response_id=response_id)
        return path_for(request, "show_screen", slug=slug, response_id=response_id, screen_id=screen.id)

    async def version_for(
        self, request: Request, slug: str, response_id: str | None
    ) -> tuple[Published, ResponseView | None]:
        if response_id is None:
            return await run_in_threadpool(self.ctx.capture.published, slug), None
        view = await self.open_response(request, slug, response_id)
        return view.published, view  # it stays on the version it started on

    async def open_response(self, request: Request, slug: str, response_id: str) -> ResponseView:
        """The response behind a screen's link, while it is in progress; Gone once it is complete."""
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        keep_language(request, view.language)
        if view.completed:
            shown_experience(request, view.published.experience)  # its "complete" page shows in its embeds
            raise Gone(FieldError("response", f"response '{response_id}' is complete"))
        return view

    async def mark_experience(self, request: Request, slug: str) -> None:
        """Name the experience a page is for (its frame policy), when there is one to name."""
        try:
            shown_experience(request, (await run_in_threadpool(self.ctx.capture.published, slug)).experience)
        except ExperienceClosed as exc:
            shown_experience(request, exc.experience)
        except (NotFound, Gone):
            pass

    async def screen_for(
        self, request: Request, slug: str, response_id: str | None, screen_id: str | None
    ) -> tuple[Published, Screen, dict[str, Any]]:
        """The version and screen a submit is for, and the values its texts pipe (NotFound when the
        screen is not in it); read only on the way to an error page: a good submit reads them in its
        own transaction."""
        pub, view = await self.version_for(request, slug, response_id)
        screen_id = screen_id or pub.experience.screens[0].id
        screen = next((s for s in pub.experience.screens if s.id == screen_id), None)
        if screen is None:
            raise NotFound(FieldError("screen", f"no screen '{screen_id}'"))
        return pub, screen, piped_values(view)
