"""The one normal form of an email address: the domain in ASCII (Braze refuses a Unicode one),
NFKC and lower case (one person, one address), look-alikes and what Braze refuses turned away."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.support.definitions import sample
from zeroparty.domain.emails import InvalidEmail, normalize_email
from zeroparty.domain.experience.answers import validate_whole_response
from zeroparty.errors import InvalidInput


@pytest.mark.parametrize(
    ("given_as", "stored_as"),
    [
        ("Jürgen@Bücher.de", "jürgen@xn--bcher-kva.de"),  # Braze takes a Unicode local part, not a Unicode domain
        ("ａｄａ@example.com", "ada@example.com"),  # full-width letters: NFKC
        ("ada＠ｅｘａｍｐｌｅ．ｃｏｍ", "ada@example.com"),  # a full-width @ and domain too
        ("  Ada@Example.COM ", "ada@example.com"),
        ("ada@xn--bcher-kva.de", "ada@xn--bcher-kva.de"),
        ("δημήτρης@παράδειγμα.gr", "δημήτρης@xn--hxajbheg2az3al.gr"),  # one script per word: kept
        ("ivan.иван@example.ru", "ivan.иван@example.ru"),
        ("o'brien+news@example.ie", "o'brien+news@example.ie"),
        ("jo.smith+quiz@hotmail.com", "jo.smith+quiz@hotmail.com"),
    ],
)
def test_addresses_take_one_form(given_as: str, stored_as: str) -> None:
    assert normalize_email(given_as) == stored_as


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("ada@exаmple.com", "mixes scripts: Latin and Cyrillic letters in one part of its domain"),  # Cyrillic а
        ("аda@example.com", "mixes scripts: Latin and Cyrillic letters in one word before the @"),
        ("ada@εxample.com", "mixes scripts: Latin and Greek letters"),
        ("a!b@example.com", "must start and end with a letter, digit, _ or -"),  # Braze's local-part rule
        ("ada&@example.com", "must start and end with a letter, digit, _ or -"),
        ("josé@outlook.com", "at Microsoft's addresses"),
        ("a@gmail.com", "at Gmail the part before the @ has at least two characters"),
        ("ada@example", "after the @-sign"),
        ("not-an-email", "@"),
        ("ada@[192.0.2.1]", "IP address"),
        ("x" * 250 + "@example.com", "at most 254 characters"),
    ],
)
def test_what_braze_would_refuse_or_only_looks_like_another_address_is_refused(address: str, says: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        normalize_email(address)
    assert says in str(refused.value)


def test_capture_names_the_email_field_when_it_refuses_a_look_alike() -> None:
    exp = sample()
    answers = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "none"}
    with pytest.raises(InvalidInput) as refused:
        validate_whole_response(exp, answers, {"email": "ada@exаmple.com"})
    [error] = refused.value.errors
    assert error.field == "inputs.email" and error.message.startswith("mixes scripts")
    clean = validate_whole_response(exp, answers, {"email": "Jürgen@Bücher.de"})
    assert clean["email"] == "jürgen@xn--bcher-kva.de"


EMAILISH = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda local, domain, tld: f"{local}@{domain}.{tld}",
        st.text(min_size=1, max_size=20),
        st.text(min_size=1, max_size=20),
        st.sampled_from(["com", "de", "рф", "ｃｏｍ", "123", ""]),
    ),
    st.builds(
        lambda local, domain: f"{local}@{domain}.example",
        st.text(st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1, max_size=12),
        st.text(st.characters(categories=["Ll", "Lu", "Nd"]), min_size=1, max_size=12),
    ),
)


@given(raw=EMAILISH)
@example(raw="Jürgen@Bücher.de")
@example(raw="İsa@example.com")  # lower case of İ is two code points
@example(raw="ǅ@example.com")
@example(raw="a\ud800@example.com")
def test_normal_form_is_a_fixed_point_with_an_ascii_domain_and_refusals_are_invalid_email(raw: str) -> None:
    try:
        address = normalize_email(raw)
    except InvalidEmail:
        return
    local, _, domain = address.rpartition("@")
    assert domain.isascii() and domain == domain.lower() and local == local.lower()
    assert normalize_email(address) == address
