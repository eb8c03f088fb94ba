"""The language a respondent page is shown in, and the experience's texts in it.

The first page takes `?lang=` when it names a language the experience declares, else the browser's
`Accept-Language`, else the experience's own language. An experience with several languages then
carries `lang=` on its first form, and the first submit stores it with the response: every later
page of the response is shown in it (docs/experiences.md, "Languages"). Pages for no known
experience speak one of the built-in languages.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Request
from starlette.responses import Response

from zeroparty.domain.experience.i18n import BUILT_IN, DEFAULT_LANGUAGE, Labels, choose_language
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.translatable import Path, builtin_texts, flatten, translate

LANG_PARAM = "lang"


@dataclass(frozen=True)
class PageLanguage:
    code: str
    t: Labels  # the built-in labels in it: t("next"), t("step", step=1, steps=3)
    varies: bool  # the browser's Accept-Language chose it: the answer varies with that header
    carried: bool  # the experience has several: its links carry `lang=`


def keep_language(request: Request, language: str | None) -> None:
    """Note the language of the response this request's page is for (chosen on its first screen)."""
    request.state.zp_kept_language = language


def page_language(request: Request, exp: Experience | None) -> PageLanguage:
    """The language of this request's page for `exp` (or for no experience), noted for its headers.
    A response's own language (`keep_language`) holds on all its pages, whatever the link says."""
    asked = request.query_params.get(LANG_PARAM)
    header = request.headers.get("accept-language")
    kept: str | None = getattr(request.state, "zp_kept_language", None)
    if kept is not None and exp is not None and kept in exp.languages:
        asked, header = kept, None
    declared = exp.languages if exp is not None else list(BUILT_IN)
    default = exp.default_language if exp is not None else DEFAULT_LANGUAGE
    code, varies = choose_language(asked, header, declared, default)
    overrides = (exp.labels or {}).get(code, {}) if exp is not None else {}
    chosen = PageLanguage(code, Labels(code, overrides), varies, len(declared) > 1 and exp is not None)
    request.state.zp_language = chosen
    return chosen


# Every page view and submit of a response is shown localized; the copy depends only on the
# definition and the language (its labels come from the definition), so it is made once per pair.
# Keyed by the definition object, which the server keeps parsed per version; a few hundred at most.
_LOCALIZED: dict[tuple[int, str], tuple[weakref.ref[Experience], Experience]] = {}
_MAX_LOCALIZED = 256


def localized(exp: Experience, lang: PageLanguage) -> Experience:
    """`exp` with the author's texts in `lang` and the built-in labels standing in for its defaults
    (a button left as "Next")."""
    key = (id(exp), lang.code)
    found = _LOCALIZED.get(key)
    if found is not None and found[0]() is exp:
        return found[1]
    made = _localize(exp, lang)
    if len(_LOCALIZED) >= _MAX_LOCALIZED:
        _LOCALIZED.clear()
    _LOCALIZED[key] = (weakref.ref(exp), made)
    return made


def _localize(exp: Experience, lang: PageLanguage) -> Experience:
    table: dict[Path, str] = {}
    if lang.code != exp.default_language:
        given = (exp.translations or {}).get(lang.code, {})
        table = {path: text for path, text in flatten(given).items() if isinstance(text, str)}
    # Only where the label reads otherwise: an English page of an English experience is not copied.
    table |= {path: lang.t(key) for path, key, text in builtin_texts(exp) if lang.t(key) != text}
    return translate(exp, table) if table else exp


def with_lang(path: str, lang: PageLanguage) -> str:
    """`path` carrying the language, when the experience has more than one."""
    if not lang.carried:
        return path
    joiner = "&" if "?" in path else "?"
    return path + joiner + urlencode({LANG_PARAM: lang.code}, quote_via=quote)


def language_headers(request: Request, answer: Response) -> None:
    """`Content-Language`, and `Vary: Accept-Language` when the header chose it."""
    chosen: PageLanguage | None = getattr(request.state, "zp_language", None)
    if chosen is None:
        return
    answer.headers["Content-Language"] = chosen.code
    if chosen.varies:
        vary = answer.headers.get("Vary")
        answer.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
