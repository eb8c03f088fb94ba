"""`zeroparty experiences …`: validate, import and list experience definitions; make the secret an
experience's external id tokens are signed with."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from zeroparty.cli.app import experiences_cli
from zeroparty.cli.common import err, fail, has_data, out, plain, print_json, runtime, settings, store
from zeroparty.cli.consents import warn_unmapped
from zeroparty.cli.records import Field, say, show
from zeroparty.config import Settings
from zeroparty.errors import ConfigurationError, InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from zeroparty.domain.destination_settings import DestinationSettings
    from zeroparty.domain.experience.model import Experience
    from zeroparty.domain.experience.publishing import PublishState
    from zeroparty.domain.workspaces import Workspace
    from zeroparty.services.assets import AssetService
    from zeroparty.services.publishing import ArrayLimit

Problems = list[tuple[str, str]]
CLOSED_MESSAGE_MAX = 2000


def load_definition_file(path: Path) -> tuple[Experience | None, Problems]:
    from zeroparty.services.publishing import read_definition

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [("(file)", f"cannot read {path}: {exc.strerror}")]
    except UnicodeDecodeError:
        return None, [("(file)", f"{path} is not UTF-8 text")]
    return read_definition(text, str(path), as_json=path.suffix.lower() == ".json", feed=lambda d: _read_feed(path, d))


def _read_feed(path: Path, data: object) -> Problems:
    """Put the catalogue named by `feed.file` (a CSV beside the definition) into the definition, so
    it is checked and published with it; problems name the CSV's line and column."""
    from zeroparty.domain.experience.feed import parse_catalogue

    feed = data.get("feed") if isinstance(data, dict) else None
    if not isinstance(feed, dict) or not isinstance(feed.get("file"), str) or "products" in feed:
        return []  # no file to read (the model reports what is missing or malformed)
    assert isinstance(data, dict)
    csv_path = path.parent / feed["file"]
    try:
        text = csv_path.read_text(encoding="utf-8")
    except OSError as exc:
        return [("feed.file", f"cannot read {csv_path}: {exc.strerror}")]
    except UnicodeDecodeError:
        return [("feed.file", f"{csv_path} is not UTF-8 text")]
    catalogue, problems = parse_catalogue(text, str(csv_path))
    if catalogue is None:
        return problems
    products = [p.model_dump(mode="json", exclude_none=True) for p in catalogue.products]
    data["feed"] = {**feed, "columns": list(catalogue.columns), "products": products}
    return []


def _valid_definition(file: Path) -> Experience:
    """The definition in `file`; otherwise print `path: message` per problem and exit 1."""
    exp, problems = load_definition_file(file)
    if exp is None:
        _print_and_exit(problems)
    return exp


def _check_assets(exp: Experience, assets: AssetService) -> None:
    """Exit 1 with a `path: message` line per image the definition names that is not stored."""
    from zeroparty.services.publishing import asset_problems

    problems = asset_problems(exp, assets)
    if problems:
        _print_and_exit(problems)


def _check_arrays(exp: Experience, limit: ArrayLimit) -> None:
    """Exit 1 with a `path: message` line per multi-choice that could send more values than Braze
    keeps in an array attribute."""
    from zeroparty.services.publishing import array_problems

    problems = array_problems(exp, limit)
    if problems:
        _print_and_exit(problems)


def _print_and_exit(problems: Problems) -> NoReturn:
    for path, message in problems:
        print(f"{path}: {message}")
    raise typer.Exit(1)


def _destinations(engine: Engine, workspace_id: int) -> list[tuple[str, DestinationSettings]]:
    """Each of the workspace's destinations' name and settings, read once for the array limit and
    the forecast."""
    from zeroparty.bootstrap import destination_views

    return [(d.name, d.settings) for d in destination_views(engine, workspace_id)]


def _array_limit(destinations: list[tuple[str, DestinationSettings]]) -> ArrayLimit:
    from zeroparty.services.publishing import array_limit

    return array_limit(destinations)


def _print_forecast(destinations: list[tuple[str, DestinationSettings]], exp: Experience) -> None:
    """One line per destination: the data points this experience will cost there
    (domain/forecast.py), so a brand sees the bill before the first response."""
    from zeroparty.domain.forecast import forecast

    rows = [(name, forecast(exp, settings)) for name, settings in destinations]
    if not rows:
        return
    fields = (Field("destination", whole=True), Field("first response"), Field("repeat respondent"))
    say("Data points per response:")
    show(fields, [(name, f.first_text(), f.repeat_text()) for name, f in rows])


def _workspace(s: Settings, engine: Engine) -> Workspace:
    from zeroparty.bootstrap import current_workspace

    try:
        return current_workspace(s, engine)
    except ConfigurationError as exc:
        fail(str(exc))


@experiences_cli.command("validate")
def validate(file: Path) -> None:
    """Check a definition; prints `path: message` per problem and exits 1 if there is any.

    Where there is data already, a multi-choice is checked against the smallest `array_limit` of
    the destinations (else Braze's default, 25), the data points it will cost at each destination
    are printed, and each consent key a destination does not map is warned about."""
    from sqlalchemy.exc import SQLAlchemyError

    from zeroparty.bootstrap import asset_service
    from zeroparty.services.publishing import names_assets

    exp = _valid_definition(file)
    s = settings()
    engine = store(s) if has_data(s) else None  # checking a file creates no store
    destinations: list[tuple[str, DestinationSettings]] = []
    workspace_id = 0
    if engine is not None:
        try:
            workspace_id = _workspace(s, engine).id
            destinations = _destinations(engine, workspace_id)
        except SQLAlchemyError as exc:
            err.print(plain(f"note: destinations not read: the store cannot be read ({exc})"), highlight=False)
            engine = None
    _check_arrays(exp, _array_limit(destinations))
    if engine is not None:
        _check_assets(exp, asset_service(engine, workspace_id))
    elif names_assets(exp):
        err.print(plain("note: images not checked: there is no store yet; `zeroparty assets add` them first"))
    out.print(plain(f"{file}: valid ({len(exp.screens)} screens, {len(exp.outcomes)} outcomes)"))
    _print_forecast(destinations, exp)
    if engine is not None:
        try:
            warn_unmapped(engine, [exp], workspace_id)
        except SQLAlchemyError as exc:
            err.print(plain(f"note: consent mappings not checked: the store cannot be read ({exc})"), highlight=False)


@experiences_cli.command("import")
def import_(file: Path) -> None:
    """Publish a definition as a new immutable version (nothing when it equals the current one).

    Checked as `validate` checks it, against the destinations' smallest `array_limit`; prints the
    data points it will cost at each destination."""
    from zeroparty.services.publishing import ArrayLimit

    exp = _valid_definition(file)
    s = settings()
    if not has_data(s):
        _check_arrays(exp, ArrayLimit.default())  # no destination yet: refused before a store is made
    rt = runtime(s)
    destinations = _destinations(rt.engine, rt.workspace.id)
    _check_arrays(exp, _array_limit(destinations))
    _check_assets(exp, rt.assets)
    from zeroparty.bootstrap import publishing_service
    from zeroparty.cli.actor import cli_actor

    try:
        result = publishing_service(rt.engine, rt.workspace.id).publish(exp, actor=cli_actor())
    except InvalidInput as exc:  # its slug is another workspace's
        fail(str(exc))
    version = result.published.version
    if result.created:
        out.print(plain(f"Published '{exp.slug}' version {version}"))
    else:
        out.print(plain(f"'{exp.slug}' is unchanged: version {version} is current; nothing published"))
    if result.published.state != "published":  # a new version keeps the state the operator chose
        say(f"'{exp.slug}' stays {result.published.state}: `zeroparty experiences publish {exp.slug}` serves it")
    _note_variants(rt.engine, rt.workspace.id, exp.slug, version, result.created)
    _print_forecast(destinations, exp)
    warn_unmapped(rt.engine, [exp], rt.workspace.id)


def _note_variants(engine: Engine, workspace_id: int, slug: str, version: int, created: bool) -> None:
    """While A/B variants are set, they decide what respondents get, not the latest version."""
    from zeroparty.bootstrap import variant_admin

    served = variant_admin(engine, workspace_id).served_instead(slug, version)
    if created and served:
        names = ", ".join(f"{v.name} (version {v.version})" for v in served)
        say(
            f"'{slug}' is served as its variants {names}: version {version} reaches respondents once a variant "
            f"names it (`zeroparty experiences variants {slug} --set …`) or after `--clear`"
        )


@experiences_cli.command("list")
def list_experiences(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")] = False,
) -> None:
    """List experiences: the current version of each, whether it is published, unpublished or
    closed, and when it stops taking responses (`settings.closes_at`)."""
    from zeroparty.bootstrap import current_definitions
    from zeroparty.cli.workspace_scope import scoped_store

    engine, workspace = scoped_store(settings())
    found = [
        (d.slug, d.version, str(d.definition.get("title", "")), d.state, _closes_at(d.definition))
        for d in current_definitions(engine, workspace.id)
    ]
    if as_json:
        print_json(
            [
                {"slug": slug, "title": title, "version": v, "state": state, "closes_at": closes}
                for slug, v, title, state, closes in found
            ]
        )
        return
    if not found:
        say("No experiences yet: publish one with `zeroparty experiences import FILE`.")
        return
    fields = (
        Field("slug", whole=True),
        Field("version", number=True),
        Field("state", whole=True),
        Field("closes at", whole=True),
        Field("title"),
    )
    show(fields, [(slug, str(v), state, closes or "-", title) for slug, v, title, state, closes in found])


def _closes_at(definition: dict[str, Any]) -> str | None:
    """The closing time as published (ISO 8601 with its zone), when there is one."""
    closes = (definition.get("settings") or {}).get("closes_at")
    return str(closes) if closes is not None else None


def _set_state(slug: str, state: PublishState, message: str | None = None) -> PublishState:
    from zeroparty.bootstrap import publishing_service
    from zeroparty.cli.actor import cli_actor

    rt = runtime(settings(), create=False)
    try:
        return publishing_service(rt.engine, rt.workspace.id).set_state(slug, state, message, actor=cli_actor())
    except NotFound as exc:
        fail(str(exc))


@experiences_cli.command("publish")
def publish(slug: Annotated[str, typer.Argument(help="An experience imported before.")]) -> None:
    """Serve an unpublished or closed experience again, at its current version."""
    before = _set_state(slug, "published")
    say(f"'{slug}' is published: /e/{slug} takes responses" + ("" if before != "published" else " (it already did)"))


@experiences_cli.command("unpublish")
def unpublish(slug: Annotated[str, typer.Argument(help="The experience to take down.")]) -> None:
    """Take an experience down: its pages answer 404 and the API refuses it, as if it did not exist.
    Its versions and responses are kept; `experiences publish SLUG` serves it again."""
    _set_state(slug, "unpublished")
    say(f"'{slug}' is unpublished: /e/{slug} answers 404; `zeroparty experiences publish {slug}` serves it again")


@experiences_cli.command("close")
def close(
    slug: Annotated[str, typer.Argument(help="The experience to close.")],
    message: Annotated[
        str | None, typer.Option("--message", help="What its page says instead (default: a short closed notice).")
    ] = None,
) -> None:
    """Stop taking responses: the page shows the closed message (HTTP 410) and the API refuses with
    410. Responses in progress stop too; `experiences publish SLUG` reopens it."""
    from zeroparty.domain.untrusted import definition_text_problem

    problem = None if message is None else definition_text_problem(message, required=True, multiline=True)
    if message is not None and len(message) > CLOSED_MESSAGE_MAX:
        problem = f"is {len(message)} characters; at most {CLOSED_MESSAGE_MAX}"
    if problem:
        fail(f"--message: {problem}")
    _set_state(slug, "closed", message)
    say(f"'{slug}' is closed: /e/{slug} shows the closed message; `zeroparty experiences publish {slug}` reopens it")


@experiences_cli.command("secret")
def secret(
    slug: Annotated[str, typer.Argument(help="The experience whose external id tokens the secret signs.")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Replace the current secret; tokens signed with it are refused.")
    ] = False,
) -> None:
    """Make the secret the brand's server signs external id tokens with, and print it once."""
    from zeroparty.bootstrap import experience_secret_service

    rt = runtime(settings(), create=False)
    try:
        made = experience_secret_service(rt.engine, rt.box, rt.workspace.id).make(slug, rotate=rotate)
    except (InvalidInput, NotFound) as exc:
        fail(str(exc))
    # The secret alone on stdout, so `SECRET=$(zeroparty experiences secret quiz)` works.
    print(made)
    err.print(
        plain(
            f"Secret for '{slug}' {'rotated' if rotate else 'created'}. It is shown only this once: put it in the "
            "brand's server configuration. Tokens: docs/experiences.md, 'Signed external ids'."
        ),
        highlight=False,
    )
