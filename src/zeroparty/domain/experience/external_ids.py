"""Signed external ids: how a brand tells zeroparty who a respondent is in Braze.

A Braze `external_id` names one profile for good, so it must never be a value the respondent's
browser chose: a forged one would write answers onto someone else's profile. The brand's server
signs it with the experience's secret (`zeroparty experiences secret SLUG`) and passes the token
to the page or the API:

    zpid.v1.<base64url(external_id)>.<expiry, unix seconds>.<base64url(HMAC-SHA256(secret, signed part))>

The signed part is everything before the last dot (`zpid.v1.<id>.<expiry>`), as ASCII bytes; the
key is the secret's text as UTF-8; base64url is without padding (RFC 4648 §5). docs/experiences.md
shows how to make one.

Rules on the id (https://www.braze.com/docs/api/objects_filters/user_attributes_object and
https://www.braze.com/docs/api/endpoints/user_data/post_user_track): at most 987 bytes of UTF-8,
not empty, no control characters or lone surrogates (the untrusted-text rules), no leading or
trailing spaces (they would name a different profile than the brand's own systems do).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from zeroparty.domain.untrusted import text_problem

PREFIX = "zpid.v1."
MAX_EXTERNAL_ID_BYTES = 987
# A token holds the id (≤ 987 bytes → ≤ 1316 base64url characters), the expiry and the MAC.
MAX_TOKEN_LENGTH = 1500
MAX_EXPIRY_DIGITS = 12  # unix seconds into the year 33658: anything longer is not an expiry
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_DIGITS = re.compile(r"[0-9]+")
_MAC_BYTES = 32


class TokenProblem(ValueError):
    """Why a token is refused; the message never quotes the token or the id."""


def external_id_problem(external_id: str) -> str | None:
    """Why `external_id` cannot name a Braze profile, or None."""
    problem = text_problem(external_id)
    if problem:
        return f"the external id {problem}"
    if not external_id.strip():
        return "the external id is empty"
    if external_id != external_id.strip():
        return "the external id has leading or trailing spaces"
    if len(external_id.encode()) > MAX_EXTERNAL_ID_BYTES:
        return f"the external id is over Braze's limit of {MAX_EXTERNAL_ID_BYTES} bytes"
    return None


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes | None:
    """Strict: only the base64url alphabet, no padding, and the one canonical spelling of the bytes
    (so a token cannot be altered without changing its signed part)."""
    if not _B64URL.fullmatch(text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64encode(raw) == text else None


def _mac(secret: str, signed: str) -> bytes:
    return hmac.new(secret.encode(), signed.encode("ascii"), hashlib.sha256).digest()


def make_token(external_id: str, expires_at: int, secret: str) -> str:
    """A token naming `external_id` until `expires_at` (unix seconds), signed with `secret`."""
    problem = external_id_problem(external_id)
    if problem:
        raise TokenProblem(problem)
    if expires_at < 0 or len(str(expires_at)) > MAX_EXPIRY_DIGITS:
        raise TokenProblem("the expiry must be unix seconds")
    signed = f"{PREFIX}{_b64encode(external_id.encode())}.{expires_at}"
    return f"{signed}.{_b64encode(_mac(secret, signed))}"


def verify_token(token: str, secret: str, now: float) -> str:
    """The external id `token` names, if `secret` signed it and it has not expired at `now` (unix
    seconds); TokenProblem otherwise. The signature is checked before anything inside is trusted,
    in constant time."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenProblem(f"is longer than {MAX_TOKEN_LENGTH} characters")
    if not token.isascii():
        raise TokenProblem("holds characters no token has")
    if not token.startswith(PREFIX):
        raise TokenProblem("is not a zeroparty external id token (it must start with 'zpid.v1.')")
    parts = token[len(PREFIX) :].split(".")
    if len(parts) != 3:
        raise TokenProblem("must have the form zpid.v1.<id>.<expiry>.<signature>")
    id_part, expiry_part, mac_part = parts
    mac = _b64decode(mac_part)
    if mac is None or len(mac) != _MAC_BYTES:
        raise TokenProblem("has a malformed signature")
    if not hmac.compare_digest(mac, _mac(secret, f"{PREFIX}{id_part}.{expiry_part}")):
        # A wrong secret (another experience's, or a rotated one) or an altered token.
        raise TokenProblem("is not signed with this experience's secret")
    if not _DIGITS.fullmatch(expiry_part) or len(expiry_part) > MAX_EXPIRY_DIGITS:
        raise TokenProblem("has a malformed expiry")
    if int(expiry_part) <= now:
        raise TokenProblem("has expired")
    raw = _b64decode(id_part)
    if raw is None:
        raise TokenProblem("has a malformed external id")
    try:
        external_id = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenProblem("has an external id that is not UTF-8 text") from None
    problem = external_id_problem(external_id)
    if problem:
        raise TokenProblem(f"is refused: {problem}")
    return external_id
