"""Export columns come from the definition; CSV cells cannot start a formula."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tests.support.definitions import sample, sample_data
from zeroparty.domain.csv_cells import csv_cell
from zeroparty.domain.experience.export_columns import (
    RESPONSE_COLUMNS,
    ExportRow,
    answer_ids,
    columns,
    row_values,
)
from zeroparty.domain.experience.model import Experience

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_one_column_per_element_in_screen_order_after_the_responses_own() -> None:
    assert columns(sample()) == [
        *RESPONSE_COLUMNS,
        "skin_type",
        "skin_goals",
        "routine_length",
        "email",
        "first_name",
        "marketing_opt_in",
    ]


def test_an_element_named_like_a_response_column_gets_a_prefix() -> None:
    data = sample_data()
    data["screens"][0]["elements"][0]["id"] = "outcome"
    for outcome in data["outcomes"]:
        outcome.pop("when", None)
    data["outcomes"] = data["outcomes"][-1:]
    assert columns(Experience.model_validate(data))[5] == "answer.outcome"


def test_row_values_follow_the_columns() -> None:
    row = ExportRow("r1", T0, None, "clear_skin", None, {"skin_goals": ["hydration"], "email": "a@example.com"})
    values = row_values(answer_ids(sample()), row)
    assert values[:5] == ["r1", "2026-12-01T09:00:00Z", None, "clear_skin", None]
    assert values[5:] == [None, ["hydration"], None, "a@example.com", None, None]


def test_formula_starts_are_neutralised_and_numbers_are_not() -> None:
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [csv_cell(v) for v in ("+1", "-1", "@SUM(A1)", "\tx", "\rx")] == ["'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx"]
    assert csv_cell(-3) == "-3" and csv_cell(2.5) == "2.5"
    assert csv_cell(["=a", "b"]) == "'=a; b"
    assert (csv_cell(None), csv_cell(True), csv_cell("plain")) == ("", "true", "plain")


@given(st.one_of(st.text(), st.lists(st.text(), max_size=4), st.booleans(), st.none()))
def test_no_text_cell_ever_starts_a_formula(value: object) -> None:
    assert not csv_cell(value).startswith(("=", "+", "-", "@", "\t", "\r"))
