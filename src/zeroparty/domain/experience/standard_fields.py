"""Braze's standard profile fields: which elements may fill them, and the formats Braze takes.

Braze stores a value sent under one of these names in its own profile field, and a value in the
wrong format gets the object (the whole lead) rejected or the field silently cleared. So every
value is normalised here before it is stored, and a value that cannot be is the respondent's
mistake to fix (a 422), never a dead letter later. Formats:
https://www.braze.com/docs/api/objects_filters/user_attributes_object and
https://braze.com/docs/user_guide/data/activation/attributes/standard_attributes/ (gender M, F, O, N,
P; dob "YYYY-MM-DD"; country ISO-3166-1 alpha-2; language ISO-639-1; phone E.164 recommended,
https://www.braze.com/docs/user_guide/message_building_by_channel/sms_mms_rcs/user_phone_numbers/;
strings up to 255 characters, https://www.braze.com/docs/user_guide/data/activation/custom_data/data_types/).
Pure: the date "today" comes from the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from zeroparty.domain.experience.iso_codes import country_code, fold, language_code

# Braze keeps string values of at most 255 characters (the data types page above).
MAX_STRING = 255

DateOrder = Literal["dmy", "mdy"]


@dataclass(frozen=True)
class FieldContext:
    """What normalising a value may depend on besides the value."""

    phone_country: str | None = None  # alpha-2 code national phone numbers are read in
    date_order: DateOrder = "dmy"  # how 03/04/1990 is read
    today: date | None = None  # no date of birth after it


# --- gender -------------------------------------------------------------------------------------

GENDER_CODES = ("M", "F", "O", "N", "P")
_GENDER_WORDS = {
    "m": "M", "male": "M", "man": "M",
    "f": "F", "female": "F", "woman": "F",
    "o": "O", "other": "O", "non binary": "O", "nonbinary": "O",
    "n": "N", "not applicable": "N",
    "p": "P", "prefer not to say": "P", "rather not say": "P",
}  # fmt: skip


def normalise_gender(text: str, _ctx: FieldContext) -> str:
    code = _GENDER_WORDS.get(fold(text))
    if code is None:
        raise ValueError(f"must be one of {', '.join(GENDER_CODES)} (or male, female, other, prefer not to say)")
    return code


# --- dates --------------------------------------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NUMERIC = re.compile(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
DATE_EXAMPLE = "a date such as 1990-05-12"


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if len(word) < 3:
        return None
    found = [i for i, m in enumerate(_MONTHS, 1) if word.startswith(m) or (m == "sep" and word == "sept")]
    return found[0] if found else None


def _worded(text: str) -> tuple[int, int, int] | None:
    """'12 May 1990', 'May 12, 1990', '12-May-1990': (year, month, day), or None."""
    parts = [p for p in re.split(r"[\s,./-]+", text) if p]
    if len(parts) != 3 or not (len(parts[2]) == 4 and parts[2].isdigit()):
        return None
    first, second = parts[0], parts[1]
    month, day = _month(second), _ORDINAL.fullmatch(first)
    if month is None or day is None:
        month, day = _month(first), _ORDINAL.fullmatch(second)
    if month is None or day is None:
        return None
    return int(parts[2]), month, int(day.group(1))


def _numeric(text: str, order: DateOrder) -> tuple[int, int, int] | None:
    if m := _ISO.fullmatch(text) or _COMPACT.fullmatch(text):
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    if m := _NUMERIC.fullmatch(text):
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return (year, second, first) if order == "dmy" else (year, first, second)
    return None


def parse_date(text: str, order: DateOrder = "dmy") -> date:
    """A calendar date from the ways people write one: 1990-05-12, 19900512, 12/05/1990 (day first
    unless `order` is "mdy"), 12 May 1990, May 12, 1990. ValueError saying what is expected."""
    text = text.strip()
    parts = _numeric(text, order) or _worded(text)
    if parts is None:
        raise ValueError(f"must be {DATE_EXAMPLE}")
    try:
        return date(*parts)
    except ValueError:
        raise ValueError(f"is not a real date; use {DATE_EXAMPLE}") from None


def normalise_dob(text: str, ctx: FieldContext) -> str:
    born = parse_date(text, ctx.date_order)
    if born.year < 1900:
        raise ValueError("must be a date of birth after 1900")
    if ctx.today is not None and born > ctx.today:
        raise ValueError("must not be in the future")
    return born.isoformat()


# --- phone --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialing:
    """How a country's numbers are written: ITU-T E.164 country code, the national (trunk) prefix
    dropped from the international form, and the digits of the national number after it."""

    code: str
    trunk: str | None
    shortest: int
    longest: int


# A sensible set of countries; national numbers elsewhere need their +country code.
DIALING: dict[str, Dialing] = {
    "US": Dialing("1", "1", 10, 10), "CA": Dialing("1", "1", 10, 10), "MX": Dialing("52", None, 10, 10),
    "BR": Dialing("55", "0", 10, 11), "AR": Dialing("54", "0", 10, 11), "CL": Dialing("56", None, 9, 9),
    "CO": Dialing("57", None, 10, 10), "PE": Dialing("51", "0", 8, 9),
    "GB": Dialing("44", "0", 9, 10), "IE": Dialing("353", "0", 7, 9), "FR": Dialing("33", "0", 9, 9),
    "DE": Dialing("49", "0", 6, 11), "AT": Dialing("43", "0", 4, 13), "CH": Dialing("41", "0", 9, 9),
    "NL": Dialing("31", "0", 9, 9), "BE": Dialing("32", "0", 8, 9), "LU": Dialing("352", None, 4, 11),
    "ES": Dialing("34", None, 9, 9), "PT": Dialing("351", None, 9, 9), "IT": Dialing("39", None, 6, 11),
    "DK": Dialing("45", None, 8, 8), "SE": Dialing("46", "0", 7, 9), "NO": Dialing("47", None, 8, 8),
    "FI": Dialing("358", "0", 5, 12), "IS": Dialing("354", None, 7, 9), "PL": Dialing("48", None, 9, 9),
    "CZ": Dialing("420", None, 9, 9), "SK": Dialing("421", "0", 9, 9), "HU": Dialing("36", "06", 8, 9),
    "RO": Dialing("40", "0", 9, 9), "BG": Dialing("359", "0", 8, 9), "GR": Dialing("30", None, 10, 10),
    "HR": Dialing("385", "0", 8, 9), "SI": Dialing("386", "0", 8, 8), "EE": Dialing("372", None, 7, 8),
    "LV": Dialing("371", None, 8, 8), "LT": Dialing("370", "8", 8, 8), "UA": Dialing("380", "0", 9, 9),
    "TR": Dialing("90", "0", 10, 10), "RU": Dialing("7", "8", 10, 10), "IL": Dialing("972", "0", 8, 9),
    "AE": Dialing("971", "0", 8, 9), "SA": Dialing("966", "0", 8, 9), "EG": Dialing("20", "0", 8, 10),
    "ZA": Dialing("27", "0", 9, 9), "NG": Dialing("234", "0", 8, 10), "KE": Dialing("254", "0", 9, 9),
    "IN": Dialing("91", "0", 10, 10), "PK": Dialing("92", "0", 9, 10), "CN": Dialing("86", "0", 8, 11),
    "HK": Dialing("852", None, 8, 8), "TW": Dialing("886", "0", 8, 9), "JP": Dialing("81", "0", 9, 10),
    "KR": Dialing("82", "0", 8, 10), "SG": Dialing("65", None, 8, 8), "MY": Dialing("60", "0", 8, 10),
    "TH": Dialing("66", "0", 8, 9), "PH": Dialing("63", "0", 8, 10), "ID": Dialing("62", "0", 8, 12),
    "VN": Dialing("84", "0", 9, 10), "AU": Dialing("61", "0", 9, 9), "NZ": Dialing("64", "0", 8, 10),
}  # fmt: skip

_BY_CODE: dict[str, list[Dialing]] = {}
for _dialing in DIALING.values():
    _BY_CODE.setdefault(_dialing.code, []).append(_dialing)

# E.164: at most 15 digits after the +; the shortest assigned numbers have 7.
E164_MIN, E164_MAX = 7, 15
_PHONE_CHARS = re.compile(r"\+?[0-9 ()./-]+")
PHONE_EXAMPLE = "a phone number such as +44 20 7946 0958"


def _national(nsn: str, dialing: Dialing) -> str | None:
    """The national significant number, the trunk prefix dropped; None if its length is wrong."""
    if dialing.trunk and nsn.startswith(dialing.trunk) and not dialing.shortest <= len(nsn) <= dialing.longest:
        nsn = nsn[len(dialing.trunk) :]
    return nsn if dialing.shortest <= len(nsn) <= dialing.longest else None


def _international(digits: str) -> str:
    """`digits` start with a country code: E.164 when they can be a number there."""
    if not E164_MIN <= len(digits) <= E164_MAX or digits[0] == "0":
        raise ValueError(f"must be {PHONE_EXAMPLE}: a country code and at most 15 digits")
    for size in (1, 2, 3):
        code, rest = digits[:size], digits[size:]
        for dialing in _BY_CODE.get(code, []):
            nsn = _national(rest, dialing)
            if nsn is not None and E164_MIN <= len(code + nsn) <= E164_MAX:
                return "+" + code + nsn
        if code in _BY_CODE:
            raise ValueError(f"has the wrong number of digits for +{code}")
    return "+" + digits  # a country outside the table: E.164's own limits are all we check


def normalise_phone(text: str, ctx: FieldContext) -> str:
    """E.164 (`+` and digits) from an international number (+44 …, 0044 …) or a national one read
    in the context's country (020 7946 0958 in GB)."""
    compact = text.strip().replace("(0)", "")  # "+44 (0)20 …": the 0 is dialled only nationally
    if not _PHONE_CHARS.fullmatch(compact):
        raise ValueError(f"must be {PHONE_EXAMPLE}: digits, spaces and + - . ( ) only")
    digits = re.sub(r"\D", "", compact)
    if compact.startswith("+"):
        return _international(digits)
    if digits.startswith("00"):
        return _international(digits[2:])
    dialing = DIALING.get(ctx.phone_country or "")
    if dialing is None:
        raise ValueError(f"must start with + and the country code: {PHONE_EXAMPLE}")
    if dialing.code == "1" and digits.startswith("011"):
        return _international(digits[3:])  # North America's international prefix
    nsn = _national(digits, dialing)
    if nsn is None or not E164_MIN <= len(dialing.code + nsn) <= E164_MAX:
        raise ValueError(f"is not a {ctx.phone_country} phone number; give the +country code if it is from elsewhere")
    return "+" + dialing.code + nsn


# --- the other fields -----------------------------------------------------------------------------


def normalise_country(text: str, _ctx: FieldContext) -> str:
    code = country_code(text)
    if code is None:
        raise ValueError("must be a country: an ISO 3166-1 code such as GB, or its English name")
    return code


def normalise_language(text: str, _ctx: FieldContext) -> str:
    code = language_code(text)
    if code is None:
        raise ValueError("must be a language: an ISO 639-1 code such as en, or its English name")
    return code


_TIME_ZONE = re.compile(r"UTC|[A-Z][A-Za-z_]+(?:/[A-Za-z0-9_+-]+){1,2}")


def normalise_time_zone(text: str, _ctx: FieldContext) -> str:
    # Braze leaves an unknown zone unset rather than rejecting the lead, so the shape is enough.
    zone = text.strip()
    if not _TIME_ZONE.fullmatch(zone) or len(zone) > 64:
        raise ValueError("must be a time zone name such as Europe/London")
    return zone


def normalise_string(text: str, _ctx: FieldContext) -> str:
    value = text.strip()
    if len(value) > MAX_STRING:
        raise ValueError(f"must be at most {MAX_STRING} characters")
    return value


# --- the table ------------------------------------------------------------------------------------

Normaliser = Callable[[str, FieldContext], str]


@dataclass(frozen=True)
class StandardField:
    name: str
    format: str  # what Braze takes, in the words shown to authors
    normalise: Normaliser
    elements: frozenset[str]  # element types whose value can fill it


_TEXTUAL = frozenset({"text", "single_choice"})

STANDARD_FIELDS: dict[str, StandardField] = {
    f.name: f
    for f in (
        StandardField("first_name", "a string of at most 255 characters", normalise_string, _TEXTUAL),
        StandardField("last_name", "a string of at most 255 characters", normalise_string, _TEXTUAL),
        StandardField("home_city", "a string of at most 255 characters", normalise_string, _TEXTUAL),
        StandardField("gender", "one of M, F, O, N, P", normalise_gender, _TEXTUAL),
        StandardField("dob", "a date as YYYY-MM-DD", normalise_dob, _TEXTUAL | {"date"}),
        StandardField("phone", "an E.164 number such as +442079460958", normalise_phone, _TEXTUAL),
        StandardField("country", "an ISO 3166-1 alpha-2 code such as GB", normalise_country, _TEXTUAL),
        StandardField("language", "an ISO 639-1 code such as en", normalise_language, _TEXTUAL),
        StandardField("time_zone", "an IANA time zone name such as Europe/London", normalise_time_zone, _TEXTUAL),
    )
}

# What each element type sends, for the message when it cannot fill a field.
_SENDS = {
    "multi_choice": "a list",
    "number": "a number",
    "consent": "true or false",
    "date": "a time",
    "long_text": "several lines of text",
    "rating": "a number",
    "nps": "a number",
    "opinion_scale": "a number",
}


def target_problem(element_type: str, field: str) -> str | None:
    """Why an element of this type cannot fill standard field `field`, or None."""
    spec = STANDARD_FIELDS.get(field)
    if spec is None or element_type in spec.elements:
        return None
    sends = _SENDS.get(element_type, "another kind of value")
    return f"'{field}' is Braze's {field} field, which takes {spec.format}; a {element_type} sends {sends}"


def option_problem(field: str, sent: str, ctx: FieldContext) -> str | None:
    """Why a choice option sending `sent` cannot fill standard field `field`, or None."""
    spec = STANDARD_FIELDS.get(field)
    if spec is None:
        return None
    try:
        normal = spec.normalise(sent, ctx)
    except ValueError:
        return f"'{sent}' is not valid for Braze's {field}, which takes {spec.format}; give the option a braze_value"
    if normal != sent:
        return f"'{sent}' is not valid for Braze's {field}, which takes {spec.format}; set braze_value: {normal}"
    return None


def normalise(field: str, text: str, ctx: FieldContext) -> str:
    """The value Braze takes for `field` (a custom attribute passes through); ValueError if none."""
    spec = STANDARD_FIELDS.get(field)
    return text if spec is None else spec.normalise(text, ctx)
