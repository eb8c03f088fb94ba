"""What the hosted pages add for an experience's settings: the progress line (or bar) along the
respondent's own route, the spam protection fields of a form, and the answers to a submit that
spam protection set aside or the start rate limit refused."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from zeroparty.adapters.http.arrivals import HONEYPOT_FIELD, SERVED_FIELD
from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.language import localized, page_language
from zeroparty.domain.experience.model import Experience, Screen
from zeroparty.domain.experience.progress import position
from zeroparty.domain.experience.publishing import spam_settings
from zeroparty.errors import TooManyRequests
from zeroparty.services.admission import FREE, Arrival, Discarded


def form_context(
    ctx: AppContext, request: Request, exp: Experience, screen: Screen, known: Mapping[str, Any]
) -> dict[str, Any]:
    """The template values for the progress line and the spam protection fields; `known` holds
    the answers and hidden values the response has so far. A screen shown again with its errors
    keeps the served time it was first sent with: correcting an answer is not a quick submit."""
    settings = exp.settings
    where = position(exp, screen.id, known)
    arrivals = ctx.arrivals
    return {
        "progress": (settings.progress if settings is not None else None) or "steps",
        "step": where.step,
        "steps": where.steps,
        "honeypot": arrivals is not None and spam_settings(settings).traps(),
        "honeypot_field": HONEYPOT_FIELD,
        "served_field": SERVED_FIELD,
        "served": None if arrivals is None else getattr(request.state, SERVED_FIELD, None) or arrivals.stamp(now_ms()),
    }


def now_ms() -> int:
    return int(time.time() * 1000)


def arrival(ctx: AppContext, request: Request, pairs: list[tuple[str, str]]) -> Arrival:
    if ctx.arrivals is None:
        return FREE
    came = ctx.arrivals.hosted(request, pairs)
    if came.served_at_ms is not None:  # kept for the screen, should it be shown again
        setattr(request.state, SERVED_FIELD, ctx.arrivals.stamp(came.served_at_ms))
    return came


def not_started(ctx: AppContext, request: Request, exc: Discarded | TooManyRequests) -> HTMLResponse:
    """A submit spam protection set aside looks accepted (200) to whoever sent it, and nothing was
    kept; one past the client's start rate is told when to try again (429)."""
    if isinstance(exc, Discarded):
        lang = page_language(request, exc.experience)
        context = {"heading": localized(exc.experience, lang).title, "message": lang.t("thanks"), "t": lang.t}
        return ctx.templates.TemplateResponse(request, "error.html", context | {"lang": lang.code}, status_code=200)
    lang = page_language(request, getattr(request.state, "zp_experience", None))
    message = lang.t("too_many", seconds=exc.retry_after_s)
    context = {"heading": lang.t("try_later"), "message": message, "t": lang.t, "lang": lang.code}
    headers = {"Retry-After": str(exc.retry_after_s)}
    return ctx.templates.TemplateResponse(request, "error.html", context, status_code=429, headers=headers)
