"""A destination's attribute mapping: what the published experiences set, renamed and excluded by the
destination's settings; a change validated as `destinations set` validates it, and refused when two
attributes would reach Braze under one name; the preview shows the renamed body and its cost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.definitions import sample, sample_data
from tests.unit.services.test_destinations import T0, Store, service
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import InvalidInput, NotFound
from zeroparty.services.attribute_mapping import AttributeMappingService, attribute_kinds
from zeroparty.services.ports import Published


class Published_:
    def __init__(self, *experiences: Experience) -> None:
        self.experiences = experiences

    def list_published(self) -> Iterator[Published]:
        return iter([Published(i + 1, 1, exp) for i, exp in enumerate(self.experiences)])


def second() -> Experience:
    data = sample_data()
    data["slug"] = "second-quiz"
    data["score_attribute"] = "quiz_score"
    return Experience.model_validate(data)


def mapping_service(store: Store, *experiences: Experience) -> AttributeMappingService:
    return AttributeMappingService(service(store), Published_(*experiences), clock=lambda: T0)


def test_every_attribute_is_listed_once_with_its_type_and_the_experiences_that_set_it() -> None:
    store = Store()
    store.settings_of["eu"] = DestinationSettings.model_validate(
        {"renames": {"skin_type": "skin"}, "exclude": ["first_name"]}
    )
    found = mapping_service(store, sample(), second()).mapping("eu")
    rows = {a.id: a for a in found.attributes}
    assert list(rows)[:2] == ["skin_type", "skin_goals"]
    assert rows["skin_type"].braze_name == "skin" and rows["skin_type"].renamed
    assert rows["first_name"].excluded and not rows["first_name"].renamed
    assert rows["skin_goals"].kind == "array" and rows["skin_type"].kind == "string"
    assert rows["skin_type"].experiences == ("skin-quiz", "second-quiz")
    assert rows["quiz_score"].experiences == ("second-quiz",) and rows["quiz_score"].kind == "number"


def test_the_preview_sends_the_renamed_attribute_leaves_out_the_excluded_and_counts_its_points() -> None:
    store = Store()
    svc = mapping_service(store, sample())
    plain = svc.mapping("eu").preview
    [before] = plain.track["attributes"]
    assert "skin_type" in before and "first_name" in before
    wanted = svc.proposed("eu", {"skin_type": "skin"}, {"first_name"})
    preview = svc.mapping("eu", wanted).preview
    [after] = preview.track["attributes"]
    assert after["skin"] == before["skin_type"] and "skin_type" not in after and "first_name" not in after
    assert preview.points == plain.points - 1
    assert preview.experience == "skin-quiz" and preview.first_response is not None
    assert store.settings_of["eu"] == DestinationSettings()  # a preview stores nothing


def test_save_stores_renames_and_exclusions_and_a_name_back_to_its_id_drops_the_rename() -> None:
    store = Store()
    store.settings_of["eu"] = DestinationSettings.model_validate(
        {"renames": {"skin_type": "skin", "gone_attribute": "kept"}, "exclude": ["unlisted"]}
    )
    svc = mapping_service(store, sample())
    svc.save("eu", {"skin_type": "skin_type", "skin_goals": " goals "}, {"first_name"})
    saved = store.settings_of["eu"]
    # Entries for attributes no published experience sets are left as they were.
    assert saved.renames == {"skin_goals": "goals", "gone_attribute": "kept"}
    assert saved.exclude == frozenset({"first_name", "unlisted"})


@pytest.mark.parametrize(
    ("names", "excluded", "field", "said"),
    [
        ({"skin_type": "$skin"}, set(), "skin_type", "must not start with '$'"),
        ({"skin_type": "external_id"}, set(), "skin_type", "identifier"),
        ({"skin_type": "skin_goals"}, set(), "skin_type", "another attribute is called 'skin_goals'"),
        ({"skin_type": "x", "skin_goals": "x"}, set(), "skin_goals", "'skin_type' is already sent as 'x'"),
        ({"skin_type": "skin"}, {"skin_type"}, "skin_type", "cannot be renamed"),
    ],
)
def test_a_wrong_or_clashing_name_is_refused_by_attribute_and_nothing_is_stored(
    names: dict[str, str], excluded: set[str], field: str, said: str
) -> None:
    store = Store()
    with pytest.raises(InvalidInput) as caught:
        mapping_service(store, sample()).save("eu", names, excluded)
    assert any(e.field == field and said in e.message for e in caught.value.errors), caught.value.errors
    assert store.settings_of["eu"] == DestinationSettings()


def test_every_problem_is_named_at_once() -> None:
    store = Store()
    with pytest.raises(InvalidInput) as caught:
        mapping_service(store, sample()).save("eu", {"skin_type": "$skin", "skin_goals": "first_name"}, set())
    assert {e.field for e in caught.value.errors} == {"skin_type", "skin_goals"}


def test_a_name_clashing_with_an_excluded_attribute_is_fine() -> None:
    store = Store()
    mapping_service(store, sample()).save("eu", {"skin_type": "skin_goals"}, {"skin_goals"})
    assert store.settings_of["eu"].renames == {"skin_type": "skin_goals"}


def test_without_a_published_experience_the_preview_is_the_synthetic_set_and_nothing_is_listed() -> None:
    found = mapping_service(Store()).mapping("eu")
    assert found.attributes == []
    assert found.preview.experience is None and found.preview.track["attributes"][0]["zeroparty_test"] is True


def test_an_unknown_destination_is_not_found() -> None:
    with pytest.raises(NotFound):
        mapping_service(Store(), sample()).mapping("nowhere")


def test_types_of_outcome_score_products_and_completion() -> None:
    data = sample_data()
    data.update(score_attribute="score", products_attribute="products", completion_attribute="done_at")
    kinds = attribute_kinds(Experience.model_validate(data))
    assert (kinds["score"], kinds["products"], kinds["done_at"], kinds["skin_quiz_routine"]) == (
        "number",
        "array",
        "time",
        "string",
    )
