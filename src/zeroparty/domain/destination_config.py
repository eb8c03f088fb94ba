"""Operating a destination's settings: `key=value` assignments, destination files and the one-line
summary `destinations list` shows. Pure.

Assignments (`zeroparty destinations set NAME …`):

- `max_objects=50`, `identity=user_alias`, `completion_event=quiz_completed`: a setting's value,
  read the way the settings model reads text (numbers, `true`/`false`);
- `key=` (nothing after `=`): back to the default;
- `renames.skin_type=skin` sets one entry of a map, `renames.skin_type=` removes it;
- `exclude+=first_name`, `exclude-=first_name` add to and remove from a set; `exclude=a,b` replaces it;
- `subscription_groups.marketing_opt_in=UUID` (channel email), `subscription_groups.marketing_opt_in.channel=sms`;
- `endpoint=US-03` or `endpoint=https://rest.iad-03.braze.com`: not a setting but the destination's
  REST endpoint, resolved as `add-braze --endpoint` resolves it (`change_settings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from zeroparty.domain.braze_instances import resolve_endpoint
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.errors import FieldError, InvalidInput

SETTINGS = tuple(DestinationSettings.model_fields)
MAPS = ("renames", "subscription_groups")
SETS = ("exclude",)
_DEFAULTS = DestinationSettings()


def _known(key: str) -> str:
    return f"unknown setting '{key}'; the settings are {', '.join(SETTINGS)}"


def _split(assignment: str) -> tuple[list[str], str, str]:
    """`renames.a=b` → (["renames", "a"], "=", "b"); `exclude+=x` → (["exclude"], "+=", "x")."""
    if "=" not in assignment:
        raise InvalidInput(FieldError(assignment or "(empty)", "expected key=value (or key+=value, key-=value)"))
    key, value = assignment.split("=", 1)
    op = "="
    if key.endswith(("+", "-")):
        key, op = key[:-1], key[-1] + "="
    path = key.strip().split(".")
    if not all(path):
        raise InvalidInput(FieldError(key or "(empty)", "a key is a setting name, with dotted parts for map entries"))
    return path, op, value.strip()


def _items(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _assign_set(data: dict[str, Any], name: str, op: str, value: str) -> None:
    current = set(data.get(name) or [])
    if op == "+=":
        current |= set(_items(value))
    elif op == "-=":
        current -= set(_items(value))
    else:
        current = set(_items(value))
    data[name] = sorted(current)


def _assign_group(groups: dict[str, Any], path: list[str], value: str) -> None:
    key = path[1]
    if len(path) == 2:
        if value:
            groups[key] = {**groups.get(key, {}), "id": value}
        else:
            groups.pop(key, None)
        return
    if len(path) != 3 or path[2] not in ("id", "channel"):
        raise InvalidInput(FieldError(".".join(path), "a subscription group entry takes .id or .channel"))
    groups[key] = {**groups.get(key, {}), path[2]: value}


def _assign(data: dict[str, Any], path: list[str], op: str, value: str) -> None:
    name, key = path[0], ".".join(path)
    if name not in SETTINGS:
        raise InvalidInput(FieldError(key, _known(name)))
    if op != "=" and name not in SETS:
        raise InvalidInput(FieldError(key, f"{op} works on sets ({', '.join(SETS)}); use = here"))
    if name in SETS:
        if len(path) != 1:
            raise InvalidInput(FieldError(key, f"'{name}' is a set: use {name}+=ID, {name}-=ID or {name}=A,B"))
        _assign_set(data, name, op, value)
    elif name in MAPS and len(path) > 1:
        entries = dict(data.get(name) or {})
        if name == "subscription_groups":
            _assign_group(entries, path, value)
        elif len(path) != 2:
            raise InvalidInput(FieldError(key, f"'{name}' maps one attribute ID to a name: {name}.ID=NAME"))
        elif value:
            entries[path[1]] = value
        else:
            entries.pop(path[1], None)
        data[name] = entries
    elif len(path) > 1:
        raise InvalidInput(FieldError(key, f"'{name}' is not a map; use {name}=VALUE"))
    elif value == "":
        data.pop(name, None)  # back to the default
    elif name in MAPS:
        raise InvalidInput(FieldError(key, f"set one entry at a time ({name}.ID=VALUE), or clear it with {name}="))
    else:
        data[name] = value


def _problem(err: Mapping[str, Any], prefix: str) -> FieldError:
    """One of pydantic's errors as (key, message) in words an operator can act on; the key is the
    one the operator wrote (`prefix` + dotted path)."""
    loc = tuple(str(part) for part in err.get("loc", ()))
    kind = str(err.get("type", ""))
    message = str(err.get("msg", "")).removeprefix("Value error, ").replace("Input should be", "must be")
    key = prefix + ".".join(loc)
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return FieldError(key, _known(loc[0]))
        return FieldError(key, "unknown key; a subscription group takes id and channel")
    if kind == "string_pattern_mismatch" and loc[-1:] == ("id",):
        return FieldError(key, "must be a subscription group id: a UUID, as shown in Braze's dashboard")
    # The model's own checks name the entry themselves (`renames.skin_type: …`): keep that key.
    head, sep, rest = message.partition(": ")
    if sep and head.split(".")[0] in SETTINGS:
        return FieldError(prefix + head, rest)
    if not loc:  # a check across settings: the only one is renamed-and-excluded
        return FieldError(prefix + ("exclude" if "excluded" in message else "settings"), message)
    return FieldError(key, message)


def validate_settings(data: Any, prefix: str = "") -> DestinationSettings:
    """`data` as settings; InvalidInput naming each key (`prefix` + dotted path) and its problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(FieldError(prefix.rstrip(".") or "settings", "must be a mapping of setting: value"))
    try:
        return DestinationSettings.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput([_problem(err, prefix) for err in exc.errors()]) from None


def apply_assignments(current: DestinationSettings, assignments: Iterable[str]) -> DestinationSettings:
    """`current` with the assignments applied in order, validated as a whole."""
    data = current.model_dump(mode="json")
    for assignment in assignments:
        path, op, value = _split(assignment)
        _assign(data, path, op, value)
    return validate_settings(data)


@dataclass(frozen=True)
class SettingsChange:
    settings: DestinationSettings
    endpoint: str | None  # the REST endpoint an `endpoint=` assignment gave, resolved


def _endpoint(assignment: str) -> tuple[str | None, list[FieldError]]:
    """The endpoint `endpoint=VALUE` sets, or the problem with it."""
    key, _, value = assignment.partition("=")
    if key.strip() != "endpoint":
        return None, [FieldError(key.strip(), "the endpoint takes one value: endpoint=US-03 or endpoint=URL")]
    if not value.strip():
        return None, [FieldError("endpoint", "cannot be reset: give a Braze instance (US-03) or REST endpoint URL")]
    try:
        return resolve_endpoint(value), []
    except ValueError as exc:
        return None, [FieldError("endpoint", str(exc))]


def change_settings(current: DestinationSettings, assignments: Iterable[str]) -> SettingsChange:
    """`apply_assignments`, where `endpoint=…` sets the endpoint instead; every problem (of the
    endpoint and of the settings) named in one InvalidInput."""
    endpoint: str | None = None
    others: list[str] = []
    problems: list[FieldError] = []
    for assignment in assignments:
        if assignment.partition("=")[0].rstrip("+-").split(".")[0].strip() != "endpoint":
            others.append(assignment)
            continue
        found, wrong = _endpoint(assignment)
        endpoint, problems = found or endpoint, problems + wrong
    settings = current
    try:
        settings = apply_assignments(current, others)
    except InvalidInput as exc:
        problems += exc.errors
    if problems:
        raise InvalidInput(problems)
    return SettingsChange(settings, endpoint)


def non_defaults(settings: DestinationSettings) -> dict[str, Any]:
    """The settings that differ from the defaults, as JSON values."""
    mine, defaults = settings.model_dump(mode="json"), _DEFAULTS.model_dump(mode="json")
    return {k: v for k, v in mine.items() if v != defaults[k]}


def summary(settings: DestinationSettings) -> str:
    """One line of what differs from the defaults; `defaults` when nothing does."""
    parts: list[str] = []
    for name, value in non_defaults(settings).items():
        if name == "renames":
            parts.append("renames " + ", ".join(f"{k}→{v}" for k, v in value.items()))
        elif name == "exclude":
            parts.append("exclude " + ", ".join(sorted(value)))
        elif name == "subscription_groups":
            parts.append("groups " + ", ".join(f"{k}→{g['channel']}:{g['id']}" for k, g in value.items()))
        else:
            parts.append(f"{name}={value}")
    return "; ".join(parts) or "defaults"


@dataclass(frozen=True)
class DestinationFile:
    name: str
    endpoint: str
    settings: DestinationSettings


FILE_KEYS = ("name", "endpoint", "settings")


def destination_file(data: Any) -> DestinationFile:
    """A destination file's content (`name`, `endpoint`, `settings`), or InvalidInput naming each
    problem. A key is never accepted from a file: it would sit in clear on disk and in version control."""
    if not isinstance(data, dict):
        raise InvalidInput(FieldError("(top level)", "must be a mapping with name, endpoint and settings"))
    problems: list[FieldError] = []
    for key in data:
        if str(key).lower() in ("api_key", "key", "braze_api_key", "rest_api_key"):
            problems.append(
                FieldError(str(key), "a key never goes in a file: it comes from ZEROPARTY_BRAZE_API_KEY or the prompt")
            )
        elif key not in FILE_KEYS:
            problems.append(FieldError(str(key), f"unknown key; a destination file has {', '.join(FILE_KEYS)}"))
    name, endpoint = data.get("name"), data.get("endpoint")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        problems.append(FieldError("name", "is required: 1 to 100 characters"))
    url = ""
    if not isinstance(endpoint, str):
        problems.append(FieldError("endpoint", "is required: a Braze instance (US-03) or REST endpoint URL"))
    else:
        try:
            url = resolve_endpoint(endpoint)
        except ValueError as exc:
            problems.append(FieldError("endpoint", str(exc)))
    settings = _DEFAULTS
    try:
        settings = validate_settings(data.get("settings"), "settings.")
    except InvalidInput as exc:
        problems += exc.errors
    if problems:
        raise InvalidInput(problems)
    assert isinstance(name, str)
    return DestinationFile(name, url, settings)
