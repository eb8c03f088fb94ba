"""A respondent's current profile for `destinations backfill`: newest answers win, no subscription
state unless asked, and the newest signed external id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.definitions import sample
from zeroparty.domain.backfill import StoredResponse, current_profile

T0 = datetime(2026, 5, 1, tzinfo=UTC)
ANSWERS = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short", "marketing_opt_in": True}


def response(hours: int, external_id: str | None = None, **answers: object) -> StoredResponse:
    at = T0 + timedelta(hours=hours)
    return StoredResponse(sample(), {**ANSWERS, **answers}, "hydration_boost", at, at, external_id)


def test_old_consent_is_not_sent_unless_asked() -> None:
    plain = current_profile([response(0)])
    assert "email_subscribe" not in plain.attributes and plain.subscription_groups == {}
    assert plain.attributes["skin_type"] == "dry"
    consenting = current_profile([response(0)], with_consent=True)
    assert consenting.attributes["email_subscribe"] == "opted_in"


def test_the_newest_external_id_names_the_profile_and_the_email_becomes_an_attribute() -> None:
    profile = current_profile([response(2, None, skin_type="oily"), response(0, "cust-old"), response(1, "cust-77")])
    assert profile.external_id == "cust-77" and profile.attributes["skin_type"] == "oily"
    change = profile.change("ada@example.com")
    assert change is not None and change.key_for("external_id") == "cust-77"
    payload = change.payload()
    assert payload["external_id"] == "cust-77" and payload["email"] == "ada@example.com"
    plain = current_profile([response(0)]).change("ada@example.com")
    assert plain is not None and plain.payload() == {
        "attributes": current_profile([response(0)]).attributes,
        "subscription_groups": {},
        "completion": None,
        "external_id": None,
        "email": "ada@example.com",
    }
