"""Publishing experiences, one workspace at a time: read a definition's text (YAML or JSON), say what
is wrong with it (`path: message`, on the line it is on when the text shows it), check its images and
its multi-choices against the workspace's destinations, forecast its data points, publish it when it
changed, list the workspace's experiences and their versions, roll back, change their state, and
write the embed snippet. `zeroparty experiences validate/import` and the console both call it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, Protocol

import yaml

from zeroparty.domain.array_limit import array_limit_problems
from zeroparty.domain.assets import reference_paths
from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.destination_settings import DEFAULT_ARRAY_LIMIT, DestinationSettings
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.publishing import PublishState
from zeroparty.domain.forecast import Forecast, forecast
from zeroparty.domain.untrusted import printable
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.assets import AssetService
from zeroparty.services.audit import AuditService, Detail
from zeroparty.services.ports import Published

Problems = list[tuple[str, str]]
FeedReader = Callable[[object], Problems]
"""Puts a catalogue named by `feed.file` into the parsed document (the CLI reads it beside the file)."""


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None  # 1-based, in the text checked


@dataclass(frozen=True)
class ArrayLimit:
    """The fewest values any destination's Braze keeps in an array attribute, and which one it is."""

    items: int
    destination: str | None = None

    @staticmethod
    def default() -> ArrayLimit:
        """Braze's default, when no destination says otherwise."""
        return ArrayLimit(DEFAULT_ARRAY_LIMIT)


@dataclass(frozen=True)
class Checked:
    """A definition's text checked: the experience when valid, else its problems."""

    experience: Experience | None
    problems: list[Problem]
    forecast: list[tuple[str, Forecast]]


class Publication(Protocol):
    @property
    def published(self) -> Published: ...
    @property
    def created(self) -> bool: ...


@dataclass(frozen=True)
class VersionInfo:
    version: int
    published_at: datetime


@dataclass(frozen=True)
class ExperienceSummary:
    slug: str
    title: str
    state: str
    version: int
    published_at: datetime
    responses: int
    completed: int

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.responses if self.responses else None


class ExperienceHistory(Protocol):
    """One workspace's experiences and their versions (adapters/db/experience_history.py)."""

    def publish_if_changed(self, exp: Experience, now: datetime) -> Publication:
        """Conflict naming `slug` when another workspace holds it."""
        ...

    def set_state(self, slug: str, state: PublishState, closed_message: str | None = None) -> PublishState: ...

    def summaries(self) -> list[ExperienceSummary]: ...

    def versions(self, slug: str) -> list[VersionInfo]:
        """Newest first; empty when the workspace has no such experience."""
        ...

    def definition(self, slug: str, version: int) -> dict[str, Any] | None: ...

    def state(self, slug: str) -> tuple[PublishState, str | None] | None: ...


# ---- reading the text -------------------------------------------------------------------------


def _where(source: str, line: int, column: int) -> str:
    """`source, line L, column C` (1-based), the way an editor counts."""
    return f"{source}, line {line}, column {column}"


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _yaml_problem(source: str, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow, before any parsing
        line, column = _line_and_column(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        kind = "control character" if code < 0x20 or 0x7F <= code <= 0x9F else "character"
        return Problem(_where(source, line, column), f"YAML syntax error: {kind} U+{code:04X} is not allowed", line)
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        message = f"YAML syntax error: {exc.problem}"
        if exc.context and exc.context_mark is not None:
            # PyYAML names its own input "<unicode string>"; say where in the file instead.
            start = exc.context_mark
            message += f" ({exc.context} that started at line {start.line + 1}, column {start.column + 1})"
        return Problem(_where(source, mark.line + 1, mark.column + 1), message, mark.line + 1)
    return Problem(source, f"YAML syntax error: {exc}")


def parse_text(text: str, source: str, *, as_json: bool = False) -> tuple[object, list[Problem]]:
    """The document in `text`; or a syntax problem naming the source, line and column."""
    try:
        if as_json:
            return json.loads(text), []
        return yaml.safe_load(text), []
    except json.JSONDecodeError as exc:
        return None, [Problem(_where(source, exc.lineno, exc.colno), f"JSON syntax error: {exc.msg}", exc.lineno)]
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(source, text, exc)]
    except RecursionError:
        return None, [Problem(source, "is nested too deeply to read")]


_SEGMENT = re.compile(r"[^.\[\]]+|\[\d+\]")


def line_of(text: str, path: str) -> int | None:
    """The line (1-based) where `path` (`screens[1].elements[0].label`) is written in `text`: its
    deepest part the text has. None when the text cannot be read as YAML (JSON is YAML too)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    if node is None:
        return None
    line: int | None = None
    for segment in _SEGMENT.findall(path.split(" ")[0]):
        child = _child(node, segment)
        if child is None:
            break
        line, node = child
    return line


def _child(node: yaml.Node, segment: str) -> tuple[int, yaml.Node] | None:
    if segment.startswith("[") and isinstance(node, yaml.SequenceNode):
        index = int(segment[1:-1])
        if index < len(node.value):
            item = node.value[index]
            return item.start_mark.line + 1, item
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == segment:
                return key.start_mark.line + 1, value
    return None


# ---- the service --------------------------------------------------------------------------------

Destinations = Callable[[], list[tuple[str, DestinationSettings]]]


def array_limit(destinations: Sequence[tuple[str, DestinationSettings]]) -> ArrayLimit:
    smallest = min(destinations, key=lambda d: d[1].array_limit, default=None)
    return ArrayLimit.default() if smallest is None else ArrayLimit(smallest[1].array_limit, smallest[0])


def array_problems(exp: Experience, limit: ArrayLimit) -> Problems:
    """A `path: message` per multi-choice that could send more values than Braze keeps in an array."""
    return [(p.field, p.message) for p in array_limit_problems(exp, limit.items, limit.destination)]


def asset_problems(exp: Experience, assets: AssetService) -> Problems:
    """A `path: message` per image the definition names that is not stored."""
    found = reference_paths(exp.stored_form())
    names = sorted({name for _path, name in found}, key=lambda n: n.reference)
    absent = set(assets.exists(names))
    return [
        (path, f"{name.reference} is not stored; add the image with `zeroparty assets add FILE`")
        for path, name in found
        if name in absent
    ]


def names_assets(exp: Experience) -> bool:
    return bool(reference_paths(exp.stored_form()))


def read_definition(
    text: str, source: str, *, as_json: bool = False, feed: FeedReader | None = None
) -> tuple[Experience | None, Problems]:
    """The experience `text` defines, or its problems as `path: message` pairs."""
    data, syntax = parse_text(text, source, as_json=as_json)
    problems = [(p.path, p.message) for p in syntax] or (feed(data) if feed is not None else [])
    if problems:
        return None, [(printable(p), printable(m)) for p, m in problems]
    return definition_problems(data)


def _no_feed_file(data: object) -> Problems:
    feed = data.get("feed") if isinstance(data, dict) else None
    if isinstance(feed, dict) and isinstance(feed.get("file"), str) and "products" not in feed:
        return [("feed.file", "a file beside the definition cannot be read here; list the products in feed.products")]
    return []


class PublishingService:
    def __init__(
        self,
        history: ExperienceHistory,
        destinations: Destinations,
        assets: AssetService,
        clock: Callable[[], datetime],
        audit: AuditService | None = None,
        workspace_id: int | None = None,
    ) -> None:
        self._history = history
        self._destinations = destinations
        self._assets = assets
        self._clock = clock
        self._audit = audit
        self._workspace_id = workspace_id

    def _record(self, actor: str | None, action: str, slug: str, detail: Detail) -> None:
        """Log a change made on behalf of `actor` (None: nobody's, as a test's or the demo's)."""
        if actor is not None and self._audit is not None:
            self._audit.record(self._workspace_id, actor, action, slug, detail)

    def check(self, text: str, source: str = "definition") -> Checked:
        """Everything `experiences import` checks, each problem with its line in `text` when found."""
        exp, found = read_definition(text, source, as_json=text.lstrip().startswith("{"), feed=_no_feed_file)
        if exp is None:
            return Checked(None, self._lined(text, source, found), [])
        destinations = self._destinations()
        found = array_problems(exp, array_limit(destinations)) or asset_problems(exp, self._assets)
        if found:
            return Checked(None, self._lined(text, source, found), [])
        return Checked(exp, [], [(name, forecast(exp, settings)) for name, settings in destinations])

    @staticmethod
    def _lined(text: str, source: str, found: Problems) -> list[Problem]:
        lined = []
        for path, message in found:
            syntax = re.fullmatch(re.escape(source) + r", line (\d+), column \d+", path)
            line = int(syntax.group(1)) if syntax else line_of(text, path)
            lined.append(Problem(path, message, line))
        return lined

    def publish(self, exp: Experience, *, actor: str | None = None) -> Publication:
        """A new version of `exp` unless it equals the current one; Conflict when the slug is another
        workspace's."""
        done = self._history.publish_if_changed(exp, self._clock())
        detail: Detail = {"version": done.published.version, "created": done.created}
        self._record(actor, "experience.publish", exp.slug, detail)
        return done

    def experiences(self) -> list[ExperienceSummary]:
        return self._history.summaries()

    def versions(self, slug: str) -> list[VersionInfo]:
        found = self._history.versions(slug)
        if not found:
            raise _not_found(slug)
        return found

    def state(self, slug: str) -> tuple[PublishState, str | None]:
        found = self._history.state(slug)
        if found is None:
            raise _not_found(slug)
        return found

    def text(self, slug: str, version: int | None = None) -> str:
        """Version `version` (default: the latest) of `slug` as YAML, the way it is edited."""
        wanted = self.versions(slug)[0].version if version is None else version
        definition = self._history.definition(slug, wanted)
        if definition is None:
            raise NotFound(FieldError("version", f"'{slug}' has no version {wanted}"))
        return str(yaml.safe_dump(definition, sort_keys=False, allow_unicode=True))

    def roll_back(self, slug: str, version: int, *, actor: str | None = None) -> Publication:
        """Publish version `version`'s definition again, as a new version."""
        definition = self._history.definition(slug, version)
        if definition is None:
            raise NotFound(FieldError("version", f"'{slug}' has no version {version}"))
        done = self.publish(Experience.model_validate(definition))
        detail: Detail = {"to": version, "version": done.published.version, "created": done.created}
        self._record(actor, "experience.rollback", slug, detail)
        return done

    def set_state(
        self, slug: str, state: PublishState, message: str | None = None, *, actor: str | None = None
    ) -> PublishState:
        before = self._history.set_state(slug, state, message)
        self._record(actor, "experience.state", slug, {"from": before, "to": state})
        return before


def _not_found(slug: str) -> NotFound:
    return NotFound(FieldError("slug", f"no experience '{slug}'"))


def embed_snippet(base_url: str, slug: str) -> str:
    """The tag a brand puts in its page to show the experience there (docs/experiences.md, Embedding)."""
    origin = base_url.rstrip("/")
    return f'<script src="{escape(origin)}/embed.js" data-experience="{escape(slug)}" async></script>'
