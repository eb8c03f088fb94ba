"""Every field of Braze's user attributes object is a standard field zeroparty formats, or refused
as a custom attribute name: in a definition's mapping and in a destination's renames."""

from __future__ import annotations

import pytest

from tests.support.definitions import sample_data
from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.braze_fields import PROFILE_FIELDS, WRITABLE_PROFILE_FIELDS, attribute_name_problem
from zeroparty.domain.destination_config import apply_assignments
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.standard_fields import STANDARD_FIELDS
from zeroparty.errors import InvalidInput
from zeroparty.sandbox.rules.fields import IGNORED_FIELDS
from zeroparty.sandbox.rules.fields import STANDARD_FIELDS as SANDBOX_PROFILE_FIELDS

REFUSED = sorted(set(PROFILE_FIELDS) - WRITABLE_PROFILE_FIELDS)


def test_the_table_holds_every_field_braze_stores_in_the_profile() -> None:
    # The sandbox plays Braze from the same page; a field it knows and the table lacks would pass
    # here as a custom attribute and land in the profile's field.
    assert (SANDBOX_PROFILE_FIELDS | IGNORED_FIELDS) - set(PROFILE_FIELDS) == set()


def test_the_writable_fields_are_exactly_those_zeroparty_formats() -> None:
    assert set(STANDARD_FIELDS) == WRITABLE_PROFILE_FIELDS


@pytest.mark.parametrize("name", REFUSED)
def test_each_other_profile_field_is_refused_as_an_attribute_name(name: str) -> None:
    assert attribute_name_problem(name) is not None


def test_image_url_is_named_as_the_profile_picture_not_a_custom_attribute() -> None:
    problem = attribute_name_problem("image_url")
    assert problem is not None
    assert problem.startswith("'image_url' is a Braze profile field zeroparty does not write (the URL of the")
    assert "not a custom attribute" in problem


def test_a_definition_mapping_onto_image_url_is_refused_at_validate() -> None:
    data = sample_data()
    data["screens"][0]["elements"][0]["attribute"] = "image_url"
    exp, problems = definition_problems(data)
    assert exp is None
    assert [path for path, _ in problems] == ["screens[0].elements[0].attribute"]


@pytest.mark.parametrize("name", ["image_url", "push_subscribe", "facebook", "email", "subscription_groups"])
def test_a_rename_onto_a_profile_field_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        apply_assignments(DestinationSettings(), [f"renames.skin_type={name}"])
    assert str(refused.value.errors[0]).startswith(f"renames.skin_type: '{name}' is a Braze ")


def test_names_differing_in_case_are_custom_attributes() -> None:
    # Braze's field names are lower case and case sensitive.
    assert attribute_name_problem("Image_URL") is None
