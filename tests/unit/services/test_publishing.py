"""Publishing as `zeroparty experiences validate/import` and the console's editor do it: each problem
names the line it is on, nothing is stored while a definition has one, a roll back publishes an older
version's definition again as a new version, and a slug another workspace holds is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from tests.support.definitions import SAMPLE
from zeroparty.adapters.memory.assets import MemoryAssets, MemoryPublished
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.publishing import PublishState
from zeroparty.errors import Conflict, FieldError, NotFound
from zeroparty.services.assets import AssetService
from zeroparty.services.ports import Published
from zeroparty.services.publishing import ExperienceSummary, PublishingService, VersionInfo, line_of

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TEXT = SAMPLE.read_text(encoding="utf-8")


class Done:
    def __init__(self, published: Published, created: bool) -> None:
        self.published = published
        self.created = created


class History:
    """One workspace's experiences; `taken` are slugs another workspace holds."""

    def __init__(self, taken: frozenset[str] = frozenset()) -> None:
        self.taken = taken
        self.kept: dict[str, list[dict[str, Any]]] = {}

    def publish_if_changed(self, exp: Experience, now: datetime) -> Done:
        if exp.slug in self.taken:
            raise Conflict(FieldError("slug", f"'{exp.slug}' is taken by another workspace"))
        versions = self.kept.setdefault(exp.slug, [])
        created = not versions or versions[-1] != exp.stored_form()
        if created:
            versions.append(exp.stored_form())
        return Done(Published(len(versions), len(versions), exp, "published", None, 1), created)

    def set_state(self, slug: str, state: PublishState, closed_message: str | None = None) -> PublishState:
        return "published"

    def summaries(self) -> list[ExperienceSummary]:
        return []

    def versions(self, slug: str) -> list[VersionInfo]:
        return [VersionInfo(n, NOW) for n in range(len(self.kept.get(slug, [])), 0, -1)]

    def definition(self, slug: str, version: int) -> dict[str, Any] | None:
        found = self.kept.get(slug, [])
        return found[version - 1] if 0 < version <= len(found) else None

    def state(self, slug: str) -> tuple[PublishState, str | None] | None:
        return ("published", None) if slug in self.kept else None


def service(history: History, array_limit: int | None = None) -> PublishingService:
    destinations = [] if array_limit is None else [("braze", DestinationSettings(array_limit=array_limit))]
    return PublishingService(
        history, lambda: destinations, AssetService(MemoryAssets(), MemoryPublished()), lambda: NOW
    )


def test_a_problem_names_the_line_its_field_is_written_on() -> None:
    text = TEXT.replace("        label: Pick the closest\n", '        label: ""\n', 1)
    checked = service(History()).check(text)
    assert checked.experience is None
    [problem] = checked.problems
    assert problem.path == "screens[0].elements[0].label"
    assert problem.line is not None and text.split("\n")[problem.line - 1].strip() == 'label: ""'


def test_a_syntax_error_names_its_line_and_column() -> None:
    text = TEXT + "  broken: [\n"
    [problem] = service(History()).check(text).problems
    assert problem.path.startswith("definition, line ") and problem.message.startswith("YAML syntax error")
    assert problem.line == TEXT.count("\n") + 1  # the line appended


def test_a_multi_choice_over_the_destinations_array_limit_is_a_problem_on_its_line() -> None:
    [problem] = service(History(), array_limit=2).check(TEXT).problems
    assert problem.path == "screens[1].elements[0].max_selected" and "braze" in problem.message
    assert problem.line is not None and TEXT.split("\n")[problem.line - 1].strip() == "max_selected: 3"


def test_a_valid_definition_is_checked_with_its_forecast_and_nothing_is_stored() -> None:
    history = History()
    checked = service(history, array_limit=25).check(TEXT)
    assert checked.experience is not None and not checked.problems
    assert [name for name, _ in checked.forecast] == ["braze"]
    assert history.kept == {}


def test_roll_back_publishes_the_old_definition_as_a_new_version() -> None:
    history = History()
    svc = service(history)
    first = svc.check(TEXT).experience
    second = svc.check(TEXT.replace("Find your skincare routine", "Your routine", 1)).experience
    assert first is not None and second is not None
    svc.publish(first)
    svc.publish(second)
    done = svc.roll_back(first.slug, 1)
    assert done.created and done.published.version == 3
    assert history.definition(first.slug, 3) == history.definition(first.slug, 1)
    assert yaml.safe_load(svc.text(first.slug))["title"] == "Find your skincare routine"
    with pytest.raises(NotFound):
        svc.roll_back(first.slug, 9)


def test_another_workspaces_slug_is_refused_and_nothing_is_stored() -> None:
    history = History(taken=frozenset({"skin-quiz"}))
    svc = service(history)
    exp = svc.check(TEXT).experience
    assert exp is not None
    with pytest.raises(Conflict) as refused:
        svc.publish(exp)
    assert refused.value.errors[0].field == "slug"
    assert history.kept == {}
    with pytest.raises(NotFound):
        svc.versions("skin-quiz")


def test_line_of_finds_the_deepest_part_of_a_path_the_text_has() -> None:
    text = "slug: a\nscreens:\n  - id: one\n    elements:\n      - id: x\n"
    assert line_of(text, "screens[0].elements[0].label") == 5
    assert line_of(text, "screens[3]") == 2
    assert line_of("not: [valid", "slug") is None
