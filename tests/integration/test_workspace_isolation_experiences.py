"""Nothing of one workspace's experience side reaches another (SQLite and PostgreSQL): from workspace
2, workspace 1's experience, its variants, its secret, its analytics and export and its assets are
not found (or not listed), through the same services the CLI uses; and the CLI acting in another
workspace (`--workspace`) cannot see it. What is public stays public: its page's slug and its images."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.test_cli import run
from tests.support.databases import database_url
from tests.support.definitions import SAMPLE, sample
from tests.support.images import image_bytes
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.analytics import SqlAnalytics
from zeroparty.adapters.db.assets import SqlAssets
from zeroparty.adapters.db.capture import SqlExperienceSecrets
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.published import SqlPublishedDefinitions
from zeroparty.adapters.db.variants import SqlVariants
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.domain.experience.publishing import PublishState
from zeroparty.errors import Conflict, NotFound
from zeroparty.services.analytics import AnalyticsService
from zeroparty.services.assets import AssetService
from zeroparty.services.experience_secrets import ExperienceSecretService
from zeroparty.services.variant_admin import VariantAdmin

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SLUG = sample().slug


@dataclass
class Side:
    """One workspace's services on the shared store."""

    experiences: SqlExperienceStore
    variants: VariantAdmin
    secrets: ExperienceSecretService
    analytics: AnalyticsService
    assets: AssetService


def side(engine: sa.Engine, box: SecretBox, workspace_id: int) -> Side:
    return Side(
        SqlExperienceStore(engine, workspace_id=workspace_id),
        VariantAdmin(SqlVariants(engine, workspace_id=workspace_id)),
        ExperienceSecretService(SqlExperienceSecrets(engine, box, workspace_id=workspace_id), clock=lambda: T0),
        AnalyticsService(SqlAnalytics(engine, workspace_id=workspace_id)),
        AssetService(
            SqlAssets(engine, workspace_id=workspace_id),
            SqlPublishedDefinitions(engine, workspace_id=workspace_id),
            clock=lambda: T0,
        ),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def sides(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        migrate.upgrade(engine)
        box = SecretBox(load_or_create_key(None, tmp_path / "k"))
        other = SqlWorkspaces(engine).create("other", "Other brand", T0)
        try:
            yield side(engine, box, 1), side(engine, box, other.id)
        finally:
            engine.dispose()


def test_workspace_1s_experience_is_not_found_from_workspace_2(sides: tuple[Side, Side]) -> None:
    mine, theirs = sides
    published = mine.experiences.publish(sample(), T0)
    assert [p.experience.slug for p in mine.experiences.list_published()] == [SLUG]
    assert list(theirs.experiences.list_published()) == []
    assert theirs.experiences.own(SLUG) is None and mine.experiences.own(SLUG) == published
    assert theirs.experiences.published(SLUG) == published  # its public page: any workspace's slug
    assert [p.experience.slug for p in theirs.experiences.list_listed()] == [SLUG]  # the public index too
    states: tuple[PublishState, ...] = ("closed", "unpublished", "published")
    for state in states:
        with pytest.raises(NotFound, match="no experience"):
            theirs.experiences.set_state(SLUG, state)
    assert mine.experiences.own(SLUG) == published  # still published, as it was
    with pytest.raises(Conflict, match="taken by another workspace"):
        theirs.experiences.publish(sample().model_copy(update={"title": "Theirs"}), T0)
    assert mine.experiences.published(SLUG) == published  # nothing stored


def test_its_variants_and_secret_are_not_found_from_workspace_2(sides: tuple[Side, Side]) -> None:
    mine, theirs = sides
    mine.experiences.publish(sample(), T0)
    mine.experiences.publish(sample().model_copy(update={"title": "Second"}), T0)
    assert [v.name for v in mine.variants.set(SLUG, ["A=1:50", "B=2:50"])] == ["A", "B"]
    for attempt in (
        lambda: theirs.variants.variants(SLUG),
        lambda: theirs.variants.set(SLUG, ["C=1:100"]),
        lambda: theirs.variants.clear(SLUG),
        lambda: theirs.secrets.make(SLUG),
        lambda: theirs.secrets.make(SLUG, rotate=True),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert [v.name for v in mine.variants.variants(SLUG)] == ["A", "B"]
    assert mine.secrets.make(SLUG).startswith("zps_")


def test_its_analytics_and_export_are_not_found_from_workspace_2(sides: tuple[Side, Side]) -> None:
    mine, theirs = sides
    mine.experiences.publish(sample(), T0)
    assert mine.analytics.stats(SLUG) is not None
    assert next(mine.analytics.export(SLUG, "csv")).startswith("response_id")
    with pytest.raises(NotFound):
        theirs.analytics.stats(SLUG)
    with pytest.raises(NotFound):
        list(theirs.analytics.export(SLUG, "jsonl"))


def test_its_assets_are_neither_listed_nor_removable_from_workspace_2(sides: tuple[Side, Side]) -> None:
    mine, theirs = sides
    added = mine.assets.add(image_bytes("png", 4, 4), "logo.png")
    name = added.info.name
    assert [a.name for a in mine.assets.listed()] == [name]
    assert theirs.assets.listed() == []
    assert theirs.assets.exists([name]) == [name]  # a definition of theirs cannot name it
    with pytest.raises(NotFound):
        theirs.assets.remove(name.reference)
    assert theirs.assets.get(name.file_name).data == mine.assets.get(name.file_name).data  # /assets/… is public
    # Adding the same bytes makes them theirs too; removing them there leaves them mine.
    assert theirs.assets.add(image_bytes("png", 4, 4), "copy.png").created is True
    theirs.assets.remove(name.reference)
    assert theirs.assets.listed() == [] and [a.name for a in mine.assets.listed()] == [name]


def test_the_cli_in_another_workspace_cannot_see_the_experience(tmp_path: Path) -> None:
    assert run(tmp_path, "experiences", "import", str(SAMPLE)).returncode == 0
    assert run(tmp_path, "workspaces", "create", "other").returncode == 0
    listed = run(tmp_path, "--workspace", "other", "experiences", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "[]"
    closed = run(tmp_path, "--workspace", "other", "experiences", "close", SLUG)
    assert closed.returncode == 1 and f"no experience '{SLUG}'" in closed.stderr
    taken = run(tmp_path, "--workspace", "other", "experiences", "import", str(SAMPLE))
    assert taken.returncode == 1 and "taken by another workspace" in taken.stderr
    assert SLUG in run(tmp_path, "experiences", "list").stdout
    unknown = run(tmp_path, "--workspace", "nowhere", "experiences", "list")
    assert unknown.returncode == 1 and "ZEROPARTY_WORKSPACE" in unknown.stderr
