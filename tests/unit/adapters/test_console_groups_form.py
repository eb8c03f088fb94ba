"""The subscription groups form speaks `destinations set`'s assignments: an emptied id unmaps a key,
a channel goes with its id, and each problem lands beside the field it is about."""

from __future__ import annotations

from zeroparty.adapters.http.console.destination_groups import _by_key, assignments, rows
from zeroparty.domain.destination_config import change_settings
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.errors import InvalidInput

GROUP = "3f2b6c1e-8a4d-4f7e-9b1a-2c3d4e5f6a7b"


def test_a_posted_form_maps_unmaps_and_keeps_the_channel() -> None:
    current = DestinationSettings.model_validate({"subscription_groups": {"old": {"id": GROUP}}})
    posted = {"group.news": GROUP, "channel.news": "sms", "group.old": " ", "csrf_token": "x"}
    after = change_settings(current, assignments(posted)).settings
    assert set(after.subscription_groups) == {"news"} and after.subscription_groups["news"].channel == "sms"


def test_rows_list_the_keys_asked_for_then_those_left_mapped() -> None:
    settings = DestinationSettings.model_validate({"subscription_groups": {"gone": {"id": GROUP}}})
    made = rows(settings, {"news": ["vip-signup"]})
    assert [(r.key, r.used_by, r.group_id) for r in made] == [("news", ["vip-signup"], ""), ("gone", [], GROUP)]


def test_a_bad_id_is_named_beside_its_row() -> None:
    try:
        change_settings(DestinationSettings(), assignments({"group.news": "nope"}))
    except InvalidInput as exc:
        assert list(_by_key(exc)) == ["group.news"]
    else:
        raise AssertionError("a bad id was accepted")
