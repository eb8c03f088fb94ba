"""Identifier resolution (https://www.braze.com/docs/api/endpoints/user_data/post_user_track) and
prioritization (https://www.braze.com/docs/api/endpoints/user_data/post_users_merge)."""

from __future__ import annotations

from typing import Any

import pytest

from zeroparty.sandbox.rules.identifiers import (
    Candidate,
    Identifier,
    IdentifierProblem,
    identify,
    prioritization_problem,
    prioritize,
    update_existing_only,
)

ALIAS = {"alias_name": "n", "alias_label": "l"}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"external_id": "u"}, Identifier("external_id", "u")),
        ({"braze_id": "b"}, Identifier("braze_id", "b")),
        ({"user_alias": ALIAS}, Identifier("user_alias", ("n", "l"))),
        ({"email": "A@X.co"}, Identifier("email", "a@x.co")),
        ({"phone": "+1555"}, Identifier("phone", "+1555")),
        ({"email": "a@x.co", "phone": "+1555"}, Identifier("email", "a@x.co")),  # email wins
        ({"external_id": "u", "email": "a@x.co"}, Identifier("external_id", "u")),  # then email is an attribute
        ({"external_id": None, "email": "a@x.co"}, Identifier("email", "a@x.co")),
    ],
)
def test_identify(obj: dict[str, Any], expected: Identifier) -> None:
    assert identify(obj) == expected


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"external_id": "a", "braze_id": "b"},
        {"external_id": ""},
        {"user_alias": {"alias_name": "n"}},
        {"external_id": "x" * 988},
    ],
)
def test_identify_refuses(obj: dict[str, Any]) -> None:
    with pytest.raises(IdentifierProblem):
        identify(obj)


@pytest.mark.parametrize(
    ("obj", "array", "update_only"),
    [
        ({"external_id": "u"}, "attributes", False),
        ({"external_id": "u", "_update_existing_only": True}, "attributes", True),
        ({"user_alias": ALIAS}, "attributes", True),
        ({"user_alias": ALIAS, "_update_existing_only": False}, "attributes", False),
        ({"user_alias": ALIAS, "_update_existing_only": False}, "events", True),
        ({"email": "a@x.co"}, "purchases", False),
    ],
)
def test_update_existing_only_defaults(obj: dict[str, Any], array: str, update_only: bool) -> None:
    assert update_existing_only(obj, identify(obj), array) is update_only


PEOPLE = [Candidate("anon-old", False, 1.0), Candidate("anon-new", False, 3.0), Candidate("known", True, 2.0)]


@pytest.mark.parametrize(
    ("order", "chosen"),
    [
        (["unidentified", "most_recently_updated"], "anon-new"),
        (["unidentified", "least_recently_updated"], "anon-old"),
        (["identified"], "known"),
        (["most_recently_updated"], "anon-new"),
        (["unidentified"], None),  # two remain: nothing is chosen
        (["least_recently_updated", "identified"], None),
    ],
)
def test_prioritize(order: list[str], chosen: str | None) -> None:
    pick = prioritize(PEOPLE, order)
    assert (pick.braze_id if pick else None) == chosen


def test_prioritize_a_tie_chooses_nobody() -> None:
    assert prioritize([Candidate("a", False, 1.0), Candidate("b", False, 1.0)], ["most_recently_updated"]) is None


@pytest.mark.parametrize(
    ("order", "ok"),
    [(["identified", "most_recently_updated"], True), (["identified", "unidentified"], False), ([], False), (["newest"], False), ("identified", False)],
)  # fmt: skip
def test_prioritization_problem(order: object, ok: bool) -> None:
    assert (prioritization_problem(order) is None) is ok
