"""What a hosted page's first submit says about its sender, for spam protection
(services/admission.py): the client's address as a keyed hash (the address itself is never kept,
not even in memory), whether the honeypot field came back filled, and when the first screen was
served, from a timestamp the page carries signed (a client cannot make itself look slower).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from fastapi import Request

from zeroparty.domain.login_limits import client_key
from zeroparty.services.admission import Arrival

HONEYPOT_FIELD = "zp_website"  # a name form-filling robots take for a real field
SERVED_FIELD = "zp_served"


_MS = re.compile(r"[0-9]{1,15}")


class Arrivals:
    def __init__(self, secret: bytes) -> None:
        self._clients = hmac.new(secret, b"zeroparty client addresses", hashlib.sha256).digest()
        self._stamps = hmac.new(secret, b"zeroparty served stamps", hashlib.sha256).digest()

    def client(self, request: Request) -> str:
        """Whom a start counts against: the client's address (an IPv6 one by its /64), hashed."""
        key = client_key(request.client.host if request.client else None)
        return hmac.new(self._clients, key.encode(), hashlib.sha256).hexdigest()[:32]

    def stamp(self, now_ms: int) -> str:
        """The served time a page's form carries: `ms.signature`."""
        return f"{now_ms}.{self._sign(now_ms)}"

    def served_at(self, value: str | None) -> int | None:
        """The time a stamp says, when we signed it; None otherwise."""
        ms, _sep, signature = (value or "").partition(".")
        # ASCII only: str.isdigit() takes '¹' and compare_digest refuses non-ASCII text.
        if _MS.fullmatch(ms) is None or not signature.isascii():
            return None
        return int(ms) if hmac.compare_digest(signature, self._sign(int(ms))) else None

    def hosted(self, request: Request, pairs: list[tuple[str, str]]) -> Arrival:
        form = dict(pairs)
        return Arrival(
            client=self.client(request),
            hosted=True,
            trapped=bool(form.get(HONEYPOT_FIELD, "").strip()),
            served_at_ms=self.served_at(form.get(SERVED_FIELD)),
        )

    def _sign(self, ms: int) -> str:
        return hmac.new(self._stamps, str(ms).encode(), hashlib.sha256).hexdigest()[:32]
