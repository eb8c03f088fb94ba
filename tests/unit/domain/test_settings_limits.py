"""The settings that bound what is sent and kept: batch limits, array limit, record age, budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from zeroparty.domain.destination_config import apply_assignments, summary
from zeroparty.domain.destination_settings import DestinationSettings, format_duration


def test_defaults_are_brazes_safe_ones() -> None:
    s = DestinationSettings()
    assert (s.batch_limits, s.array_limit, s.dedupe_max_age) == ("combined", 25, timedelta(days=7))
    assert (s.monthly_data_point_budget, s.over_budget) == (None, "send")


def test_settings_stored_before_batch_limits_still_load() -> None:
    assert DestinationSettings.model_validate({"legacy_per_array": True}).batch_limits == "per_array"
    assert DestinationSettings.model_validate({"legacy_per_array": False}).batch_limits == "combined"


@pytest.mark.parametrize(
    ("text", "age"),
    [("7d", timedelta(days=7)), ("36h", timedelta(hours=36)), ("90m", timedelta(minutes=90)), ("0s", timedelta(0))],
)
def test_record_age_reads_and_writes_short_durations(text: str, age: timedelta) -> None:
    s = apply_assignments(DestinationSettings(), [f"dedupe_max_age={text}"])
    assert s.dedupe_max_age == age
    assert s.model_dump(mode="json")["dedupe_max_age"] == format_duration(age)
    assert DestinationSettings.model_validate(s.model_dump(mode="json")) == s


@pytest.mark.parametrize("bad", ["-1d", "soon", "4000d"])
def test_record_age_refuses_what_is_not_an_age(bad: str) -> None:
    with pytest.raises((ValidationError, ValueError)):
        DestinationSettings.model_validate({"dedupe_max_age": bad})


def test_array_limit_goes_up_to_brazes_500() -> None:
    assert DestinationSettings(array_limit=500).array_limit == 500
    with pytest.raises(ValidationError):
        DestinationSettings(array_limit=501)


def test_summary_names_what_differs() -> None:
    s = apply_assignments(DestinationSettings(), ["batch_limits=per_array", "dedupe_max_age=3d", "over_budget=hold"])
    assert summary(s) == "batch_limits=per_array; dedupe_max_age=3d; over_budget=hold"
