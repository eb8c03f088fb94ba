"""Which user an object addresses (https://www.braze.com/docs/api/endpoints/user_data/post_user_track,
"Identifier resolution"): exactly one primary identifier (external_id, user_alias, braze_id); with
none, email and then phone are lookup identifiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

PRIMARY = ("external_id", "user_alias", "braze_id")
MAX_EXTERNAL_ID_BYTES = 987  # EXTERNAL_USER_ID_TOO_LARGE (https://www.braze.com/docs/api/errors)

# The two rejections about the whole object rather than one field (the first is the sentence public
# client tests show); every other rejection quotes the one field it is about.
IDENTIFIER_REQUIRED = "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required"
ONLY_ONE_PRIMARY = "Only one of external_id, user_alias or braze_id may be provided"

Kind = Literal["external_id", "user_alias", "braze_id", "email", "phone"]


@dataclass(frozen=True)
class Identifier:
    kind: Kind
    value: str | tuple[str, str]  # (alias_name, alias_label) for user_alias


class IdentifierProblem(ValueError):
    pass


def identify(obj: Mapping[str, Any]) -> Identifier:
    primaries = [k for k in PRIMARY if obj.get(k) is not None]
    if len(primaries) > 1:
        raise IdentifierProblem(ONLY_ONE_PRIMARY)
    if primaries:
        kind = primaries[0]
        value = obj[kind]
        if kind == "user_alias":
            if not isinstance(value, dict) or not all(
                isinstance(value.get(k), str) and value.get(k) for k in ("alias_name", "alias_label")
            ):
                raise IdentifierProblem("'user_alias' must be an object with string alias_name and alias_label")
            return Identifier("user_alias", (value["alias_name"], value["alias_label"]))
        if not isinstance(value, str) or not value:
            raise IdentifierProblem(f"'{kind}' must be a non-empty string")
        if kind == "external_id" and len(value.encode()) > MAX_EXTERNAL_ID_BYTES:
            raise IdentifierProblem("'external_id' must be fewer than 988 bytes")
        return Identifier("external_id" if kind == "external_id" else "braze_id", value)
    for kind in ("email", "phone"):
        value = obj.get(kind)
        if isinstance(value, str) and value:
            return Identifier("email" if kind == "email" else "phone", value.lower() if kind == "email" else value)
    raise IdentifierProblem(IDENTIFIER_REQUIRED)


def update_existing_only(obj: Mapping[str, Any], ident: Identifier, array: str) -> bool:
    """Braze's defaults: external_id creates; an alias only updates, unless an attributes object
    says `_update_existing_only: false` (https://www.braze.com/docs/api/objects_filters/user_attributes_object)."""
    given = obj.get("_update_existing_only")
    if ident.kind == "user_alias":
        return array != "attributes" or given is not False
    return given is True


# -- choosing among several profiles that share an email or phone ------------------------------

PRIORITIES = ("identified", "unidentified", "most_recently_updated", "least_recently_updated")


@dataclass(frozen=True)
class Candidate:
    braze_id: str
    identified: bool  # has an external_id
    updated_at: float  # seconds, any epoch; only compared


def prioritization_problem(order: object) -> str | None:
    """`prioritization` is an ordered array of PRIORITIES naming at most one of identified and
    unidentified (https://www.braze.com/docs/api/endpoints/user_data/post_users_merge)."""
    if not isinstance(order, list) or not order or not all(p in PRIORITIES for p in order):
        return f"'prioritization' must be a non-empty array of {', '.join(PRIORITIES)}"
    if "identified" in order and "unidentified" in order:
        return "'prioritization' may hold only one of 'identified' and 'unidentified'"
    return None


def prioritize(candidates: list[Candidate], order: list[str]) -> Candidate | None:
    """The one profile the ordered prioritization picks; None when none or several remain ("if more
    than one user matches from a prioritization, then merging does not occur")."""
    remaining = list(candidates)
    for rule in order:
        if rule in ("identified", "unidentified"):
            remaining = [c for c in remaining if c.identified == (rule == "identified")]
        elif remaining:
            pick = max if rule == "most_recently_updated" else min
            best = pick(c.updated_at for c in remaining)
            remaining = [c for c in remaining if c.updated_at == best]
    return remaining[0] if len(remaining) == 1 else None
