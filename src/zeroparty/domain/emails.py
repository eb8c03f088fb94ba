"""One normal form for an email address, used wherever zeroparty takes one (capture, the CLI).

Braze matches profiles by email, so two spellings of one address would be two people, and an
address Braze refuses loses the lead after it was accepted here. Rules, from Braze's "Email
validation" page (https://www.braze.com/docs/user_guide/message_building_by_channel/email/email_setup/email_validation/):

- The domain must be ASCII: "Unicode is not accepted for the domain part, but it may be
  Punycode-encoded", so `Jürgen@Bücher.de` is kept and sent as `jürgen@xn--bcher-kva.de`.
- The local part may hold Unicode letters and numbers ("including Unicode letters and numbers"),
  so it is kept; it starts and ends with a letter, number, `_` or `-`, and may hold `. + ' & # /`
  between. At Microsoft's consumer domains (msn, hotmail, outlook, live) the part before any `+`
  is letters, digits, `_`, `-` and single dots; at Gmail it has at least two characters.

And, so one person is one address:

- NFKC first: a full-width `ａｄａ@example.com` is `ada@example.com`.
- Lower case: Braze matches emails case-insensitively.
- A label (`exаmple`) or a run of letters in the local part mixing Latin, Cyrillic and Greek
  letters is refused: it only looks like another address (a Cyrillic `а` in `ada@exаmple.com`).

Pure; the only error raised is `InvalidEmail`, a ValueError saying what is wrong.
"""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL = 254  # RFC 5321's limit on a path, which Braze's 255-character field also holds

# Braze's local-part pattern; Python's \w is Unicode letters, numbers and `_`, as Braze's \p{L}\p{N}_.
_BRAZE_LOCAL = re.compile(r"[\w-](?:[.+'\w&#/-]*[\w-])?")
# At Microsoft's consumer domains Braze uses an ASCII pattern on the part before any `+`.
_MICROSOFT_LOCAL = re.compile(r"\w[-\w]*(?:\.[-\w]+)*", re.ASCII)
_MICROSOFT = frozenset({"msn", "hotmail", "outlook", "live"})
_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_BRAZE_LABEL = re.compile(r"[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?", re.ASCII)
_RUN = re.compile(r"[^\W\d_]+")  # letters only: the parts a reader compares by eye
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")  # the scripts whose letters look alike


class InvalidEmail(ValueError):
    """The text is not an address Braze would take as one person's; the message says why."""


def _scripts(word: str) -> set[str]:
    found: set[str] = set()
    for char in word:
        name = unicodedata.name(char, "")
        found.update(script for script in _SCRIPTS if name.startswith(script + " "))
    return found


def _mixed(word: str) -> str | None:
    """'Latin and Cyrillic' when `word` mixes look-alike scripts, else None."""
    scripts = _scripts(word)
    if len(scripts) < 2:
        return None
    names = [s.title() for s in _SCRIPTS if s in scripts]
    return " and ".join([", ".join(names[:-1]), names[-1]])


def _look_alike_problem(local: str, domain: str) -> str | None:
    if local.isascii() and domain.isascii():
        return None  # only Latin letters: nothing to mix
    for where, words in (("one part of its domain", domain.split(".")), ("one word before the @", _RUN.findall(local))):
        mixed = next((m for m in map(_mixed, words) if m), None)
        if mixed:
            return f"mixes scripts: {mixed} letters in {where}, as look-alike addresses do; type it again"
    return None


def _braze_problem(local: str, ascii_domain: str) -> str | None:
    """Why Braze's email validation would refuse this address, or None."""
    if not _BRAZE_LOCAL.fullmatch(local):
        return (
            "the part before the @ must start and end with a letter, digit, _ or -, "
            "and may hold only . + ' & # / between them"
        )
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_BRAZE_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return "the part after the @ is not a domain name Braze accepts"
    if _MICROSOFT & set(labels[:-1]) and not _MICROSOFT_LOCAL.fullmatch(local.split("+", 1)[0]):
        return (
            "at Microsoft's addresses (msn, hotmail, outlook, live) the part before the @ may hold only "
            "letters a-z, digits, _, - and single dots"
        )
    if ascii_domain in _GMAIL and len(local) < 2:
        return "at Gmail the part before the @ has at least two characters"
    return None


def normalize_email(raw: str) -> str:
    """The address as it is stored and sent to Braze: NFKC, lower case, the domain in its ASCII
    (IDNA) form. InvalidEmail when it is not an address, Braze would refuse it, or it mixes
    look-alike scripts."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > MAX_EMAIL:
        raise InvalidEmail(f"must be at most {MAX_EMAIL} characters")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    local = checked.local_part.lower()
    problem = _look_alike_problem(local, checked.domain) or _braze_problem(local, checked.ascii_domain.lower())
    if problem:
        raise InvalidEmail(problem)
    address = f"{local}@{checked.ascii_domain.lower()}"
    if len(address) > MAX_EMAIL:
        raise InvalidEmail(f"must be at most {MAX_EMAIL} characters once its domain is in ASCII form")
    return address
