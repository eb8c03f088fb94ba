"""`zeroparty experiences …`: validate, import and list experience definitions."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from rich.table import Table

from zeroparty.cli.app import experiences_cli
from zeroparty.cli.common import now, out, runtime, settings
from zeroparty.domain.definition import Experience, definition_problems


def load_definition_file(path: Path) -> tuple[Experience | None, list[tuple[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [("(file)", f"cannot read {path}: {exc.strerror}")]
    except UnicodeDecodeError:
        return None, [("(file)", "is not UTF-8 text")]
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        return None, [("(file)", f"cannot parse: {exc}")]
    return definition_problems(data)


def _valid_definition(file: Path) -> Experience:
    """The definition in `file`; otherwise print `path: message` per problem and exit 1."""
    exp, problems = load_definition_file(file)
    if exp is None:
        for path, message in problems:
            print(f"{path}: {message}")
        raise typer.Exit(1)
    return exp


@experiences_cli.command("validate")
def validate(file: Path) -> None:
    """Check a definition; prints `path: message` per problem and exits 1 if there is any."""
    exp = _valid_definition(file)
    out.print(f"{file}: valid ({len(exp.screens)} screens, {len(exp.outcomes)} outcomes)")


@experiences_cli.command("import")
def import_(file: Path) -> None:
    """Validate and publish a definition as a new immutable version."""
    exp = _valid_definition(file)
    rt = runtime(settings())
    pub = rt.experiences.publish(exp, now())
    out.print(f"Published '{exp.slug}' version {pub.version}")


@experiences_cli.command("list")
def list_experiences() -> None:
    """List published experiences."""
    rt = runtime(settings())
    table = Table("slug", "title", "version")
    for p in rt.experiences.list_published():
        table.add_row(p.experience.slug, p.experience.title, str(p.version))
    out.print(table)
