"""The respondent's signed passes (resume, variant): only a current pass this server issued for
this experience reads as one; anything else, tampered or malformed, reads as none."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import Response

from zeroparty.adapters.http.respondent_pass import RespondentPasses

SECRET = b"s" * 32
NOW = 1_800_000_000.0


def passes(now: float = NOW, seconds: int = 3600) -> RespondentPasses:
    return RespondentPasses.made(SECRET, seconds, clock=lambda: now)


def test_a_pass_reads_back_for_its_experience_only_while_current() -> None:
    p = passes()
    cookie = p.resume.issue("quiz", "0b5e9c1e-4d7b-4f43-9a4c-2b1b1d7c9e10")
    assert p.resume.read(cookie, "quiz") == "0b5e9c1e-4d7b-4f43-9a4c-2b1b1d7c9e10"
    assert p.resume.read(cookie, "other-quiz") is None  # another experience's
    assert p.variant.read(cookie, "quiz") is None  # another kind of pass: another key
    assert passes(now=NOW + 3600).resume.read(cookie, "quiz") is None  # expired
    assert passes(seconds=60).resume.read(cookie, "quiz") is None  # the setting was lowered since
    assert RespondentPasses.made(b"t" * 32, 3600, lambda: NOW).resume.read(cookie, "quiz") is None  # other secret


def test_a_pass_is_an_httponly_lax_cookie_scoped_to_the_experience() -> None:
    answer = Response()
    passes().variant.grant(answer, "/e/quiz", "quiz", "B", secure=True)
    header = answer.headers["set-cookie"]
    assert header.startswith("zp_variant=B.")
    for part in ("Path=/e/quiz", "HttpOnly", "SameSite=lax", "Secure", "Max-Age=3600"):
        assert part in header


@given(st.text(max_size=120), st.integers(0, 200))
def test_a_tampered_or_made_up_pass_reads_as_none(garbage: str, position: int) -> None:
    p = passes()
    genuine = p.variant.issue("quiz", "A")
    assert p.variant.read(garbage, "quiz") in (None, "A") and (
        p.variant.read(garbage, "quiz") is None or garbage == genuine
    )
    # One character changed anywhere breaks it.
    i = position % len(genuine)
    changed = genuine[:i] + ("x" if genuine[i] != "x" else "y") + genuine[i + 1 :]
    assert p.variant.read(changed, "quiz") is None
    assert p.variant.read(genuine + garbage, "quiz") is None or garbage == ""
