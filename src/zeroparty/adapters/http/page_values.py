"""What the respondent pages read from a request and hand to a template: the link's token and
hidden values, a form's fields for a screen, piped texts, path checks, and the pages' wording."""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from starlette.routing import BaseRoute, NoMatchFound

from zeroparty.adapters.http.element_view import OTHER_SUFFIX, other_value
from zeroparty.domain.experience.choices import OTHER
from zeroparty.domain.experience.elements import IDENT, SLUG, Consent, Content, MultiChoice, SingleChoice
from zeroparty.domain.experience.logic import pipe
from zeroparty.domain.experience.model import Experience, Outcome, Screen
from zeroparty.domain.untrusted import is_canonical_uuid
from zeroparty.errors import InvalidInput
from zeroparty.services.capture import HIDDEN_FIELD, TOKEN_FIELD
from zeroparty.services.capture_results import ResponseView

_SLUG = re.compile(SLUG)
_IDENT = re.compile(IDENT)
# The query parameter of the first screen's URL that carries a signed external id token
# (docs/experiences.md, "Signed external ids").
TOKEN_PARAM = "zp_id"
# The hidden field carrying when a screen was rendered (epoch ms), for the time-on-screen analytics.
SHOWN_FIELD = "zp_shown"

# The pages' own wording: keys of the built-in labels (domain/experience/i18n.py), in the page's language.
NO_EXPERIENCE = "no_experience"
NO_RESPONSE = "no_response"
COMPLETE = "complete"
SCREEN_CLOSED = "screen_closed"
OUTCOME_PRIVATE = "outcome_private"
BUSY = "busy"


class TokenRefused(Exception):
    """The page's `zp_id` cannot be used; `message` says why without quoting it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_param(request: Request) -> str | None:
    given = request.query_params.getlist(TOKEN_PARAM)
    if len(given) > 1:
        raise TokenRefused(f"{TOKEN_PARAM}: is given more than once")
    return given[0] if given else None


def token_problem(exc: InvalidInput) -> str | None:
    found = [e for e in exc.errors if e.field == TOKEN_FIELD]
    if found:
        return f"{TOKEN_PARAM}: {found[0].message}"
    # A hidden value comes from the link too: the link is what is wrong.
    hidden = [e for e in exc.errors if e.field.startswith(HIDDEN_FIELD + ".")]
    return "; ".join(f"{e.field.removeprefix(HIDDEN_FIELD + '.')}: {e.message}" for e in hidden) or None


def path_for(request: Request, name: str, **params: str) -> str:
    """The path of a named route, never a whole URL: the Host header a client sends must not shape
    the links and redirects it gets back."""
    router = request.scope["router"]
    known = _named(router)
    route = known.get(name)
    if route is None:
        # The router asks each route in turn, and every other one raises; every submit makes a
        # path, so the route that knows a name is remembered.
        route = next((r for r in router.routes if _names(r, name, params)), None)
        if route is None:
            raise NoMatchFound(name, params)
        known[name] = route
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/") + str(route.url_path_for(name, **params))


# Per router (an app's; tests make many), while it lives: routers are not hashable.
_NAMED: dict[int, tuple[weakref.ref[Any], dict[str, BaseRoute]]] = {}


def _named(router: Any) -> dict[str, BaseRoute]:
    key = id(router)
    found = _NAMED.get(key)
    if found is None or found[0]() is not router:
        found = (weakref.ref(router, lambda _ref: _NAMED.pop(key, None)), {})
        _NAMED[key] = found
    return found[1]


def _names(route: BaseRoute, name: str, params: Mapping[str, str]) -> bool:
    try:
        route.url_path_for(name, **params)
    except NoMatchFound:
        return False
    return True


def form_values(screen: Screen, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    given: dict[str, list[str]] = {}
    for name, value in pairs:
        given.setdefault(name, []).append(value)
    raw: dict[str, Any] = {}
    for el in screen.elements:
        if isinstance(el, MultiChoice):
            raw[el.id] = given.get(el.id, [])
        elif isinstance(el, Consent):
            raw[el.id] = el.id in given
        elif el.id in given:
            raw[el.id] = given[el.id][0]
        if isinstance(el, SingleChoice | MultiChoice) and el.other is not None:
            _take_other(raw, el.id, given.get(el.id + OTHER_SUFFIX, [None])[0])
    return raw


def _take_other(raw: dict[str, Any], element_id: str, typed: str | None) -> None:
    """The "other" choice picked: its text in its place (a box filled without the choice picked
    is left out)."""
    value = raw.get(element_id)
    if isinstance(value, list):
        raw[element_id] = [other_value(v, typed) if v == OTHER else v for v in value]
    elif value == OTHER:
        raw[element_id] = other_value(value, typed)


def link_values(request: Request) -> dict[str, Any]:
    """The link's parameters but the token, each as given; one given more than once is a list, which
    no hidden field takes."""
    found: dict[str, Any] = {}
    for key in {k for k, _v in request.query_params.multi_items() if k != TOKEN_PARAM}:
        values = request.query_params.getlist(key)
        found[key] = values[0] if len(values) == 1 else values
    return found


def declared(exp: Experience, values: Mapping[str, Any]) -> dict[str, str]:
    """The values among `values` that `exp` declares as hidden fields, to carry on to a form again."""
    return {f.key: values[f.key] for f in exp.hidden() if isinstance(values.get(f.key), str)}


def call_to_action(outcome: Outcome) -> str | None:
    """Where an outcome's call to action leads: its `cta`, else its older `url`."""
    return outcome.cta.url if outcome.cta is not None else outcome.url


def piped_screen(screen: Screen, values: Mapping[str, Any]) -> Screen:
    """The screen with `{{name}}` replaced in its texts; the template escapes them as any text."""
    elements = [
        el if isinstance(el, Content) else el.model_copy(update={"label": pipe(el.label, values)})
        for el in screen.elements
    ]
    body = None if screen.body is None else pipe(screen.body, values)
    return screen.model_copy(update={"title": pipe(screen.title, values), "body": body, "elements": elements})


def piped_values(view: ResponseView | None) -> dict[str, Any]:
    return {} if view is None else {**view.answers, **view.variables}


def valid_path(slug: str, response_id: str | None = None, screen_id: str | None = None) -> bool:
    """Path parameters that cannot name anything are refused before any lookup."""
    return (
        _SLUG.fullmatch(slug) is not None
        and (response_id is None or is_canonical_uuid(response_id))
        and (screen_id is None or _IDENT.fullmatch(screen_id) is not None)
    )
