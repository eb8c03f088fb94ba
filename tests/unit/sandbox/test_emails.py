"""The sandbox's email rule is Braze's "Email validation" page: Unicode letters before the @,
only an ASCII (Punycode) domain after it."""

from __future__ import annotations

import pytest

from zeroparty.sandbox.rules.emails import valid_email
from zeroparty.sandbox.rules.validation import object_problem

ACCEPTED = [
    "ada@example.com",
    "Ada.Lovelace+quiz@Example.CO.UK",
    "jürgen@xn--bcher-kva.de",  # a Unicode local part; the domain in Punycode
    "o'brien@example.ie",
    "-ada_@example.com",
    "jo.smith+x@hotmail.com",
    "ab@gmail.com",
]
REFUSED = [
    "jürgen@bücher.de",  # Braze: "Unicode is not accepted for the domain part"
    "ada@exаmple.com",  # a Cyrillic а is not ASCII either
    "ada@example",
    "ada@example.123",
    "ada@-example.com",
    "ada@exa_mple.com",
    "ada@[192.0.2.1]",
    "a b@example.com",
    ".ada@example.com",
    "ada.@example.com",
    "a!b@example.com",
    "josé@outlook.com",
    "a@gmail.com",
    "nope",
    "a@" + "b" * 250 + ".com",
]


@pytest.mark.parametrize("address", ACCEPTED)
def test_what_braze_accepts(address: str) -> None:
    assert valid_email(address)


@pytest.mark.parametrize("address", REFUSED)
def test_what_braze_refuses(address: str) -> None:
    assert not valid_email(address)


def test_a_unicode_domain_is_refused_naming_the_email_field() -> None:
    problem = object_problem("attributes", {"external_id": "u", "email": "jürgen@bücher.de"})
    assert problem == "The value provided for the 'email' field is not a valid email."
