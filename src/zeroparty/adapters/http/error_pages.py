"""The respondent pages' error pages (not found, complete, closed, busy, a bad link or form), each in
the language of the experience it is for when that is known, else in a built-in one the browser asks for."""

from __future__ import annotations

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from zeroparty.adapters.http.embed import shown_experience
from zeroparty.adapters.http.language import localized, page_language, with_lang
from zeroparty.adapters.http.page_values import BUSY, COMPLETE, path_for
from zeroparty.domain.experience.publishing import CLOSED_MESSAGE
from zeroparty.errors import MalformedInput
from zeroparty.services.capture import ExperienceClosed


class ErrorPages:
    def __init__(self, templates: Jinja2Templates) -> None:
        self.tpl = templates

    def error_page(
        self,
        request: Request,
        status: int,
        key: str,
        heading: str | None = None,
        again: str | None = None,
        **values: str,
    ) -> Response:
        """An error page in the language of the experience it is for (when known), else a built-in one."""
        lang = page_language(request, getattr(request.state, "zp_experience", None))
        context = {
            "heading": heading and lang.t(heading),
            "message": lang.t(key, **values),
            "again": again and with_lang(again, lang),
            "t": lang.t,
            "lang": lang.code,
        }
        return self.tpl.TemplateResponse(request, "error.html", context, status_code=status)

    def not_found(self, request: Request, key: str, **values: str) -> Response:
        return self.error_page(request, 404, key, **values)

    def bad_request(self, request: Request, exc: MalformedInput) -> Response:
        return self.error_page(request, 400, "unreadable", problem="; ".join(str(e) for e in exc.errors))

    def closed(self, request: Request, slug: str, key: str, **values: str) -> Response:
        """A completed response, reached by its link: nothing about it is shown, nothing is changed."""
        return self.error_page(request, 410, key, COMPLETE, path_for(request, "start", slug=slug), **values)

    def experience_closed(self, request: Request, exc: ExperienceClosed) -> Response:
        """A closed experience: its closed message, 410 (it takes no responses; publishing it again reopens it)."""
        shown_experience(request, exc.experience)  # the message shows in its embeds too
        lang = page_language(request, exc.experience)
        exp = localized(exc.experience, lang)
        message = lang.t("closed") if exc.message == CLOSED_MESSAGE else exc.message
        context = {"heading": exp.title, "message": message, "t": lang.t, "lang": lang.code}
        return self.tpl.TemplateResponse(request, "error.html", context, status_code=410)

    def busy(self, request: Request) -> Response:
        answer = self.error_page(request, 503, BUSY, "try_again")
        answer.headers["Retry-After"] = "1"
        return answer

    def bad_link(self, request: Request, problem: str) -> Response:
        # Nothing was stored: the brand's site has to hand out a fresh link.
        return self.error_page(request, 400, "bad_link", problem=problem)
