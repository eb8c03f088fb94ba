"""What capture answers its callers with: a response as its pages show it, what a submit did,
and the refusals pages turn into their own answers (a screen shown again, a completed response)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zeroparty.domain.experience.model import Outcome, Screen
from zeroparty.errors import FieldError, Gone, InvalidInput
from zeroparty.services.admission import ExperienceClosed as ExperienceClosed  # where pages have found it
from zeroparty.services.ports import (
    Published,
)
from zeroparty.services.start_values import HIDDEN_FIELD as HIDDEN_FIELD
from zeroparty.services.start_values import TOKEN_FIELD as TOKEN_FIELD


class AlreadyComplete(Gone):
    """A submit of a response that is complete already (a double click, a second tab, a retry after
    a timeout): nothing was changed. Its page decides whether this browser may see the outcome."""

    def __init__(self, response_id: str, outcome_id: str | None) -> None:
        super().__init__(FieldError("response", f"response '{response_id}' is complete; nothing was changed"))
        self.response_id = response_id
        self.outcome_id = outcome_id


@dataclass(frozen=True)
class Choice:
    """Which A/B variant a starting response gets and under which id: `variant` is the one its
    first screen was shown as (`strict`: a client named it, so it must exist), `u` the uniform
    random number one is otherwise drawn with; `start_id` the id its first screen's form was given
    (a second submit of that form is a submit of that response)."""

    variant: str | None = None
    u: float = 0.0
    strict: bool = False
    start_id: str | None = None


@dataclass(frozen=True)
class ResponseView:
    """A response as its pages show it."""

    published: Published  # the version it started on, which it keeps
    answers: dict[str, Any]
    outcome_id: str | None
    completed: bool
    variables: dict[str, Any] = field(default_factory=dict)  # for piping {{name}}
    variant: str | None = None  # the A/B variant it was served
    path: tuple[str, ...] = ()  # the screens submitted so far, in route order
    language: str | None = None  # the language its pages are shown in (chosen on its first screen)


class ScreenRefused(InvalidInput):
    """A screen's answers were refused (nothing was stored); carries what its page needs to show
    the screen again with them: the version the response runs on, the screen, the answers given."""

    def __init__(
        self,
        refused: InvalidInput,
        published: Published,
        screen: Screen,
        raw: Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        language: str | None = None,
    ) -> None:
        super().__init__(refused.errors, refused.summary)
        self.published = published
        self.screen = screen
        self.raw = dict(raw)
        self.values = dict(values or {})  # what its texts pipe ({{name}}): the answers and variables so far
        self.language = language  # the response's language, once it has one


@dataclass(frozen=True)
class Submitted:
    response_id: str
    next_screen: Screen | None
    outcome: Outcome | None
    queued: int
    variant: str | None = None  # the A/B variant the response was served
