"""`BulkSql` (adapters/db/bulk.py) on a real SQLite file and a real PostgreSQL database: a list or
a map passed as ONE parameter selects exactly what `IN (…)` would, whatever the text holds, and
what Braze accepted is stored and read back unchanged."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.outbox_world import T0, World
from zeroparty.adapters.db import settling
from zeroparty.adapters.db.bulk import BulkSql
from zeroparty.adapters.db.outbox_sql import records
from zeroparty.adapters.db.schema import delivery_state
from zeroparty.domain.holdings import AT_KEY

AWKWARD = ["", "a@x.co", "O'Brien@x.co", 'quote"d@x.co', "back\\slash@x.co", "zoë@x.co", "日本@例え.jp", "🙂@x.co",
           "comma,@x.co", "[bracket]@x.co", "{brace}@x.co", " spaced @x.co", "null", "1", "%s", ":name", "?"]  # fmt: skip

MEMBER = BulkSql("SELECT 1 WHERE :probe IN {ids:values}")
PAIR = BulkSql("SELECT 1 WHERE (:key, :number) IN (SELECT key, CAST(value AS INTEGER) FROM {texts:pairs})")

# What capture can store as an attribute value: text without NUL or lone surrogates (domain/untrusted.py),
# integers of at most 20 digits, finite floats, booleans, null, and lists of these.
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
_SCALAR = st.one_of(
    _TEXT,
    st.integers(min_value=-(10**20) + 1, max_value=10**20 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
# Any key but the record's own `$at` (domain/holdings.py), which no accepted value can have: attribute
# names never start with '$' (domain/braze_fields.py), and the marks that do are `$event:…` and the like.
_KEY = _TEXT.filter(lambda k: k != AT_KEY)
_VALUES = st.dictionaries(_KEY, st.one_of(_SCALAR, st.lists(_SCALAR, max_size=3)), max_size=5)


def _has(world: World, probe: str, values: list[str]) -> bool:
    with world.engine.connect() as conn:
        return MEMBER.run(conn, probe=probe, values=values).first() is not None


def test_a_list_selects_exactly_its_members_whatever_their_text(world: World) -> None:
    for probe in AWKWARD:
        assert _has(world, probe, AWKWARD), probe
        assert not _has(world, probe, [v for v in AWKWARD if v != probe]), probe
    assert not _has(world, "a@x.co", [])


def test_a_long_list_is_still_one_parameter(world: World) -> None:
    many = [f"user{i}@x.co" for i in range(40_000)]  # past SQLite's 32,766 host parameters, were each its own
    assert _has(world, "user39999@x.co", many)
    assert not _has(world, "user40000@x.co", many)


def test_pairs_match_key_and_number_together(world: World) -> None:
    pairs = {key: n for n, key in enumerate(AWKWARD)}
    with world.engine.connect() as conn:
        for key, n in pairs.items():
            assert PAIR.run(conn, key=key, number=n, pairs=pairs).first() is not None, key
            assert PAIR.run(conn, key=key, number=n + 1, pairs=pairs).first() is None, key


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_VALUES.filter(bool), min_size=1, max_size=4))
def test_accepted_values_come_back_exactly_as_recorded(world: World, values: list[dict[str, Any]]) -> None:
    run = uuid.uuid4().hex  # the database outlives one example: each example has its own users
    accepted = {f"{run}-{i}@x.co": v for i, v in enumerate(values)}
    with world.engine.begin() as conn:
        settling.record_accepted(conn, world.dest_id, accepted, T0)
    with world.engine.connect() as conn:
        stored = records.accepted_values(conn, world.dest_id, list(accepted))
    assert {u: _values(r) for u, r in stored.items()} == accepted
    assert all(r["$at"] == dict.fromkeys(accepted[u], int(T0.timestamp())) for u, r in stored.items())


def _values(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "$at"}


def test_recording_merges_with_what_was_accepted_before(world: World) -> None:
    with world.engine.begin() as conn:
        settling.record_accepted(conn, world.dest_id, {"a@x.co": {"skin_type": "dry", "n": 1}}, T0)
        settling.record_accepted(conn, world.dest_id, {"a@x.co": {"n": 2}, "b@x.co": {"skin_type": "oily"}}, T0)
    later = T0 + timedelta(seconds=1)
    with world.engine.begin() as conn:
        settling.record_accepted(conn, world.dest_id, {"b@x.co": {}}, later)  # nothing new: nothing changes
        stored = records.accepted_values(conn, world.dest_id, ["a@x.co", "b@x.co", "c@x.co"])
    assert {u: _values(r) for u, r in stored.items()} == {
        "a@x.co": {"skin_type": "dry", "n": 2},
        "b@x.co": {"skin_type": "oily"},
    }


def test_keys_a_request_in_doubt_carried_are_forgotten_and_the_rest_kept(world: World) -> None:
    later = T0 + timedelta(hours=1)
    with world.engine.begin() as conn:
        settling.record_accepted(conn, world.dest_id, {"a@x.co": {"skin_type": "dry", "n": 1}}, T0)
        settling.record_accepted(conn, world.dest_id, {"a@x.co": {"m": 3}}, later, {"a@x.co": ("n",)})
        [record] = records.accepted_values(conn, world.dest_id, ["a@x.co"]).values()
    assert _values(record) == {"skin_type": "dry", "m": 3}
    assert record["$at"] == {"skin_type": int(T0.timestamp()), "m": int(later.timestamp())}


def test_a_record_kept_before_times_were_kept_takes_the_time_it_was_written(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            sa.insert(delivery_state).values(
                destination_id=world.dest_id, user_key="old@x.co", values={"skin_type": "dry"}, updated_at=T0
            )
        )
        [record] = records.accepted_values(conn, world.dest_id, ["old@x.co"]).values()
    assert record == {"skin_type": "dry", "$at": {"skin_type": int(T0.timestamp())}}
