"""Braze's email validation, as the sandbox applies it to `email` in /users/track and wherever an
address names a user.

https://www.braze.com/docs/user_guide/message_building_by_channel/email/email_setup/email_validation/
("Email validation"): no whitespace; the local part (before the last @) matches
`\\A[\\p{L}\\p{N}_-](?:[.+'\\p{L}\\p{N}_&#/-]*[\\p{L}\\p{N}_-])?\\z`, so Unicode letters are
accepted there; at Microsoft's domains (msn, hotmail, outlook, live) the part before any `+`
matches an ASCII pattern; at Gmail it has two characters or more. The domain is ASCII labels of
letters, digits and inner hyphens, at least two, the last not all digits: "Unicode is not accepted
for the domain part, but it may be Punycode-encoded". Kept apart from zeroparty's own normaliser
on purpose: the sandbox is Braze's twin and must catch what zeroparty gets wrong.
"""

from __future__ import annotations

import re

MAX_LENGTH = 255
# Python's \w on text is Unicode letters, numbers and `_`: Braze's [\p{L}\p{N}_].
_LOCAL = re.compile(r"[\w-](?:[.+'\w&#/-]*[\w-])?")
_MICROSOFT_LOCAL = re.compile(r"\w[-\w]*(?:\.[-\w]+)*", re.ASCII)
_DOMAIN = re.compile(r"[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)+", re.ASCII | re.I)
_MICROSOFT = frozenset({"msn", "hotmail", "outlook", "live"})
_GMAIL = frozenset({"gmail.com", "googlemail.com"})


def valid_email(value: object) -> bool:
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return False
    local, at, domain = value.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return False
    labels = domain.lower().split(".")
    if labels[-1].isdigit():
        return False
    if _MICROSOFT & set(labels[:-1]) and not _MICROSOFT_LOCAL.fullmatch(local.split("+", 1)[0]):
        return False
    return not (".".join(labels) in _GMAIL and len(local) < 2)
