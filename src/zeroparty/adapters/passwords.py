"""Password hashing with Argon2id (argon2-cffi), the `PasswordHasher` port of services/account_ports.py.

The library's defaults (time cost 3, 64 MiB, parallelism 4; RFC 9106's second recommendation) make
one hash take tens of milliseconds and 64 MiB, which is the point: a stolen table is slow to guess
through. Tests use `for_tests()`, cheap parameters, so they run fast; a hash made with them is
flagged by `needs_rehash` on a real hasher and replaced at the next sign-in."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Passwords:
    def __init__(
        self, *, time_cost: int | None = None, memory_kib: int | None = None, parallelism: int | None = None
    ) -> None:
        defaults = argon2.PasswordHasher()
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_kib or defaults.memory_cost,
            parallelism=parallelism or defaults.parallelism,
            type=argon2.Type.ID,
        )

    @classmethod
    def for_tests(cls) -> Argon2Passwords:
        """Cheap parameters (t=1, 8 MiB, p=1): for tests only."""
        return cls(time_cost=1, memory_kib=8 * 1024, parallelism=1)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(hashed)
        except InvalidHashError:
            return True
