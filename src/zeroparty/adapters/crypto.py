"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key kept outside the database.

`cryptography` (and OpenSSL with it) is loaded when a secret is first sealed or opened: the commands
that only list what is stored start without it."""

from __future__ import annotations

import os
from pathlib import Path

from zeroparty.errors import ConfigurationError


class SecretBox:
    def __init__(self, key: bytes) -> None:
        from cryptography.fernet import Fernet

        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigurationError(
                "ZEROPARTY_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes)"
            ) from None

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigurationError(
                "a stored secret cannot be decrypted: ZEROPARTY_SECRET_KEY differs from the key it was sealed with"
            ) from None


def load_or_create_key(explicit: str | None, key_file: Path) -> bytes:
    """The configured key, else the one in `key_file`, else a new one written there (mode 0600)."""
    if explicit:
        return explicit.encode()
    if key_file.exists():
        return key_file.read_bytes().strip()
    from cryptography.fernet import Fernet

    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
