"""What is decided when a response starts (its first screen's submit, or a whole response through
the API), before its first answers are checked: the version it runs on (the latest, or its A/B
variant's), the link's declared hidden values, the external id a signed token names, a new id.
Every check that refuses a start belongs here, in `start_response`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.domain.experience.external_ids import TokenProblem, verify_token
from zeroparty.domain.experience.hidden import hidden_values
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.ports import CaptureReader, Published
from zeroparty.services.variant_choice import named, served

TOKEN_FIELD = "external_id_token"
HIDDEN_FIELD = "hidden"


@dataclass(frozen=True)
class Start:
    """What a response's first submit brings: the link's token and hidden values, the A/B variant
    its first screen was shown as (`strict`: a client named it, so it must exist), the random
    number a variant is otherwise drawn with, and the time."""

    slug: str
    token: str | None
    hidden: Mapping[str, Any]
    variant: str | None
    u: float
    now: datetime
    strict: bool = False
    response_id: str | None = None  # the id its first screen's form was given, if any (else a new one)


@dataclass(frozen=True)
class Started:
    published: Published
    response_id: str
    given: dict[str, str]  # the declared hidden values
    external_id: str | None
    variant: str | None


def start_response(unit: CaptureReader, latest: Published, start: Start) -> Started:
    """The start of a response of `latest`'s experience (which takes responses: the caller checked)."""
    choose = named if start.strict else served
    pub, variant = choose(unit, latest, start.variant, start.u)
    given = declared_hidden(pub, start.hidden)
    external_id = external_id_of(unit, start.slug, start.token, start.now)
    return Started(pub, start.response_id or str(uuid.uuid4()), given, external_id, variant)


def declared_hidden(pub: Published, raw: Mapping[str, Any]) -> dict[str, str]:
    """The declared hidden values among `raw`; an InvalidInput naming `hidden.KEY` for a bad one."""
    values, problems = hidden_values(pub.experience.hidden(), raw)
    if problems:
        errors = [FieldError(f"{HIDDEN_FIELD}.{key}", why) for key, why in problems]
        raise InvalidInput(errors, "a hidden value is refused")
    return values


def external_id_of(unit: CaptureReader, slug: str, token: str | None, now: datetime) -> str | None:
    """The external id a signed token names, checked against the experience's own secret; an
    InvalidInput naming `external_id_token` otherwise, before anything is written."""
    if token is None:
        return None
    secret = unit.experience_secret(slug)
    if secret is None:
        problem = f"experience '{slug}' accepts no external id tokens: it has no secret to check them with"
    else:
        try:
            return verify_token(token, secret, now.timestamp())
        except TokenProblem as exc:
            problem = str(exc)
    raise InvalidInput([FieldError(TOKEN_FIELD, problem)], "the external id token is refused")
