"""Experience definitions: the published, immutable description of screens, elements and outcomes.

Authors write these as YAML or JSON; the JSON Schema for editors is generated from these models
(`Experience.model_json_schema()`). Semantic checks (unique ids, rule references, attribute names)
run as a model validator so one `Experience.model_validate` reports everything.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from zeroparty.domain.braze_fields import attribute_name_problem
from zeroparty.domain.conditions import Condition, condition_references

SLUG = r"^[a-z0-9][a-z0-9-]{0,99}$"
IDENT = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"

Ident = Annotated[str, Field(pattern=IDENT, description="Letters, digits and _; starts with a letter.")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    value: Annotated[str, Field(min_length=1, max_length=255)]
    label: Annotated[str, Field(min_length=1, max_length=500)]


class _Element(_Model):
    id: Ident
    label: Annotated[str, Field(min_length=1, max_length=1000)]
    required: bool = False
    attribute: Annotated[str | None, Field(description="Braze attribute name this element fills.")] = None


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
    title: Annotated[str, Field(min_length=1, max_length=500)]
    body: Annotated[str | None, Field(max_length=5000)] = None
    elements: Annotated[list[Element], Field(min_length=1, max_length=50)]
    button: Annotated[str, Field(min_length=1, max_length=100)] = "Next"


class Outcome(_Model):
    id: Ident
    title: Annotated[str, Field(min_length=1, max_length=500)]
    description: Annotated[str | None, Field(max_length=5000)] = None
    url: Annotated[str | None, Field(max_length=2000, pattern=r"^https?://")] = None
    when: Condition | None = Field(default=None, description="Chosen when this holds; omit on the fallback.")


class Experience(_Model):
    slug: Annotated[str, Field(pattern=SLUG)]
    title: Annotated[str, Field(min_length=1, max_length=500)]
    description: Annotated[str | None, Field(max_length=5000)] = None
    screens: Annotated[list[Screen], Field(min_length=1, max_length=100)]
    outcome_attribute: Annotated[str | None, Field(description="Braze attribute receiving the outcome id.")] = None
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
            if element_id not in elements:
                problems.append((f"{opath}.when", f"unknown element '{element_id}'"))
                continue
            el = elements[element_id][1]
            options = {o.value for o in el.options} if isinstance(el, SingleChoice | MultiChoice) else None
            if options is not None and value is not None and value not in options:
                problems.append((f"{opath}.when", f"'{value}' is not an option of '{element_id}'"))
    if exp.outcomes and exp.outcomes[-1].when is not None:
        problems.append(
            (f"outcomes[{len(exp.outcomes) - 1}].when", "the last outcome must be a fallback without 'when'")
        )
    return problems


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part[:1].isupper() or (i > 0 and isinstance(loc[i - 1], int) and part in ELEMENT_TYPES):
            continue  # union member names and discriminator tags say nothing to an author
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


ELEMENT_TYPES = frozenset({"single_choice", "multi_choice", "email", "text", "consent"})


def definition_problems(data: object) -> tuple[Experience | None, list[tuple[str, str]]]:
    """Validate raw definition data; (experience, []) when valid, else (None, [(path, message)])."""
    try:
        return Experience.model_validate(data), []
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "value_error" and not err["loc"]:
                for line in msg.splitlines():
                    path, _, text = line.partition(": ")
                    problems.append((path, text))
            else:
                problems.append((_path(tuple(err["loc"])), msg))
        return None, list(dict.fromkeys(problems + _semantics_despite_other_errors(data)))


def _semantics_despite_other_errors(data: object) -> list[tuple[str, str]]:
    """When only unrelated fields are broken (a missing title, say), still check the screens and
    outcomes against each other, so an author sees every problem in one run."""
    if not isinstance(data, dict):
        return []
    try:
        screens = TypeAdapter(list[Screen]).validate_python(data.get("screens"))
        outcomes = TypeAdapter(list[Outcome]).validate_python(data.get("outcomes"))
        outcome_attribute = TypeAdapter(str | None).validate_python(data.get("outcome_attribute"))
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
