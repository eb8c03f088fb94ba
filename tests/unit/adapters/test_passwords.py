"""Passwords are kept as Argon2id hashes with argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes:
RFC 9106's low-memory profile, above OWASP's minimum of 19 MiB and 2 passes); a hash made with
cheaper parameters (the test suite's) is verified, and flagged to be made again at the next sign-in."""

from __future__ import annotations

from zeroparty.adapters.passwords import Argon2Passwords

PASSWORD = "correct horse battery staple"


def test_the_product_hashes_with_argon2id_at_its_defaults_and_rehashes_cheaper_ones() -> None:
    product, cheap = Argon2Passwords(), Argon2Passwords.for_tests()
    made = product.hash(PASSWORD)
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in made
    assert product.verify(made, PASSWORD) and not product.verify(made, PASSWORD + "!")
    weaker = cheap.hash(PASSWORD)
    assert product.verify(weaker, PASSWORD) and product.needs_rehash(weaker) and not product.needs_rehash(made)
