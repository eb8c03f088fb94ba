"""A person's CSV rows (services/person_view.py): each response then its answers, then each consent
with the text shown and whether it was given or withdrawn; values as stored, for the writer to guard."""

from __future__ import annotations

from datetime import UTC, datetime

from zeroparty.services.person_view import CSV_HEADER, Answer, Consent, Person, PersonResponse, export_rows

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


def test_rows_hold_each_response_its_answers_and_each_consent() -> None:
    person = Person(
        "ada@example.com",
        (
            PersonResponse(
                "r1", "skin-quiz", 2, "hosted", T0, None, None,
                (Answer("skin_goals", "s2", ["glow", "calm"], T0), Answer("first_name", "s4", "=1+1", T1)),
            ),
        ),
        (Consent("r1", "skin-quiz", "opt_in", "email_marketing", "news", False, "Send me news.", T1),),
        (),
    )  # fmt: skip

    rows = export_rows(person)

    assert all(len(row) == len(CSV_HEADER) for row in rows)
    assert rows == [
        ("response", "skin-quiz", "r1", T0.isoformat(), None, None, None, None, "hosted"),
        ("answer", "skin-quiz", "r1", T0.isoformat(), None, None, "skin_goals", ["glow", "calm"], "s2"),
        ("answer", "skin-quiz", "r1", T1.isoformat(), None, None, "first_name", "=1+1", "s4"),
        ("consent", "skin-quiz", "r1", T1.isoformat(), None, None, "opt_in", "withdrawn", "Send me news."),
    ]


def test_a_person_known_only_from_deliveries_has_no_rows() -> None:
    assert export_rows(Person("ada@example.com", (), (), ())) == []
