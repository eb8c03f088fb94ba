"""The console's settings form speaks the CLI's `destinations set` assignments: what it shows is what
is stored, a cleared field resets its setting, and an unticked box turns a setting off."""

from __future__ import annotations

from zeroparty.adapters.http.console.settings_form import FIELDS, assignments, shown_values
from zeroparty.domain.destination_config import change_settings
from zeroparty.domain.destination_settings import DestinationSettings


def test_posting_the_form_as_shown_changes_nothing() -> None:
    current = DestinationSettings.model_validate(
        {"identity": "external_id", "identify_emails": True, "max_objects": 40, "monthly_data_point_budget": 9000}
    )
    posted = {k: v for k, v in shown_values(current).items() if not (k == "identify_emails" and v == "false")}
    assert change_settings(current, assignments(posted)).settings == current


def test_a_cleared_field_resets_and_an_unticked_box_turns_off() -> None:
    current = DestinationSettings.model_validate({"identify_emails": True, "completion_event": "quiz_done"})
    posted = {**shown_values(current), "completion_event": ""}
    del posted["identify_emails"]  # a browser sends nothing for an unticked box
    after = change_settings(current, assignments(posted)).settings
    assert after.completion_event is None and after.identify_emails is False


def test_every_field_is_a_real_setting_with_help() -> None:
    assert all(f.key in DestinationSettings.model_fields for f in FIELDS)
    assert all(f.help for f in FIELDS)
