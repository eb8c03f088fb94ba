"""Experience definitions: the published, immutable description of screens, elements and outcomes.

Authors write these as YAML or JSON; the JSON Schema for editors is generated from these models
(`Experience.model_json_schema()`). Semantic checks (unique ids, rule references, attribute names)
run as a model validator so one `Experience.model_validate` reports everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from zeroparty.domain.braze_fields import attribute_name_problem
from zeroparty.domain.conditions import Condition, Line, condition_references
from zeroparty.domain.destination_settings import MAX_ARRAY_LIMIT
from zeroparty.domain.publishing import ExperienceSettings
from zeroparty.domain.standard_fields import (
    DIALING,
    STANDARD_FIELDS,
    DateOrder,
    FieldContext,
    option_problem,
    target_problem,
)
from zeroparty.domain.untrusted import BLANK, definition_text_problem, kind_of, not_text, printable, text_problem

SLUG = r"^[a-z0-9][a-z0-9-]{0,99}$"
IDENT = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"
URL = r"^https?://"
COUNTRY = r"^[A-Za-z]{2}$"

# The patterns above, in the words shown to authors.
PATTERN_RULES = {
    SLUG: "must be lowercase letters, digits and hyphens, starting with a letter or digit, at most 100 characters",
    IDENT: "must be letters, digits and underscores, starting with a letter, at most 100 characters",
    URL: "must start with https:// or http://",
    COUNTRY: "must be a two-letter ISO 3166-1 country code such as GB",
}

Ident = Annotated[str, Field(pattern=IDENT, description="Letters, digits and _; starts with a letter.")]
CountryCode = Annotated[
    str,
    Field(pattern=COUNTRY, description="ISO 3166-1 alpha-2 code national phone numbers are read in."),
    AfterValidator(str.upper),
]


def _required_line(value: str) -> str:
    problem = definition_text_problem(value, required=True)
    if problem:
        raise ValueError(problem)
    return value


def _optional_line(value: str | None) -> str | None:
    return None if value is None else _required_line(value)


def _long_text(value: str | None) -> str | None:
    problem = None if value is None else definition_text_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


# Required one-line texts (titles, labels, option values): whitespace only counts as missing.
_REQUIRED = AfterValidator(_required_line)
# Body and descriptions may hold tabs and line breaks.
_LONG = AfterValidator(_long_text)
LongText = Annotated[str | None, Field(max_length=5000), _LONG]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    value: Annotated[str, Field(min_length=1, max_length=255), _REQUIRED]
    label: Annotated[str, Field(min_length=1, max_length=500), _REQUIRED]
    braze_value: Annotated[
        str | None,
        Field(min_length=1, max_length=255, description="Sent to Braze instead of `value` (e.g. F for gender)."),
        AfterValidator(_optional_line),
    ] = None

    @property
    def sent(self) -> str:
        """What Braze receives when this option is chosen."""
        return self.value if self.braze_value is None else self.braze_value


class _Element(_Model):
    id: Ident
    label: Annotated[str, Field(min_length=1, max_length=1000), _REQUIRED]
    required: bool = False
    attribute: Annotated[Line | None, Field(description="Braze attribute name this element fills.")] = None


class SingleChoice(_Element):
    type: Literal["single_choice"]
    options: Annotated[list[Option], Field(min_length=1, max_length=50)]


class MultiChoice(_Element):
    type: Literal["multi_choice"]
    options: Annotated[list[Option], Field(min_length=1, max_length=50)]
    # Braze keeps at most 25 values in an array attribute unless the company had it raised (up to
    # 500); whether this element fits the destinations' `array_limit` is `domain.array_limit`'s check.
    max_selected: Annotated[
        int | None, Field(ge=1, le=MAX_ARRAY_LIMIT, description="The most options one answer may pick.")
    ] = None


class EmailInput(_Element):
    """The respondent's email: the Braze identifier (`email`) for everything this response sends."""

    type: Literal["email"]


class TextInput(_Element):
    type: Literal["text"]
    max_length: Annotated[int, Field(ge=1, le=255)] = 255
    phone_country: CountryCode | None = None


class NumberInput(_Element):
    """A number: sent to Braze as a number attribute."""

    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool | None = Field(None, description="Only whole numbers.")


class DateInput(_Element):
    """A calendar date: sent to Braze as a time attribute (or as `dob`)."""

    type: Literal["date"]


ConsentPurpose = Literal["email_marketing", "subscription_group", "custom"]


class Consent(_Element):
    """A checkbox, sent when the response completes (its final state). `email_marketing` sets
    Braze's `email_subscribe` (`opted_in` when ticked; `unsubscribed` when an opt-out box is
    ticked); `subscription_group` subscribes to (or, opt-out, unsubscribes from) the group the
    destination maps the consent key to; `custom` writes true/false to `attribute`."""

    type: Literal["consent"]
    purpose: ConsentPurpose = "email_marketing"
    meaning: Literal["opt_in", "opt_out"] | None = Field(
        None, description="opt_in (default): ticking gives consent; opt_out: ticking withdraws it."
    )
    subscription_group: Annotated[
        str | None, Field(pattern=IDENT, description="Consent key; each destination maps it to a group id.")
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _group_implies_purpose(cls, data: Any) -> Any:
        # `subscription_group: newsletter` alone says what the box is for.
        if isinstance(data, dict) and data.get("subscription_group") is not None and "purpose" not in data:
            return {**data, "purpose": "subscription_group"}
        return data

    @property
    def opt_out(self) -> bool:
        return self.meaning == "opt_out"

    @property
    def consent_key(self) -> str:
        """What the consent is about: the group's key, `email_marketing`, or the custom attribute."""
        if self.purpose == "subscription_group":
            return str(self.subscription_group)
        return self.purpose if self.purpose == "email_marketing" else str(self.attribute)


Element = Annotated[
    SingleChoice | MultiChoice | EmailInput | TextInput | NumberInput | DateInput | Consent,
    Field(discriminator="type"),
]
INPUT_TYPES = frozenset({"email", "text", "number", "date", "consent"})
CHOICE_TYPES = frozenset({"single_choice", "multi_choice"})


class Screen(_Model):
    id: Ident
    title: Annotated[str, Field(min_length=1, max_length=500), _REQUIRED]
    body: LongText = None
    elements: Annotated[list[Element], Field(min_length=1, max_length=50)]
    button: Annotated[str, Field(min_length=1, max_length=100), _REQUIRED] = "Next"


class Outcome(_Model):
    id: Ident
    title: Annotated[str, Field(min_length=1, max_length=500), _REQUIRED]
    description: LongText = None
    url: Annotated[Line | None, Field(max_length=2000, pattern=URL)] = None
    when: Condition | None = Field(default=None, description="Chosen when this holds; omit on the fallback.")


class Experience(_Model):
    slug: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1, max_length=500), _REQUIRED]
    description: LongText = None
    screens: Annotated[list[Screen], Field(min_length=1, max_length=100)]
    outcome_attribute: Annotated[Line | None, Field(description="Braze attribute receiving the outcome id.")] = None
    completion_attribute: Annotated[
        Line | None, Field(description="Braze time attribute set to the completion time.")
    ] = None
    phone_country: CountryCode | None = None
    date_order: DateOrder | None = Field(None, description="How 03/04/1990 is read: dmy (default) or mdy.")
    outcomes: Annotated[list[Outcome], Field(min_length=1, max_length=100)]
    settings: ExperienceSettings | None = None  # listing, embedding (domain/publishing.py)

    @model_validator(mode="after")
    def _semantics(self) -> Experience:
        problems = list(semantic_problems(self))
        if problems:
            raise ValueError("\n".join(f"{path}: {msg}" for path, msg in problems))
        return self

    def elements(self) -> dict[str, tuple[Screen, Element]]:
        return {el.id: (screen, el) for screen in self.screens for el in screen.elements}

    def stored_form(self) -> dict[str, Any]:
        """The definition as it is published and kept: JSON values, fields by alias, unset options left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def email_element(self) -> EmailInput | None:
        return next((el for _s, el in self.elements().values() if isinstance(el, EmailInput)), None)

    def field_context(self, el: Element | None = None, today: date | None = None) -> FieldContext:
        """How an element's values are normalised for Braze's standard fields."""
        own = el.phone_country if isinstance(el, TextInput) else None
        return FieldContext(phone_country=own or self.phone_country, date_order=self.date_order or "dmy", today=today)


Problems = list[tuple[str, str]]


def _email_problems(el: EmailInput, path: str, _exp: Experience) -> Problems:
    if el.attribute is not None:
        return [(f"{path}.attribute", "an email element always maps to Braze 'email'")]
    return []


def _consent_problems(el: Consent, path: str, _exp: Experience) -> Problems:
    problems: Problems = []
    wants_attribute = el.purpose == "custom"
    if wants_attribute and el.attribute is None:
        problems.append((f"{path}.attribute", "a custom consent needs an attribute to write to"))
    if not wants_attribute and el.attribute is not None:
        target = "'email_subscribe'" if el.purpose == "email_marketing" else "the subscription group"
        problems.append((f"{path}.attribute", f"{el.purpose} consent maps to {target}"))
    if el.purpose == "subscription_group" and el.subscription_group is None:
        problems.append((f"{path}.subscription_group", "a subscription_group consent needs a consent key"))
    if el.purpose != "subscription_group" and el.subscription_group is not None:
        problems.append(
            (f"{path}.subscription_group", f"only a subscription_group consent names one; this is {el.purpose}")
        )
    if el.purpose == "custom" and el.meaning is not None:
        problems.append((f"{path}.meaning", "a custom consent writes true/false as ticked; meaning does not apply"))
    if el.opt_out and el.required:
        problems.append((f"{path}.required", "an opt-out box cannot be required"))
    return problems


def _choice_problems(el: SingleChoice | MultiChoice, path: str, exp: Experience) -> Problems:
    values = [o.value for o in el.options]
    problems = [(f"{path}.options", f"duplicate option value '{dup}'") for dup in sorted(_repeated(values))]
    if isinstance(el, SingleChoice) and el.attribute in STANDARD_FIELDS:
        ctx = exp.field_context(el)
        for oi, option in enumerate(el.options):
            problem = option_problem(el.attribute, option.sent, ctx)
            if problem:
                where = "braze_value" if option.braze_value is not None else "value"
                problems.append((f"{path}.options[{oi}].{where}", problem))
    return problems


def _text_problems(el: TextInput, path: str, _exp: Experience) -> Problems:
    if el.phone_country is not None and el.attribute != "phone":
        return [(f"{path}.phone_country", "only an element filling 'phone' reads phone numbers")]
    return []


def _number_problems(el: NumberInput, path: str, _exp: Experience) -> Problems:
    if el.min is not None and el.max is not None and el.min > el.max:
        return [(f"{path}.max", f"must not be below min ({el.min:g})")]
    return []


def _repeated(values: list[str]) -> set[str]:
    return {v for v in values if values.count(v) > 1}


# Element type -> the checks only that type needs.
_ELEMENT_CHECKS: dict[type[Any], Callable[[Any, str, Experience], Problems]] = {
    EmailInput: _email_problems,
    Consent: _consent_problems,
    SingleChoice: _choice_problems,
    MultiChoice: _choice_problems,
    TextInput: _text_problems,
    NumberInput: _number_problems,
}


def _element_problems(el: Element, path: str, exp: Experience, attributes: dict[str, str]) -> Problems:
    check = _ELEMENT_CHECKS.get(type(el))
    problems = check(el, path, exp) if check else []
    if el.attribute is not None:
        _check_attribute(el.attribute, f"{path}.attribute", attributes, problems)
        problem = target_problem(el.type, el.attribute)
        if problem:
            problems.append((f"{path}.attribute", problem))
    return problems


def semantic_problems(exp: Experience) -> Problems:
    """Checks that span several parts of a definition; each problem is (path, message)."""
    problems: Problems = []
    seen_screens: set[str] = set()
    seen_elements: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for si, screen in enumerate(exp.screens):
        spath = f"screens[{si}]"
        if screen.id in seen_screens:
            problems.append((f"{spath}.id", f"duplicate screen id '{screen.id}'"))
        seen_screens.add(screen.id)
        for ei, el in enumerate(screen.elements):
            epath = f"{spath}.elements[{ei}]"
            if el.id in seen_elements:
                problems.append((f"{epath}.id", f"duplicate element id '{el.id}' (first at {seen_elements[el.id]})"))
            seen_elements.setdefault(el.id, epath)
            problems.extend(_element_problems(el, epath, exp, attributes))
    if sum(isinstance(el, EmailInput) for _s, el in exp.elements().values()) > 1:
        problems.append(("screens", "at most one email element: it is the Braze identifier"))
    problems.extend(_experience_problems(exp, attributes))
    problems.extend(_outcome_problems(exp))
    return problems


def _experience_problems(exp: Experience, attributes: dict[str, str]) -> Problems:
    problems: Problems = []
    for path, name, what in (
        ("outcome_attribute", exp.outcome_attribute, "the outcome id"),
        ("completion_attribute", exp.completion_attribute, "the completion time"),
    ):
        if name is None:
            continue
        _check_attribute(name, path, attributes, problems)
        if name in STANDARD_FIELDS:
            problems.append((path, f"'{name}' is one of Braze's standard fields; {what} goes to a custom attribute"))
    countries = [("phone_country", exp.phone_country)] + [
        (f"screens[{si}].elements[{ei}].phone_country", el.phone_country)
        for si, screen in enumerate(exp.screens)
        for ei, el in enumerate(screen.elements)
        if isinstance(el, TextInput)
    ]
    asked: dict[str, str] = {}
    for si, screen in enumerate(exp.screens):
        for ei, el in enumerate(screen.elements):
            if isinstance(el, Consent) and el.purpose != "custom":
                # Two boxes for one consent would send whichever came last.
                path = f"screens[{si}].elements[{ei}]"
                if el.consent_key in asked:
                    problems.append((path, f"consent '{el.consent_key}' is already asked by {asked[el.consent_key]}"))
                asked.setdefault(el.consent_key, path)
    known = ", ".join(sorted(DIALING))
    for path, country in countries:
        if country is not None and country not in DIALING:
            problems.append((path, f"'{country}' is not a country whose numbers zeroparty reads; use one of {known}"))
    return problems


def _check_attribute(name: str, path: str, seen: dict[str, str], problems: list[tuple[str, str]]) -> None:
    problem = attribute_name_problem(name)
    if problem:
        problems.append((path, problem))
    if name in seen:
        problems.append((path, f"attribute '{name}' is already filled by {seen[name]}"))
    seen.setdefault(name, path)


def _outcome_problems(exp: Experience) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    elements = exp.elements()
    ids: set[str] = set()
    for oi, outcome in enumerate(exp.outcomes):
        opath = f"outcomes[{oi}]"
        if outcome.id in ids:
            problems.append((f"{opath}.id", f"duplicate outcome id '{outcome.id}'"))
        ids.add(outcome.id)
        if outcome.when is None:
            if oi != len(exp.outcomes) - 1:
                problems.append((f"{opath}.when", "only the last outcome may be the fallback (no 'when')"))
            continue
        for element_id, value in condition_references(outcome.when):
            problem = _reference_problem(elements, element_id, value)
            if problem:
                problems.append((f"{opath}.when", problem))
    if exp.outcomes and exp.outcomes[-1].when is not None:
        problems.append(
            (f"outcomes[{len(exp.outcomes) - 1}].when", "the last outcome must be a fallback without 'when'")
        )
    return problems


def _reference_problem(elements: dict[str, tuple[Screen, Element]], element_id: str, value: str | bool) -> str | None:
    """Why a condition cannot compare `element_id` with `value`, or None."""
    if element_id not in elements:
        return f"unknown element '{element_id}'"
    el = elements[element_id][1]
    if isinstance(el, SingleChoice | MultiChoice):
        if isinstance(value, bool):
            # YAML reads an unquoted yes/no as a boolean, which no option value can equal.
            return (
                f"'{element_id}' is a choice; compare it with an option value in quotes, "
                f"not the boolean {str(value).lower()}"
            )
        if value not in {o.value for o in el.options}:
            return f"'{value}' is not an option of '{element_id}'"
    if isinstance(el, Consent) and not isinstance(value, bool):
        return f"'{element_id}' is a consent; compare it with true or false"
    if isinstance(el, NumberInput | DateInput):
        return f"'{element_id}' is a {el.type}; conditions compare choices, texts and consents"
    return None


ELEMENT_TYPES = ("single_choice", "multi_choice", "email", "text", "number", "date", "consent")
_CONDITION_TAGS = frozenset({"Equals", "Includes", "OneOf", "All", "AnyOf", "Not"})


def _is_member_tag(loc: tuple[int | str, ...], i: int) -> bool:
    """Whether loc[i] names the union member tried (an element type, a condition class) rather
    than a field: it says nothing to an author, whose document holds no such key there."""
    part, before = loc[i], loc[max(i - 2, 0) : i]
    if part in ELEMENT_TYPES:
        return len(before) == 2 and before[0] == "elements" and isinstance(before[1], int)
    if part in _CONDITION_TAGS:
        return bool(before) and (before[-1] in ("when", "not") or (len(before) == 2 and before[0] in ("all", "any")))
    return False


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif not _is_member_tag(loc, i):
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _ctx(err: ErrorDetails, key: str) -> object:
    return err.get("ctx", {}).get(key)


_TYPES = ", ".join(ELEMENT_TYPES)
# pydantic error type -> the wording an author reads; None keeps pydantic's own message.
_WORDING: dict[str, Callable[[ErrorDetails], str | None]] = {
    "string_pattern_mismatch": lambda err: PATTERN_RULES.get(str(_ctx(err, "pattern"))),
    "string_type": lambda err: not_text(err["input"]),
    "string_unicode": lambda err: text_problem(str(err["input"])),
    "string_too_short": lambda err: BLANK if _ctx(err, "min_length") == 1 else None,
    "extra_forbidden": lambda err: "is not a field here; check the spelling",
    "union_tag_invalid": lambda err: f"unknown type '{_ctx(err, 'tag')}'; use one of {_TYPES}",
    "union_tag_not_found": lambda err: f"Field required (one of {_TYPES})",
    "model_type": lambda err: f"should be a mapping of fields, not {kind_of(err['input'])}",
    "model_attributes_type": lambda err: f"should be a mapping of fields, not {kind_of(err['input'])}",
    "dict_type": lambda err: f"should be a mapping of fields, not {kind_of(err['input'])}",
    "list_type": lambda err: f"should be a list, not {kind_of(err['input'])}",
}


def _message(err: ErrorDetails) -> str:
    """The author-facing wording of one pydantic error."""
    reword = _WORDING.get(err["type"])
    return (reword(err) if reword else None) or err["msg"].removeprefix("Value error, ")


def _problems_of(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "value_error" and not loc:
            # The semantic checks report all their problems in one error, one per line.
            for line in _message(err).splitlines():
                path, _, text = line.partition(": ")
                problems.append((path, text))
            continue
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "type")
        problems.append((_path(loc), _message(err)))
    return problems


def definition_problems(data: object) -> tuple[Experience | None, list[tuple[str, str]]]:
    """Validate raw definition data; (experience, []) when valid, else (None, [(path, message)]).

    Paths and messages are printable as they are: whatever the input held, they hold no control
    character or unpaired surrogate."""
    if data is None:
        return None, [
            (
                "(top level)",
                "the definition is empty; it needs slug, title, screens and outcomes (see examples/skin-quiz.yaml)",
            )
        ]
    if not isinstance(data, dict):
        return None, [
            ("(top level)", f"should be a mapping with slug, title, screens and outcomes, not {kind_of(data)}")
        ]
    try:
        return Experience.model_validate(data), []
    except ValidationError as exc:
        problems = _problems_of(exc) + _semantics_despite_other_errors(data)
        return None, list(dict.fromkeys((printable(path), printable(message)) for path, message in problems))


def _semantics_despite_other_errors(data: dict[Any, Any]) -> list[tuple[str, str]]:
    """When only unrelated fields are broken (a missing title, say), still check the screens and
    outcomes against each other, so an author sees every problem in one run."""
    try:
        screens = TypeAdapter(list[Screen]).validate_python(data.get("screens"))
        outcomes = TypeAdapter(list[Outcome]).validate_python(data.get("outcomes"))
        outcome_attribute = TypeAdapter(Line | None).validate_python(data.get("outcome_attribute"))
        completion_attribute = TypeAdapter(Line | None).validate_python(data.get("completion_attribute"))
        phone_country = TypeAdapter(CountryCode | None).validate_python(data.get("phone_country"))
        date_order = TypeAdapter(DateOrder | None).validate_python(data.get("date_order"))
    except ValidationError:
        return []
    partial = Experience.model_construct(
        slug=str(data.get("slug")),
        title=str(data.get("title")),
        screens=screens,
        outcomes=outcomes,
        outcome_attribute=outcome_attribute,
        completion_attribute=completion_attribute,
        phone_country=phone_country,
        date_order=date_order,
    )
    return semantic_problems(partial)


def canonical_text(stored: Any) -> str:
    """One text per stored definition (`Experience.stored_form`), whatever its key order: two
    publications of the same definition compare equal."""
    return json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
