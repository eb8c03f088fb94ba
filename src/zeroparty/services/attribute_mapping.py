"""A destination's attribute mapping: every attribute the workspace's published experiences set, the
name this destination sends it under (renames) or whether it sends it at all (exclude), and a
preview of the `/users/track` body a sample response would make with those settings.

Changes are validated as `zeroparty destinations set NAME renames.X=Y exclude+=X` validates them
(domain/destination_config.py), and refused, named by attribute ID, when two attributes would reach
Braze under one name."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.domain.destination_config import validate_settings
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.elements import (
    Consent,
    DateInput,
    EmailInput,
    MultiChoice,
    Nps,
    NumberInput,
    OpinionScale,
    Rating,
)
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.forecast import forecast
from zeroparty.domain.synthetic import NotSendable, synthetic_send
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.clock import utcnow
from zeroparty.services.destinations import DestinationsService, PublishedExperiences
from zeroparty.services.ports import Published

_NUMBER = (NumberInput, Rating, Nps, OpinionScale)


def attribute_kinds(exp: Experience) -> dict[str, str]:
    """Each attribute `exp` may set → its Braze type (string, number, boolean, time, date, array),
    in the order the experience sets them. Pure."""
    kinds: dict[str, str] = {}
    for _screen, el in exp.elements().values():
        if isinstance(el, EmailInput) or el.attribute is None:
            continue
        if isinstance(el, Consent):
            if el.purpose == "custom":
                kinds.setdefault(el.attribute, "boolean")
        elif isinstance(el, DateInput):
            kinds.setdefault(el.attribute, "date" if el.attribute == "dob" else "time")
        elif isinstance(el, MultiChoice):
            kinds.setdefault(el.attribute, "array")
        else:
            kinds.setdefault(el.attribute, "number" if isinstance(el, _NUMBER) else "string")
    for hidden in exp.hidden():
        if hidden.attribute is not None:
            kinds.setdefault(hidden.attribute, "string")
    for var in exp.declared_variables:
        if var.attribute is not None:
            kinds.setdefault(var.attribute, "number" if var.type == "number" else "string")
    for name, kind in (
        (exp.outcome_attribute, "string"),
        (exp.score_attribute, "number"),
        (exp.products_attribute, "array"),
        (exp.completion_attribute, "time"),
    ):
        if name is not None:
            kinds.setdefault(name, kind)
    return kinds


@dataclass(frozen=True)
class MappedAttribute:
    id: str  # zeroparty's attribute ID, as the experiences name it
    braze_name: str  # what this destination sends it as
    excluded: bool
    kind: str
    experiences: tuple[str, ...]  # slugs of the published experiences that set it

    @property
    def renamed(self) -> bool:
        return self.braze_name != self.id


@dataclass(frozen=True)
class Preview:
    """The `/users/track` body a sample completed response would send, and its data points; or why
    nothing would be sent (`problem`)."""

    experience: str | None  # the slug whose mapping the sample uses; None: no published experience
    track: dict[str, Any]
    points: int
    first_response: str | None  # the forecast of a first response to `experience` (domain/forecast.py)
    problem: str | None = None

    @property
    def track_json(self) -> str:
        return json.dumps(self.track, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class DestinationMapping:
    destination: str
    attributes: list[MappedAttribute]
    preview: Preview


def listed(published: Iterable[Published], settings: DestinationSettings) -> list[MappedAttribute]:
    """Every attribute the published experiences set, with this destination's settings. Pure."""
    kinds: dict[str, str] = {}
    users: dict[str, list[str]] = {}
    for pub in published:
        for name, kind in attribute_kinds(pub.experience).items():
            kinds.setdefault(name, kind)
            users.setdefault(name, []).append(pub.experience.slug)
    return [
        MappedAttribute(name, settings.renames.get(name, name), name in settings.exclude, kind, tuple(users[name]))
        for name, kind in kinds.items()
    ]


def _clashes(ids: list[str], names: Mapping[str, str], excluded: set[str]) -> list[FieldError]:
    """An attribute whose Braze name another sent attribute also has, or another's own ID."""
    sent = [i for i in ids if i not in excluded]
    final = {i: names.get(i, "").strip() or i for i in sent}
    problems: list[FieldError] = []
    for i in sent:
        others = [o for o in sent if o != i and final[o] == final[i]]
        if not others or final[i] == i:
            continue
        if others[0] == final[i]:
            problems.append(FieldError(i, f"another attribute is called '{final[i]}': rename or exclude it first"))
        else:
            problems.append(FieldError(i, f"'{others[0]}' is already sent as '{final[i]}'"))
    return problems


def proposed_settings(
    current: DestinationSettings, ids: list[str], names: Mapping[str, str], excluded: set[str]
) -> DestinationSettings:
    """`current` with each listed attribute's Braze name (empty or its own ID: not renamed) and
    exclusion; attributes not listed keep theirs. InvalidInput names each attribute ID that is wrong,
    every problem at once."""
    problems = _clashes(ids, names, excluded)
    data = current.model_dump(mode="json")
    renames: dict[str, str] = dict(data.get("renames") or {})
    exclude = set(data.get("exclude") or [])
    for i in ids:
        name = names.get(i, "").strip() or i
        if i in excluded and name != i:
            problems.append(FieldError(i, "an excluded attribute is not sent, so it cannot be renamed"))
        renames.pop(i, None)
        exclude.discard(i)
        if i in excluded:
            exclude.add(i)
        elif name != i:
            renames[i] = name
    # The settings' own checks, as `destinations set renames.X=Y exclude+=X` runs them.
    try:
        wanted = validate_settings({**data, "renames": renames, "exclude": sorted(exclude)})
    except InvalidInput as exc:
        named = {p.field for p in problems}
        problems += [e for e in map(_named, exc.errors) if e.field not in named]
    if problems:
        raise InvalidInput(problems)
    return wanted


def _named(error: FieldError) -> FieldError:
    """`renames.skin_type: …` → the attribute `skin_type`."""
    if error.field.startswith("renames."):
        return FieldError(error.field.removeprefix("renames."), error.message)
    return error


class AttributeMappingService:
    def __init__(
        self,
        destinations: DestinationsService,
        published: PublishedExperiences,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._destinations = destinations
        self._published = published
        self._clock = clock

    def mapping(self, name: str, settings: DestinationSettings | None = None) -> DestinationMapping:
        """The destination's mapping with its stored settings (or `settings`, as a preview of a
        change). NotFound when there is no destination `name`."""
        stored = self._destinations.settings(name)
        settings = settings or stored
        published = list(self._published.list_published())
        return DestinationMapping(name, listed(published, settings), self._preview(name, settings, published))

    def proposed(self, name: str, names: Mapping[str, str], excluded: set[str]) -> DestinationSettings:
        """The settings the form's names and exclusions make; InvalidInput naming attribute IDs."""
        current = self._destinations.settings(name)
        ids = [a.id for a in listed(self._published.list_published(), current)]
        return proposed_settings(current, ids, names, excluded)

    def save(self, name: str, names: Mapping[str, str], excluded: set[str]) -> DestinationSettings:
        """Store the form's names and exclusions (nothing is stored when any is wrong)."""
        wanted = self.proposed(name, names, excluded)
        self._destinations.set_settings(name, wanted)
        return wanted

    def _preview(self, name: str, settings: DestinationSettings, published: list[Published]) -> Preview:
        chosen = published[0] if published else None
        exp = chosen.experience if chosen is not None else None
        slug = exp.slug if exp is not None else None
        ahead = forecast(exp, settings).first_text() if exp is not None else None
        try:
            send = synthetic_send(name, settings, exp, chosen.version if chosen else None, self._clock())
        except NotSendable as exc:
            return Preview(slug, {}, 0, ahead, str(exc))
        return Preview(slug, send.track, send.points, ahead)
