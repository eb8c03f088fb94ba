"""The respondent's signed passes for one experience: the resume pass (the response in progress,
so a reload or a return on the same device continues it) and the variant pass (the A/B variant
served, so a returning respondent sees the same one), both cookies; and the start pass, which a
first screen's form carries: the id its response will have, so that submitting that form twice
(a double click, a retry) is one response, not two.

Each holds one value, bound to the experience, with its expiry, signed with a key derived from the
runtime's session secret under a label of its own: `<value>.<expiry, Unix seconds>.<signature>`.
Cookies are HttpOnly, `SameSite=Lax`, `Secure` over HTTPS, and scoped to `/e/{slug}` (which the
browser sends to `/e/{slug}` and the pages below it, not to another experience's). A pass that is
malformed, forged, expired or for another experience reads as no pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.responses import Response

RESUME_COOKIE = "zp_resume"
VARIANT_COOKIE = "zp_variant"
RESUME_LABEL = b"zeroparty respondent resume"
VARIANT_LABEL = b"zeroparty respondent variant"
START_LABEL = b"zeroparty respondent start"
START_FIELD = "zp_start"
DEFAULT_SECONDS = 7 * 24 * 3600
_EXPIRY = re.compile(r"[0-9]{1,12}")
_VALUE = re.compile(r"[A-Za-z0-9_-]{1,100}")  # response ids (uuid) and variant names (Ident)
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")  # HMAC-SHA256, unpadded base64url


@dataclass(frozen=True)
class SignedPass:
    session_secret: bytes
    label: bytes
    name: str  # the cookie's
    seconds: int
    clock: Callable[[], float] = time.time
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", hmac.new(self.session_secret, self.label, hashlib.sha256).digest())

    def _signature(self, slug: str, value: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{slug}\n{value}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, slug: str, value: str) -> str:
        if not _VALUE.fullmatch(value):
            raise ValueError("a pass holds an identifier")
        expires = int(self.clock()) + self.seconds
        return f"{value}.{expires}.{self._signature(slug, value, expires)}"

    def read(self, cookie: str | None, slug: str) -> str | None:
        """The value of a pass this server issued for `slug` and that is still current; else None."""
        value, _, rest = (cookie or "").partition(".")
        expires, _, signature = rest.partition(".")
        if not (_VALUE.fullmatch(value) and _EXPIRY.fullmatch(expires) and _SIGNATURE.fullmatch(signature)):
            return None
        if not hmac.compare_digest(signature, self._signature(slug, value, int(expires))):
            return None
        now = self.clock()
        # A pass outlives neither its own expiry nor the current setting (it may have been lowered).
        return value if now < int(expires) <= now + self.seconds else None

    def grant(self, answer: Response, path: str, slug: str, value: str, *, secure: bool) -> None:
        answer.set_cookie(
            self.name,
            self.issue(slug, value),
            max_age=self.seconds,
            path=path,
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    def withdraw(self, answer: Response, path: str, *, secure: bool) -> None:
        answer.delete_cookie(self.name, path=path, httponly=True, samesite="lax", secure=secure)


@dataclass(frozen=True)
class RespondentPasses:
    resume: SignedPass
    variant: SignedPass
    start: SignedPass

    @classmethod
    def made(cls, session_secret: bytes, seconds: int, clock: Callable[[], float] = time.time) -> RespondentPasses:
        return cls(
            SignedPass(session_secret, RESUME_LABEL, RESUME_COOKIE, seconds, clock),
            SignedPass(session_secret, VARIANT_LABEL, VARIANT_COOKIE, seconds, clock),
            SignedPass(session_secret, START_LABEL, START_FIELD, seconds, clock),
        )

    @classmethod
    def unkeyed(cls) -> RespondentPasses:
        """Passes under a random key: good for this process only (for apps built without a runtime)."""
        return cls.made(secrets.token_bytes(32), DEFAULT_SECONDS)
