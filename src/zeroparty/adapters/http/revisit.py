"""The respondent's pass back to an outcome.

A completed response cannot be read or changed through its link: the link sits in access logs and
browser history. The browser that completed it gets this pass instead, a cookie that lets it see the
outcome again for `ZEROPARTY_REVISIT_SECONDS`. The pass names one response of one experience and
when it expires, signed with a key derived from the runtime's session secret; it is scoped to that
experience's pages (`/e/{slug}/`), HttpOnly, `SameSite=Lax` and `Secure` over HTTPS.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.responses import Response

from zeroparty.adapters.http.respondent_pass import SignedPass

REVISIT_COOKIE = "zp_outcome"
_KEY_LABEL = b"zeroparty respondent revisit"  # keeps this key apart from the operator session's


class RevisitPass:
    """A signed pass (`respondent_pass.SignedPass`) that holds the id of the completed response."""

    def __init__(self, session_secret: bytes, seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.seconds = seconds
        self._pass = SignedPass(session_secret, _KEY_LABEL, REVISIT_COOKIE, seconds, clock)

    @property
    def window(self) -> str:
        """How long a pass lasts, in words: "10 minutes", "1 hour", "90 seconds"."""
        for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
            count, rest = divmod(self.seconds, size)
            if count and not rest:
                return f"{count} {unit}{'' if count == 1 else 's'}"
        raise AssertionError("unreachable: every whole number of seconds is a count of seconds")

    def issue(self, slug: str, response_id: str) -> str:
        """The cookie's value: `<response id>.<expiry, Unix seconds>.<signature>`."""
        return self._pass.issue(slug, response_id)

    def admits(self, value: str | None, slug: str, response_id: str) -> bool:
        """Whether `value` is a pass this server issued for this response, and still current."""
        return self._pass.read(value, slug) == response_id

    def grant(self, answer: Response, path: str, slug: str, response_id: str, *, secure: bool) -> None:
        """Give the browser that completed `response_id` its pass (`path` scopes it to the experience)."""
        self._pass.grant(answer, path, slug, response_id, secure=secure)
