"""Experience definitions: the published, immutable description of screens, elements and outcomes.

Authors write these as YAML or JSON; the JSON Schema for editors is generated from these models
(`Experience.model_json_schema()`). Semantic checks (unique ids, rule references, attribute names)
run as a model validator so one `Experience.model_validate` reports everything.
"""

from __future__ import annotations

from collections.abc import Callable
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
from zeroparty.domain.untrusted import BLANK, definition_text_problem, kind_of, not_text, printable, text_problem

SLUG = r"^[a-z0-9][a-z0-9-]{0,99}$"
IDENT = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"
URL = r"^https?://"

# The patterns above, in the words shown to authors.
PATTERN_RULES = {
    SLUG: "must be lowercase letters, digits and hyphens, starting with a letter or digit, at most 100 characters",
    IDENT: "must be letters, digits and underscores, starting with a letter, at most 100 characters",
    URL: "must start with https:// or http://",
}

Ident = Annotated[str, Field(pattern=IDENT, description="Letters, digits and _; starts with a letter.")]


def _required_line(value: str) -> str:
    problem = definition_text_problem(value, required=True)
    if problem:
        raise ValueError(problem)
    return value


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
    # Braze keeps at most 25 values in an array attribute by default; more would be silently dropped.
    max_selected: Annotated[int | None, Field(ge=1, le=25)] = None


class EmailInput(_Element):
    """The respondent's email: the Braze identifier (`email`) for everything this response sends."""

    type: Literal["email"]


class TextInput(_Element):
    type: Literal["text"]
    max_length: Annotated[int, Field(ge=1, le=255)] = 255


class Consent(_Element):
    """A checkbox. `email_marketing` sets Braze's `email_subscribe` to `opted_in` when ticked;
    `custom` writes true/false to `attribute`."""

    type: Literal["consent"]
    purpose: Literal["email_marketing", "custom"] = "email_marketing"


Element = Annotated[SingleChoice | MultiChoice | EmailInput | TextInput | Consent, Field(discriminator="type")]
INPUT_TYPES = frozenset({"email", "text", "consent"})
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
    outcomes: Annotated[list[Outcome], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _semantics(self) -> Experience:
        problems = list(semantic_problems(self))
        if problems:
            raise ValueError("\n".join(f"{path}: {msg}" for path, msg in problems))
        return self

    def elements(self) -> dict[str, tuple[Screen, Element]]:
        return {el.id: (screen, el) for screen in self.screens for el in screen.elements}

    def email_element(self) -> EmailInput | None:
        return next((el for _s, el in self.elements().values() if isinstance(el, EmailInput)), None)


def semantic_problems(exp: Experience) -> list[tuple[str, str]]:
    """Checks that span several parts of a definition; each problem is (path, message)."""
    problems: list[tuple[str, str]] = []
    seen_screens: set[str] = set()
    seen_elements: dict[str, str] = {}
    attributes: dict[str, str] = {}
    emails = 0
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
            if isinstance(el, EmailInput):
                emails += 1
                if el.attribute is not None:
                    problems.append((f"{epath}.attribute", "an email element always maps to Braze 'email'"))
            elif isinstance(el, Consent) and el.purpose == "email_marketing" and el.attribute is not None:
                problems.append((f"{epath}.attribute", "email_marketing consent maps to 'email_subscribe'"))
            elif isinstance(el, Consent) and el.purpose == "custom" and el.attribute is None:
                problems.append((f"{epath}.attribute", "a custom consent needs an attribute to write to"))
            if isinstance(el, SingleChoice | MultiChoice):
                values = [o.value for o in el.options]
                for dup in sorted({v for v in values if values.count(v) > 1}):
                    problems.append((f"{epath}.options", f"duplicate option value '{dup}'"))
            if el.attribute is not None:
                _check_attribute(el.attribute, f"{epath}.attribute", attributes, problems)
    if emails > 1:
        problems.append(("screens", "at most one email element: it is the Braze identifier"))
    if exp.outcome_attribute is not None:
        _check_attribute(exp.outcome_attribute, "outcome_attribute", attributes, problems)
    problems.extend(_outcome_problems(exp))
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
    return None


ELEMENT_TYPES = ("single_choice", "multi_choice", "email", "text", "consent")
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
    except ValidationError:
        return []
    partial = Experience.model_construct(
        slug=str(data.get("slug")),
        title=str(data.get("title")),
        screens=screens,
        outcomes=outcomes,
        outcome_attribute=outcome_attribute,
    )
    return semantic_problems(partial)
