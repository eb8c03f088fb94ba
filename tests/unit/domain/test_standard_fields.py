"""Braze's standard profile fields: each value normalised to the format Braze takes, or refused."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.experience.iso_codes import COUNTRY_NAMES, LANGUAGE_NAMES, country_code, language_code
from zeroparty.domain.experience.standard_fields import (
    DIALING,
    STANDARD_FIELDS,
    FieldContext,
    normalise,
    normalise_dob,
    normalise_phone,
    parse_date,
)

GB = FieldContext(phone_country="GB", today=date(2026, 5, 1))
US = FieldContext(phone_country="US", date_order="mdy", today=date(2026, 5, 1))


@pytest.mark.parametrize(
    ("field", "given", "ctx", "expected"),
    [
        ("gender", "female", GB, "F"),
        ("gender", "Male", GB, "M"),
        ("gender", " f ", GB, "F"),
        ("gender", "Prefer not to say", GB, "P"),
        ("gender", "non-binary", GB, "O"),
        ("dob", "12/05/1990", GB, "1990-05-12"),
        ("dob", "12/05/1990", US, "1990-12-05"),
        ("dob", "1990-05-12", US, "1990-05-12"),
        ("dob", "1990/5/2", GB, "1990-05-02"),
        ("dob", "19900512", GB, "1990-05-12"),
        ("dob", "12 May 1990", GB, "1990-05-12"),
        ("dob", "May 12, 1990", GB, "1990-05-12"),
        ("dob", "12th Sept 1990", GB, "1990-09-12"),
        ("dob", "12-may-1990", GB, "1990-05-12"),
        ("phone", "020 7946 0958", GB, "+442079460958"),
        ("phone", "07700 900123", GB, "+447700900123"),
        ("phone", "+44 (0)20 7946 0958", US, "+442079460958"),
        ("phone", "0044 20 7946 0958", US, "+442079460958"),
        ("phone", "+44 020 7946 0958", US, "+442079460958"),
        ("phone", "(415) 555-2671", US, "+14155552671"),
        ("phone", "1-415-555-2671", US, "+14155552671"),
        ("phone", "011 44 20 7946 0958", US, "+442079460958"),
        ("phone", "+33 6 12 34 56 78", GB, "+33612345678"),
        ("phone", "+590 690 00 12 34", GB, "+590690001234"),  # outside the table: E.164's limits only
        ("country", "gb", GB, "GB"),
        ("country", "United Kingdom", GB, "GB"),
        ("country", "deu", GB, "DE"),
        ("country", "Côte d’Ivoire", GB, "CI"),
        ("country", "USA", GB, "US"),
        ("language", "EN", GB, "en"),
        ("language", "en-GB", GB, "en"),
        ("language", "pt_BR", GB, "pt"),
        ("language", "French", GB, "fr"),
        ("language", "farsi", GB, "fa"),
        ("first_name", "  Ada ", GB, "Ada"),
        ("time_zone", "Europe/London", GB, "Europe/London"),
        ("favourite_colour", "Green", GB, "Green"),  # a custom attribute passes through
    ],
)
def test_values_are_normalised(field: str, given: str, ctx: FieldContext, expected: str) -> None:
    assert normalise(field, given, ctx) == expected


@pytest.mark.parametrize(
    ("field", "given", "ctx", "message"),
    [
        ("gender", "yes", GB, "must be one of M, F, O, N, P"),
        ("dob", "31/02/1990", GB, "is not a real date"),
        ("dob", "next tuesday", GB, "must be a date such as 1990-05-12"),
        ("dob", "01/01/2030", GB, "must not be in the future"),
        ("dob", "1850-01-01", GB, "after 1900"),
        ("phone", "020 7946 0958", FieldContext(), "must start with + and the country code"),
        ("phone", "020 7946", GB, "is not a GB phone number"),
        ("phone", "call me", GB, "digits, spaces and + - . ( ) only"),
        ("phone", "+44 20 79", GB, "a country code and at most 15 digits"),
        ("phone", "+44 20 7946 0958 123", GB, "wrong number of digits for +44"),
        ("phone", "+1234567890123456", GB, "at most 15 digits"),
        ("country", "Atlantis", GB, "must be a country"),
        ("language", "Klingon", GB, "must be a language"),
        ("language", "xx", GB, "must be a language"),
        ("time_zone", "not a zone", GB, "time zone name"),
        ("last_name", "x" * 256, GB, "at most 255"),
    ],
)
def test_values_that_cannot_be_normalised_say_why(field: str, given: str, ctx: FieldContext, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        normalise(field, given, ctx)


def test_every_table_entry_is_consistent() -> None:
    assert len(COUNTRY_NAMES) == 249 and len(LANGUAGE_NAMES) == 183
    assert all(code in COUNTRY_NAMES for code in DIALING)
    assert all(country_code(name) == code for code, name in COUNTRY_NAMES.items())
    assert all(language_code(name) == code for code, name in LANGUAGE_NAMES.items())
    assert set(STANDARD_FIELDS) <= {
        "first_name",
        "last_name",
        "home_city",
        "gender",
        "dob",
        "phone",
        "country",
        "language",
        "time_zone",
    }


# --- properties: parsers of outside input -------------------------------------------------------

CONTEXTS = st.builds(
    FieldContext,
    phone_country=st.sampled_from([None, *sorted(DIALING)]),
    date_order=st.sampled_from(["dmy", "mdy"]),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
ANY_TEXT = st.text(max_size=40) | st.from_regex(r"[+0-9 ()./-]{0,20}", fullmatch=True)


@given(field=st.sampled_from(sorted(STANDARD_FIELDS)), text=ANY_TEXT, ctx=CONTEXTS)
def test_any_text_is_normalised_once_or_refused_with_a_value_error(field: str, text: str, ctx: FieldContext) -> None:
    """Whatever arrives: a ValueError, or a value that normalising again leaves as it is (a stored
    answer is checked again when the response completes)."""
    try:
        value = normalise(field, text, ctx)
    except ValueError:
        return
    assert normalise(field, value, ctx) == value
    assert len(value) <= 255


@given(text=ANY_TEXT, ctx=CONTEXTS)
def test_a_normalised_phone_is_e164(text: str, ctx: FieldContext) -> None:
    try:
        phone = normalise_phone(text, ctx)
    except ValueError:
        return
    assert phone[0] == "+" and phone[1:].isdigit() and phone[1] != "0" and 7 <= len(phone) - 1 <= 15


@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 5, 1)), order=st.sampled_from(["dmy", "mdy"]))
def test_a_date_written_in_any_accepted_way_reads_back(day: date, order: str) -> None:
    first, second = (day.day, day.month) if order == "dmy" else (day.month, day.day)
    month = day.strftime("%B")
    for written in (
        day.isoformat(),
        day.strftime("%Y%m%d"),
        f"{first}/{second}/{day.year}",
        f"{first:02}.{second:02}.{day.year}",
        f"{day.day} {month} {day.year}",
        f"{month[:3]} {day.day}, {day.year}",
    ):
        ctx = FieldContext(date_order="dmy" if order == "dmy" else "mdy", today=date(2026, 5, 1))
        assert parse_date(written, ctx.date_order) == day, written
        assert normalise_dob(written, ctx) == day.isoformat()


@given(national=st.integers(min_value=10**9, max_value=10**10 - 1))
def test_a_gb_number_is_the_same_whichever_way_it_is_written(national: int) -> None:
    digits = str(national)
    forms = (f"0{digits}", f"+44{digits}", f"0044 {digits}", f"+44 (0){digits}", f"+44 0{digits}")
    assert {normalise_phone(form, GB) for form in forms} == {f"+44{digits}"}
