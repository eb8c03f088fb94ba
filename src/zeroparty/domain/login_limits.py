"""How many failed sign-ins a client, and an account, may have before the next attempt has to wait.
A pure state machine: the caller hands it the time (seconds, monotonic) and the outcome of each try.

Each client and each account has an allowance of failures (a token bucket: `burst` at once, refilled
over `window_s`). An attempt is admitted when

- the client has a failure left: every attempt reserves one up front (so a hundred requests sent at
  once cannot all be checked), and a success gives the client's record back; and
- the account has a failure left, *or* the client has a clean record (no failure in its window):
  someone guessing one account's secret from many addresses is slowed down once the account's
  allowance is spent, while a client that has not failed (the account's owner, typically) still
  signs in, whatever others did.

Memory is bounded: at most `max_tracked` clients and as many accounts are remembered, the least
recently seen forgotten first (a flood of new addresses can push out old records, never grow the
table). A record whose allowance has refilled is dropped when next seen.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from zeroparty.domain.token_buckets import TokenBuckets


@dataclass(frozen=True)
class LoginPolicy:
    client_burst: int = 10  # failures one client may have at once
    account_burst: int = 30  # failures one account may have at once, over every client
    window_s: float = 900.0  # an allowance refills completely over this long
    max_tracked: int = 10_000  # records kept per kind (clients, accounts)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: int = 0  # whole seconds to wait, when refused (at least 1)
    why: str = ""  # "client" or "account" when refused

    def refusal(self, account: str) -> str:
        """Why a refused sign-in was refused, as a clause (`account`: how the account is named, e.g.
        "with this token")."""
        who = "from your address" if self.why == "client" else account
        return f"too many failed sign-ins {who}: try again in {self.retry_after_s} seconds"


ALLOWED = Decision(True)


class _Allowances:
    """Failure allowances per key, all of one size and refill rate (`token_buckets`)."""

    def __init__(self, burst: int, window_s: float, max_keys: int) -> None:
        self.burst = float(burst)
        self.rate = burst / window_s  # failures given back per second
        self._buckets = TokenBuckets(max_keys)

    def left(self, key: str, now: float) -> float:
        return self._buckets.left(key, self.burst, self.rate, now)

    def spend(self, key: str, now: float) -> None:
        self._buckets.spend(key, self.burst, self.rate, now)

    def forget(self, key: str) -> None:
        self._buckets.forget(key)

    def clean(self, key: str, now: float) -> bool:
        if self.left(key, now) >= self.burst:
            self.forget(key)  # refilled: nothing left to remember
            return True
        return False

    def wait_for(self, key: str, wanted: float, now: float) -> float:
        """Seconds until `key` has `wanted` failures left."""
        return max(0.0, (wanted - self.left(key, now)) / self.rate)

    def __len__(self) -> int:
        return len(self._buckets)


class LoginLimiter:
    def __init__(self, policy: LoginPolicy | None = None) -> None:
        self.policy = policy or LoginPolicy()
        p = self.policy
        self.clients = _Allowances(p.client_burst, p.window_s, p.max_tracked)
        self.accounts = _Allowances(p.account_burst, p.window_s, p.max_tracked)

    def admit(self, client: str, account: str | None, now: float) -> Decision:
        """Before a credential is checked: refused (with how long to wait), or admitted with one of
        the client's failures reserved until `succeeded` or `failed` says how it went."""
        if self.clients.left(client, now) < 1:
            return _refused(self.clients.wait_for(client, 1, now), "client")
        if account is not None and self.accounts.left(account, now) < 1 and not self.clients.clean(client, now):
            wait = min(self.accounts.wait_for(account, 1, now), self.clients.wait_for(client, self.clients.burst, now))
            return _refused(wait, "account")
        self.clients.spend(client, now)
        return ALLOWED

    def failed(self, account: str | None, now: float) -> None:
        """The admitted attempt failed: the client's reserved failure stays; the account pays one."""
        if account is not None:
            self.accounts.spend(account, now)

    def succeeded(self, client: str) -> None:
        """The admitted attempt signed in: the client's record is cleared."""
        self.clients.forget(client)


def _refused(wait_s: float, why: str) -> Decision:
    return Decision(False, max(1, math.ceil(wait_s)), why)


def client_key(host: str | None) -> str:
    """Whom to count a request against: its address, an IPv6 address by its /64 (one subscriber is
    usually handed a whole /64, so counting single addresses would let it rotate for free)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
