"""Signed external id tokens, and how a destination naming people by external_id renders them."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.braze_payload import (
    EXTERNAL_ID_KEY,
    IDENTIFIED_KEY,
    NO_EXTERNAL_ID,
    Change,
    NotSendable,
    UserChanges,
    render,
)
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.external_ids import (
    MAX_EXTERNAL_ID_BYTES,
    TokenProblem,
    external_id_problem,
    make_token,
    verify_token,
)

SECRET = "zps_unit-test-secret"
NOW = 1_800_000_000


def test_a_token_round_trips_until_it_expires() -> None:
    token = make_token("cust-42", NOW + 60, SECRET)
    assert token.startswith("zpid.v1.")
    assert verify_token(token, SECRET, NOW) == "cust-42"
    with pytest.raises(TokenProblem, match="expired"):
        verify_token(token, SECRET, NOW + 60)


def test_the_documented_recipe_makes_a_token_zeroparty_accepts() -> None:
    # What docs/experiences.md tells a brand's server to do, spelt out without zeroparty's code.
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    signed = f"zpid.v1.{b64('ünïcode id'.encode())}.{NOW + 300}"
    token = signed + "." + b64(hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest())
    assert verify_token(token, SECRET, NOW) == "ünïcode id"


def test_another_experiences_secret_or_an_altered_token_is_refused() -> None:
    token = make_token("cust-42", NOW + 60, SECRET)
    with pytest.raises(TokenProblem, match="not signed with this experience's secret"):
        verify_token(token, "zps_another-experience", NOW)
    prefix, id_part, expiry, mac = token.rsplit(".", 3)
    other = make_token("cust-43", NOW + 60, SECRET).split(".")[2]
    for forged in (
        f"{prefix}.{other}.{expiry}.{mac}",  # another id under the same signature
        f"{prefix}.{id_part}.{int(expiry) + 10**6}.{mac}",  # a later expiry
    ):
        with pytest.raises(TokenProblem, match="not signed"):
            verify_token(forged, SECRET, NOW)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "not a zeroparty external id token"),
        ("cust-42", "not a zeroparty external id token"),
        ("zpid.v2.a.1.b", "not a zeroparty external id token"),
        ("zpid.v1.a.1", "must have the form"),
        ("zpid.v1.a.1.b.c", "must have the form"),
        ("zpid.v1.a.1.!!", "malformed signature"),
        ("zpid.v1.a.1.AAAA", "malformed signature"),
        ("zpid.v1.a.1.é", "characters no token has"),
        ("zpid.v1.a.1.\ud800", "characters no token has"),
        ("zpid.v1." + "A" * 2000, "longer than"),
    ],
)
def test_malformed_tokens_are_refused_with_the_reason(token: str, message: str) -> None:
    with pytest.raises(TokenProblem, match=message):
        verify_token(token, SECRET, NOW)


def _sign(signed: str) -> str:
    mac = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    return signed + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


@pytest.mark.parametrize(
    ("signed", "message"),
    [
        ("zpid.v1.Y3VzdA.soon", "malformed expiry"),
        ("zpid.v1.Y3VzdA.-5", "malformed expiry"),
        ("zpid.v1.Y3VzdA." + "9" * 13, "malformed expiry"),
        (f"zpid.v1.Y3VzdA=.{NOW + 9}", "malformed external id"),  # padding: not the canonical spelling
        (f"zpid.v1.Y3VzdB.{NOW + 9}", "malformed external id"),  # non-canonical trailing bits
        (f"zpid.v1.__8.{NOW + 9}", "not UTF-8"),
        (f"zpid.v1.AA.{NOW + 9}", "NUL"),
        (f"zpid.v1.IGN1c3Q.{NOW + 9}", "leading or trailing spaces"),
        (f"zpid.v1..{NOW + 9}", "malformed external id"),
    ],
)
def test_a_signed_token_with_a_bad_inside_is_still_refused(signed: str, message: str) -> None:
    with pytest.raises(TokenProblem, match=message):
        verify_token(_sign(signed), SECRET, NOW)


def test_external_id_rules() -> None:
    assert external_id_problem("a" * MAX_EXTERNAL_ID_BYTES) is None
    assert "987 bytes" in (external_id_problem("é" * 494) or "")  # 988 bytes of UTF-8
    assert external_id_problem("") == "the external id is empty"
    assert "control character" in (external_id_problem("a\tb") or "")
    with pytest.raises(TokenProblem, match="987 bytes"):
        make_token("x" * 988, NOW, SECRET)
    assert verify_token(make_token("x" * 987, NOW + 1, SECRET), SECRET, NOW) == "x" * 987


ids = st.text(min_size=1, max_size=60).filter(lambda s: external_id_problem(s) is None)


@given(ids, st.integers(min_value=0, max_value=10**11))
def test_any_valid_id_round_trips(external_id: str, expires: int) -> None:
    assert verify_token(make_token(external_id, expires + 1, SECRET), SECRET, expires) == external_id


@given(st.text(max_size=300))
def test_arbitrary_text_is_refused_never_crashes(text: str) -> None:
    try:
        verify_token(text, SECRET, NOW)
    except TokenProblem:
        return
    pytest.fail("an unsigned text was accepted")


@given(ids, st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=255))
def test_any_one_byte_change_to_a_token_is_refused_or_names_the_same_id(
    external_id: str, position: int, replacement: int
) -> None:
    token = make_token(external_id, NOW + 60, SECRET)
    at = position % len(token)
    changed = token[:at] + chr(replacement) + token[at + 1 :]
    with contextlib.suppress(TokenProblem):
        assert verify_token(changed, SECRET, NOW) == external_id and changed == token


# -- rendering for a destination that names people by external_id ---------------------------------

EXT = DestinationSettings(identity="external_id")


def _user(*external_ids: str | None) -> UserChanges:
    rows = tuple(
        Change(f"i{n}", "ada@example.com", {"skin_type": f"v{n}"}, external_id=e) for n, e in enumerate(external_ids)
    )
    return UserChanges("ada@example.com", rows)


def test_a_user_with_an_external_id_is_named_by_it_and_the_email_is_an_attribute() -> None:
    r = render(_user("cust-42"), EXT, {})
    assert r.attributes == {"external_id": "cust-42", "email": "ada@example.com", "skin_type": "v0"}
    assert r.sent[EXTERNAL_ID_KEY] == "cust-42" and r.identify is None


def test_a_user_without_one_cannot_go_to_such_a_destination() -> None:
    with pytest.raises(NotSendable, match=NO_EXTERNAL_ID):
        render(_user(None, None), EXT, {})


def test_the_latest_external_id_wins_and_a_new_id_gets_everything_current() -> None:
    accepted = {EXTERNAL_ID_KEY: "old-id", "email": "ada@example.com", "skin_type": "v1"}
    r = render(_user(None, "old-id", "new-id"), EXT, accepted)
    assert r.attributes is not None and r.attributes["external_id"] == "new-id"
    assert r.attributes["email"] == "ada@example.com"  # the new profile holds nothing yet
    same = render(_user("new-id"), EXT, {EXTERNAL_ID_KEY: "new-id", "email": "ada@example.com", "skin_type": "v0"})
    assert same.attributes is None  # nothing new for the profile Braze already holds


def test_identify_emails_marks_a_user_until_identified_under_this_id() -> None:
    settings = DestinationSettings(identity="external_id", identify_emails=True)
    r = render(_user("cust-42"), settings, {})
    assert r.identify == {
        "external_id": "cust-42",
        "email": "ada@example.com",
        "prioritization": ["unidentified", "most_recently_updated"],
    }
    assert r.sent[IDENTIFIED_KEY] == "cust-42"
    again = render(_user("cust-42"), settings, {EXTERNAL_ID_KEY: "cust-42", IDENTIFIED_KEY: "cust-42"})
    assert again.identify is None
    assert render(_user("cust-42"), DestinationSettings(identify_emails=True), {}).identify is None  # email identity


def test_the_completion_event_names_the_user_by_external_id() -> None:
    settings = DestinationSettings(identity="external_id", completion_event="quiz_done")
    row = Change("i0", "ada@example.com", {}, completion={"time": "2026-01-01T00:00:00Z"}, external_id="cust-42")
    r = render(UserChanges("ada@example.com", (row,)), settings, {})
    assert r.events[0]["external_id"] == "cust-42" and "email" not in r.events[0]
