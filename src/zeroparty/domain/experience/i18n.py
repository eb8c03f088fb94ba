"""Languages: the built-in labels respondents see (buttons, progress, error messages), their
translations, an experience's overrides of them, and choosing a language from what a browser asks.

Pure: the pages hand in the `?lang=` parameter and the `Accept-Language` header, and get back one of
the languages the experience declares. A language is a BCP 47 primary tag, optionally with a region
(`fr`, `fr-CA`, `es-419`); a built-in label missing for `fr-CA` is taken from `fr`, then English.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from string import Formatter

from zeroparty.domain.experience.label_texts import BUILT_IN, ENGLISH, MESSAGES

__all__ = [
    "BUILT_IN",
    "DEFAULT_LANGUAGE",
    "ENGLISH",
    "LABEL_KEYS",
    "LANGUAGE_TAG",
    "MESSAGES",
    "TAG_RULE",
    "Labels",
    "accepted",
    "choose_language",
    "labels_for",
    "placeholders",
    "primary",
]

DEFAULT_LANGUAGE = "en"
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3})?")
TAG_RULE = "must be a language tag such as fr or fr-CA (a lowercase language code, optionally - and a region)"

LABEL_KEYS = tuple(ENGLISH)


def primary(tag: str) -> str:
    """The language of a tag without its region: fr-CA → fr."""
    return tag.split("-", 1)[0].lower()


def placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in Formatter().parse(template) if name}


@dataclass(frozen=True)
class Labels:
    """The built-in labels of one language: the experience's overrides first, then the built-in
    translation (of the tag, then of its primary language), then English."""

    language: str = DEFAULT_LANGUAGE
    overrides: Mapping[str, str] = field(default_factory=dict)

    def template(self, key: str) -> str:
        for table in (self.overrides, BUILT_IN.get(self.language, {}), BUILT_IN.get(primary(self.language), {})):
            if key in table:
                return table[key]
        return ENGLISH[key]

    def __call__(self, key: str, **values: object) -> str:
        return self.template(key).format_map(_Missing(values)) if values else self.template(key)

    def message(self, english: str) -> str:
        """An answer problem worded by the checks (in English) in this language; unchanged when it
        is not one the catalogue knows."""
        if self.language == DEFAULT_LANGUAGE and not self.overrides:
            return english
        for key, pattern in _MESSAGE_PATTERNS:
            found = pattern.fullmatch(english)
            if found:
                return self(key, **found.groupdict()) if found.groupdict() else self(key)
        # One the catalogue lacks (an email address library's own words): said generally, rather
        # than in English on a page in another language.
        general = self("invalid")
        return english if general == ENGLISH["invalid"] else general


class _Missing(dict[str, object]):
    """Formatting with a name not given (an author's override naming an unknown value) keeps it as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


_MESSAGE_PATTERNS = tuple((key, _pattern(ENGLISH[key])) for key in MESSAGES)


def labels_for(language: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> Labels:
    return Labels(language, dict((overrides or {}).get(language, {})))


def _match(wanted: str, declared: Collection[str]) -> str | None:
    """The declared language a wanted tag names: the same tag, else one of the same language."""
    by_case = {d.lower(): d for d in declared}
    if wanted.lower() in by_case:
        return by_case[wanted.lower()]
    return next((d for d in declared if primary(d) == primary(wanted)), None)


def accepted(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q-values honoured; q=0 and
    entries that cannot be read are left out; equal weights keep the header's order)."""
    ranked: list[tuple[float, int, str]] = []
    for index, entry in enumerate((header or "")[:2000].split(",")):
        tag, _sep, params = entry.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = -1.0
        tag = tag.strip()
        if 0 < weight <= 1 and re.fullmatch(r"\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", tag):
            ranked.append((-weight, index, tag))
    return [tag for _w, _i, tag in sorted(ranked)]


def choose_language(
    asked: str | None, accept_language: str | None, declared: Collection[str], default: str
) -> tuple[str, bool]:
    """The language to show, among `declared` (which holds `default`): the one `asked` for
    (`?lang=`), else the browser's most wanted, else `default`; and whether the browser's header
    decided it (the answer then varies with it)."""
    if asked is not None:
        found = _match(asked.strip(), declared) if len(asked) <= 35 else None
        if found is not None:
            return found, False
    for tag in accepted(accept_language):
        found = default if tag == "*" else _match(tag, declared)
        if found is not None:
            return found, True
    return default, bool(accept_language) and len(declared) > 1
