"""Two workspaces on one store, on SQLite and PostgreSQL: through the services the CLI and the API
use, workspace 'other' can neither see nor change workspace 1's destination, its deliveries (figures,
dead items, replay), backfill from or forget in it, look up or erase its respondents, or see and
revoke its tokens; and a token of 'other' gets 404 for a response of workspace 1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.integration.test_cli import run
from tests.support.databases import database_url
from tests.support.definitions import sample
from tests.support.server import serve
from tests.support.stack import settings_for
from tests.support.workspaces import another_workspace
from zeroparty.adapters.db.schema import erasures
from zeroparty.bootstrap import (
    Runtime,
    backfill_service,
    build_web_app,
    deliveries_service,
    destinations_service,
    erasure_service,
    forget_service,
    open_runtime,
    operator_token_service,
)
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.roles import Role
from zeroparty.domain.settle import SettlePlan
from zeroparty.errors import NotFound

NOW = datetime.now(UTC)
KEY = "braze-rest-key-abcd1234"
ADA = "ada@example.com"


@dataclass
class Two:
    ours: Runtime  # workspace 1 (default): a destination 'crm', Ada's response, one dead item
    theirs: Runtime  # workspace 'other'
    dead_id: str
    response_id: str


@pytest.fixture(params=["sqlite", "postgresql"])
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Two]:
    with database_url(request.param, tmp_path) as url:
        settings = replace(settings_for(tmp_path), database_url=url)
        ours = open_runtime(settings)
        another_workspace(ours.engine, "other", NOW)
        theirs = open_runtime(replace(settings, workspace="other"))
        try:
            yield _seeded(ours, theirs)
        finally:
            ours.engine.dispose()
            theirs.engine.dispose()


def _seeded(ours: Runtime, theirs: Runtime) -> Two:
    ours.experiences.publish(sample(), NOW)
    dest_id = ours.destinations.add_braze("crm", "http://127.0.0.1:9", KEY, NOW)
    given = {
        email: ours.capture.submit_whole(
            "skin-quiz", {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"}, {"email": email}
        ).response_id
        for email in (ADA, "bob@example.com")
    }
    later = datetime.now(UTC)  # after the responses were queued
    claim = ours.outbox.claim(dest_id, "w", 1, 60, later, window_s=0.0, settle_window_s=0.0)
    [user] = claim.users
    dead = SettlePlan(dead=(((user.items[0].id,), "Braze rejected it"),))
    ours.outbox.settle(dest_id, "w", dead, {user.user_key: user.version}, later)
    return Two(ours, theirs, user.items[0].id, given[ADA])


def test_another_workspace_cannot_see_or_change_the_destination(two: Two) -> None:
    theirs = destinations_service(two.theirs)
    assert theirs.views() == [] and theirs.find("crm") is None
    for attempt in (
        lambda: theirs.connection("crm"),
        lambda: theirs.settings("crm"),
        lambda: theirs.update_key("crm", "braze-rest-key-new0009"),
        lambda: theirs.set_settings("crm", DestinationSettings(max_in_flight=1)),
        lambda: theirs.resume("crm"),
        lambda: theirs.remove("crm", force=True),
        lambda: theirs.test_plan("crm"),
    ):
        with pytest.raises(NotFound, match="no destination named 'crm'"):
            attempt()
    ours = destinations_service(two.ours).connection("crm")
    assert (ours.key_hint, ours.settings) == ("…1234", DestinationSettings())


def test_another_workspace_sees_and_replays_none_of_the_deliveries(two: Two) -> None:
    theirs = deliveries_service(two.theirs.engine, two.theirs.workspace.id, two.theirs.outbox)
    assert theirs.stats() == [] and theirs.dead() == []
    with pytest.raises(NotFound):
        theirs.dead("crm")
    with pytest.raises(NotFound):
        theirs.replay(None, "crm")
    refused = theirs.replay([two.dead_id])
    assert (refused.replayed, refused.problems) == (0, [f"ID: '{two.dead_id}' is not a delivery item"])
    assert theirs.replay(None).replayed == 0
    ours = deliveries_service(two.ours.engine, two.ours.workspace.id)
    assert [i.id for i in ours.dead()] == [two.dead_id]
    [stats] = ours.stats()
    assert (stats.name, stats.dead, stats.pending) == ("crm", 1, 1)


def test_another_workspace_neither_backfills_from_nor_forgets_in_the_destination(two: Two) -> None:
    with pytest.raises(NotFound):
        backfill_service(two.theirs).plan("crm", None)
    with pytest.raises(NotFound):
        forget_service(two.theirs).destination_id("crm")
    destinations_service(two.theirs).add_braze("crm", "http://127.0.0.1:9", KEY, DestinationSettings())
    plan = backfill_service(two.theirs).plan("crm", None)
    assert plan.emails == []  # workspace 1's respondents are not its own
    assert plan.dest.id != destinations_service(two.ours).connection("crm").id
    assert backfill_service(two.ours).plan("crm", None).emails == [ADA, "bob@example.com"]


def test_another_workspace_neither_finds_nor_erases_a_respondent(two: Two) -> None:
    destinations_service(two.theirs).add_braze("their-crm", "http://127.0.0.1:9", KEY, DestinationSettings())
    theirs = erasure_service(two.theirs)
    lookup = theirs.look_up(ADA)
    assert (lookup.found.responses, lookup.found.delivered, lookup.found.destinations) == (0, {}, ("their-crm",))
    erased = theirs.erase(lookup)
    assert erased.local.responses == 0 and erased.local.rows == {}
    with two.ours.engine.connect() as conn:  # the log says whose erasure it was
        logged = conn.execute(sa.select(erasures.c.workspace_id).where(erasures.c.id == erased.local.erasure_id))
        assert logged.scalar_one() == two.theirs.workspace.id
    ours = erasure_service(two.ours).look_up(ADA).found
    assert ours.responses == 1 and ours.destinations == ("crm",)
    assert two.ours.responses.status(two.response_id) is not None


def test_tokens_are_listed_and_revoked_per_workspace(two: Two) -> None:
    ours = operator_token_service(two.ours.engine, two.ours.workspace.id)
    theirs = operator_token_service(two.theirs.engine, two.theirs.workspace.id)
    ours.create("ci", role=Role.EDITOR)
    assert theirs.tokens() == []
    with pytest.raises(NotFound, match="no active token named 'ci'"):
        theirs.revoke("ci")
    theirs.create("ci")  # names are unique per workspace
    [mine] = ours.tokens()
    assert (mine.role, mine.revoked_at, mine.workspace_id) == (Role.EDITOR, None, two.ours.workspace.id)
    [their] = theirs.tokens()
    assert (their.role, their.workspace_id) == (Role.OWNER, two.theirs.workspace.id)


def test_a_token_of_another_workspace_gets_404_for_a_response(two: Two) -> None:
    ours = two.ours.tokens.create("reader-1", NOW)
    theirs = two.theirs.tokens.create("reader-2", NOW)
    app = build_web_app(two.ours, worker=False, sandbox=None)
    with serve(app) as base:
        url = f"{base}/api/v1/responses/{two.response_id}"
        mine = httpx.get(url, headers={"Authorization": f"Bearer {ours}"}, timeout=10)
        assert mine.status_code == 200, mine.text
        assert mine.json()["email"] == ADA
        other = httpx.get(url, headers={"Authorization": f"Bearer {theirs}"}, timeout=10)
        assert other.status_code == 404
        assert ADA not in other.text


def test_the_cli_in_another_workspace_cannot_list_or_remove_the_destination(tmp_path: Path) -> None:
    rt = open_runtime(settings_for(tmp_path))
    rt.destinations.add_braze("crm", "http://127.0.0.1:9", KEY, NOW)
    another_workspace(rt.engine, "other", NOW)
    rt.engine.dispose()
    listed = run(tmp_path, "--workspace", "other", "destinations", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    removed = run(tmp_path, "--workspace", "other", "destinations", "remove", "crm", "--force")
    assert removed.returncode == 1
    assert "no destination named 'crm'" in removed.stderr
    still = run(tmp_path, "destinations", "list", "--json")
    assert [d["name"] for d in json.loads(still.stdout)] == ["crm"]
