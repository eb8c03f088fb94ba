"""The respondent's pass back to an outcome.

A completed response cannot be read or changed through its link: the link sits in access logs and
browser history. The browser that completed it gets this pass instead, a cookie that lets it see the
outcome again for `ZEROPARTY_REVISIT_SECONDS`. The pass names one response of one experience and
when it expires, signed with a key derived from the runtime's session secret; it is scoped to that
experience's pages (`/e/{slug}/`), HttpOnly, `SameSite=Lax` and `Secure` over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.responses import Response

REVISIT_COOKIE = "zp_outcome"
_KEY_LABEL = b"zeroparty respondent revisit"  # keeps this key apart from the operator session's
_EXPIRY = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class RevisitPass:
    session_secret: bytes
    seconds: int
    clock: Callable[[], float] = time.time
    _key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", hmac.new(self.session_secret, _KEY_LABEL, hashlib.sha256).digest())

    @property
    def window(self) -> str:
        """How long a pass lasts, in words: "10 minutes", "1 hour", "90 seconds"."""
        for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
            count, rest = divmod(self.seconds, size)
            if count and not rest:
                return f"{count} {unit}{'' if count == 1 else 's'}"
        raise AssertionError("unreachable: every whole number of seconds is a count of seconds")

    def _signature(self, slug: str, response_id: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{slug}\n{response_id}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, slug: str, response_id: str) -> str:
        """The cookie's value: `<response id>.<expiry, Unix seconds>.<signature>`."""
        expires = int(self.clock()) + self.seconds
        return f"{response_id}.{expires}.{self._signature(slug, response_id, expires)}"

    def admits(self, value: str | None, slug: str, response_id: str) -> bool:
        """Whether `value` is a pass this server issued for this response, and still current."""
        named, _, rest = (value or "").partition(".")
        expires, _, signature = rest.partition(".")
        if named != response_id or not _EXPIRY.fullmatch(expires) or not signature.isascii():
            return False
        genuine = hmac.compare_digest(signature, self._signature(slug, response_id, int(expires)))
        now = self.clock()
        # A pass outlives neither its own expiry nor the current setting (it may have been lowered).
        return genuine and now < int(expires) <= now + self.seconds

    def grant(self, answer: Response, path: str, slug: str, response_id: str, *, secure: bool) -> None:
        """Give the browser that completed `response_id` its pass (`path` scopes it to the experience)."""
        answer.set_cookie(
            REVISIT_COOKIE,
            self.issue(slug, response_id),
            max_age=self.seconds,
            path=path,
            httponly=True,
            samesite="lax",
            secure=secure,
        )
