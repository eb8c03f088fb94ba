"""The same behaviour on PostgreSQL (the scale-out store) as on SQLite, and concurrent requests
that create the same user at once on both."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.sandbox.conftest import KEY, NOW, Sandbox, start
from tests.integration.sandbox.test_control_and_ui import search_is_literal
from tests.integration.sandbox.test_track_profile import CUSTOM
from tests.support.databases import database_url


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with database_url("postgres", tmp_path_factory.mktemp("pg")) as url:
        yield from start(tmp_path_factory.mktemp("pg"), url=url)


@pytest.fixture
def pg(postgres: Sandbox) -> Sandbox:
    postgres.reset()
    return postgres


@pytest.mark.parametrize(("case", "steps", "expected"), CUSTOM, ids=[c[0] for c in CUSTOM])
def test_custom_attribute_semantics_on_postgres(
    pg: Sandbox, case: str, steps: list[dict[str, Any]], expected: dict[str, Any]
) -> None:
    for attrs in steps:
        pg.attrs(external_id="u", **attrs)
    assert pg.custom("u") == expected


def test_identity_flow_on_postgres(pg: Sandbox) -> None:
    alias = {"alias_name": "anon", "alias_label": "quiz"}
    pg.track(
        attributes=[{"user_alias": alias, "_update_existing_only": False, "email": "lead@x.co", "quiz": "done"},
                    {"external_id": "cust", "plan": "pro"}],
        events=[{"user_alias": alias, "name": "finished", "time": NOW}],
        purchases=[{"external_id": "cust", "product_id": "kit", "currency": "USD", "price": 5, "quantity": 2, "time": NOW}],
    )  # fmt: skip
    assert (
        pg.post("/users/identify", {"aliases_to_identify": [{"external_id": "cust", "user_alias": alias}]}).status_code
        == 201
    )
    [user] = pg.export(email_address="lead@x.co")
    assert user["external_id"] == "cust" and user["custom_attributes"] == {"plan": "pro", "quiz": "done"}
    assert (user["custom_events"][0]["count"], user["purchases"][0]["count"]) == (1, 2)
    pg.post(
        "/users/merge",
        {
            "merge_updates": [
                {
                    "identifier_to_merge": {"email": "nobody@x.co", "prioritization": ["unidentified"]},
                    "identifier_to_keep": {"external_id": "cust"},
                }
            ]
        },
    )
    pg.post("/email/status", {"email": "lead@x.co", "subscription_state": "opted_in"})
    assert pg.export(external_ids=["cust"])[0]["email_subscribe"] == "opted_in"
    assert (
        pg.post(
            "/users/delete", {"email_addresses": [{"email": "lead@x.co", "prioritization": ["identified"]}]}
        ).json()["deleted"]
        == 1
    )
    assert pg.stats()["profiles"] == 0


def _race(sandbox: Sandbox) -> list[int]:
    body = {"attributes": [{"external_id": "racer", "n": {"inc": 1}, "tags": {"add": ["x"]}}]}

    def one(_: int) -> int:
        with httpx.Client() as client:
            return client.post(
                sandbox.base + "/users/track", json=body, headers={"Authorization": f"Bearer {KEY}"}
            ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(16)))


def test_concurrent_creates_of_one_user_make_one_profile_on_postgres(pg: Sandbox) -> None:
    assert _race(pg) == [201] * 16
    assert pg.stats()["profiles"] == 1 and pg.custom("racer") == {"n": 16, "tags": ["x"]}


def test_concurrent_creates_of_one_user_make_one_profile_on_sqlite(tmp_path: Path) -> None:
    for sandbox in start(tmp_path):
        assert _race(sandbox) == [201] * 16
        assert sandbox.stats()["profiles"] == 1 and sandbox.custom("racer") == {"n": 16, "tags": ["x"]}


def test_search_wildcards_are_literal_on_postgres(pg: Sandbox) -> None:
    search_is_literal(pg)
