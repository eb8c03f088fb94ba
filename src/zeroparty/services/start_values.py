"""What a response brings when it starts, besides its answers: the declared hidden values and a
signed external id token, each checked before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from zeroparty.domain.experience.external_ids import TokenProblem, verify_token
from zeroparty.domain.experience.hidden import hidden_values
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.ports import CaptureReader, Published

TOKEN_FIELD = "external_id_token"
HIDDEN_FIELD = "hidden"


def start_hidden(pub: Published, raw: Mapping[str, Any]) -> dict[str, str]:
    """The declared hidden values among `raw`; an InvalidInput naming `hidden.KEY` for a bad one."""
    values, problems = hidden_values(pub.experience.hidden(), raw)
    if problems:
        errors = [FieldError(f"{HIDDEN_FIELD}.{key}", why) for key, why in problems]
        raise InvalidInput(errors, "a hidden value is refused")
    return values


def start_external_id(unit: CaptureReader, slug: str, token: str | None, now: datetime) -> str | None:
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
