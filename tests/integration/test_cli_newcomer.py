"""What a newcomer meets first: messages for broken definitions, re-imports, where the data lives,
and stored text printed exactly as stored."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.test_cli import run
from tests.support.databases import fresh_postgres
from tests.support.definitions import SAMPLE, sample_data
from tests.support.processes import cli_env
from zeroparty.cli.experiences import load_definition_file
from zeroparty.domain.untrusted import printable

DATA_DIR_HINT = "to use another, pass --data-dir DIR or set ZEROPARTY_DATA_DIR"


def validate_lines(tmp_path: Path, text: str, name: str = "quiz.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = run(tmp_path, "experiences", "validate", str(path))
    assert done.returncode == 1, done.stdout
    assert done.stderr == ""
    return done.stdout.splitlines()


def test_an_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    assert validate_lines(tmp_path, "\n# nothing yet\n") == [
        "(top level): the definition is empty; it needs slug, title, screens and outcomes (see examples/skin-quiz.yaml)"
    ]


def test_yaml_syntax_errors_name_the_file_line_and_column(tmp_path: Path) -> None:
    lines = validate_lines(tmp_path, "slug: skin-quiz\ntitle: [unclosed\n")
    assert len(lines) == 1
    assert lines[0].startswith(f"{tmp_path / 'quiz.yaml'}, line 3, column 1: YAML syntax error: ")
    assert "<unicode string>" not in lines[0]
    bad_char = validate_lines(tmp_path, "slug: skin-quiz\ntitle: a\x07b\n")
    assert bad_char == [
        f"{tmp_path / 'quiz.yaml'}, line 2, column 9: YAML syntax error: control character U+0007 is not allowed"
    ]


def test_json_syntax_errors_name_the_file_line_and_column(tmp_path: Path) -> None:
    lines = validate_lines(tmp_path, '{"slug": "skin-quiz",\n "title": }', name="quiz.json")
    assert lines == [f"{tmp_path / 'quiz.json'}, line 2, column 11: JSON syntax error: Expecting value"]


def test_rules_are_said_in_words(tmp_path: Path) -> None:
    data = sample_data()
    data["slug"] = "Skin Quiz"
    data["screens"][0]["id"] = "skin screen"
    lines = validate_lines(tmp_path, yaml.safe_dump(data))
    assert lines == [
        "slug: must be lowercase letters, digits and hyphens, starting with a letter or digit, at most 100 characters",
        "screens[0].id: must be letters, digits and underscores, starting with a letter, at most 100 characters",
    ]


def test_a_condition_typo_is_one_line_naming_the_key(tmp_path: Path) -> None:
    text = SAMPLE.read_text().replace("{element: skin_type, equals: dry}", "{element: skin_type, equal: dry}")
    assert validate_lines(tmp_path, text) == [
        "outcomes[0].when.any[0]: unknown key 'equal'; a condition takes one of equals, includes, in, gt, gte, lt, lte, answered, all, any, not"
    ]


def test_yes_and_no_get_a_quoting_hint(tmp_path: Path) -> None:
    text = SAMPLE.read_text().replace(
        "- {value: normal, label: Comfortable}",
        "- {value: normal, label: Comfortable}\n          - {value: Yes, label: No}",
    )
    hint = "(unquoted yes/no, on/off and true/false are booleans); put it in quotes"
    assert validate_lines(tmp_path, text) == [
        f'screens[0].elements[0].options[4].value: YAML read this as the boolean true, not text {hint}, e.g. "Yes"',
        f'screens[0].elements[0].options[4].label: YAML read this as the boolean false, not text {hint}, e.g. "No"',
    ]


def test_control_characters_in_a_definition_are_refused(tmp_path: Path) -> None:
    text = SAMPLE.read_text().replace("title: Find your skincare routine", 'title: "Find your\\x00 routine"')
    assert validate_lines(tmp_path, text) == ["title: must not contain a NUL character"]


def test_an_endpoint_without_https_gets_the_url_to_use(tmp_path: Path) -> None:
    done = run(
        tmp_path,
        "destinations",
        "add-braze",
        "prod",
        "--endpoint",
        "rest.iad-01.braze.com",
        "--no-verify",
        key="k" * 20,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: --endpoint: 'rest.iad-01.braze.com' needs https:// in front: use https://rest.iad-01.braze.com "
        "or the instance name US-01"
    )


def test_reimporting_an_unchanged_definition_publishes_nothing(tmp_path: Path) -> None:
    first = run(tmp_path, "experiences", "import", str(SAMPLE))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Published 'skin-quiz' version 1"
    again = run(tmp_path, "experiences", "import", str(SAMPLE))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "'skin-quiz' is unchanged: version 1 is current; nothing published"
    # The same definition written differently (key order, defaults spelled out) is still unchanged.
    same = sample_data()
    same["screens"][0]["button"] = "Next"
    reordered = tmp_path / "same.json"
    reordered.write_text(json.dumps(dict(reversed(list(same.items())))))
    assert "unchanged" in run(tmp_path, "experiences", "import", str(reordered)).stdout
    changed = sample_data()
    changed["title"] = "A new title"
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(changed))
    assert run(tmp_path, "experiences", "import", str(path)).stdout.strip() == "Published 'skin-quiz' version 2"
    # Going back to the first text is a change from the current version.
    assert run(tmp_path, "experiences", "import", str(SAMPLE)).stdout.strip() == "Published 'skin-quiz' version 3"
    with sqlite3.connect(tmp_path / "zeroparty.db") as db:
        assert db.execute("SELECT count(*) FROM experience_versions").fetchone() == (3,)


def run_in(cwd: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = cli_env(None, COLUMNS="200") | (extra or {})
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


READ_ONLY = [
    ["experiences", "list"],
    ["experiences", "secret", "skin-quiz"],
    ["destinations", "list"],
    ["destinations", "test", "prod"],
    ["destinations", "resume", "prod"],
    ["destinations", "set", "prod", "max_objects=50"],
    ["destinations", "update-key", "prod"],
    ["destinations", "remove", "prod"],
    ["destinations", "backfill", "prod"],
    ["deliveries"],
    ["deliveries", "dead"],
    ["deliveries", "replay", "--all", "--yes"],
    ["tokens", "list"],
    ["tokens", "revoke", "ci"],
    ["people", "erase", "ada@example.com"],
]


def test_a_command_that_only_reads_creates_nothing_where_there_is_no_data(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    looked_in = (elsewhere / ".zeroparty").resolve()
    for args in READ_ONLY:
        done = run_in(elsewhere, *args, extra={"ZEROPARTY_BRAZE_API_KEY": "k" * 20})
        assert done.returncode == 1, (args, done.stdout)
        assert done.stderr.strip() == (
            f"error: no zeroparty data in {looked_in} (no zeroparty.db there); run the command where the data is, "
            "or point to it with --data-dir DIR (before the command), ZEROPARTY_DATA_DIR or ZEROPARTY_DATABASE_URL"
        ), args
        assert list(elsewhere.iterdir()) == [], args  # no folder, no database, no key
    # Checking a definition needs no data at all, and makes none.
    valid = run_in(elsewhere, "experiences", "validate", str(SAMPLE))
    assert valid.returncode == 0 and valid.stderr == "" and list(elsewhere.iterdir()) == []


def test_a_command_that_opens_stored_keys_makes_no_new_secret_key(tmp_path: Path) -> None:
    added = run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", "US-03", "--no-verify", key="k" * 20)
    assert added.returncode == 0, added.stderr
    (tmp_path / "secret.key").rename(tmp_path / "elsewhere.key")  # e.g. the key kept in another folder
    done = run(tmp_path, "destinations", "resume", "prod")
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: no zeroparty key at {(tmp_path / 'secret.key').resolve()}: ")
    assert not (tmp_path / "secret.key").exists()  # a new key could not open what the old one sealed
    assert run(tmp_path, "destinations", "list").returncode == 0  # listing needs no key


def test_a_missing_database_file_named_by_url_is_said_so(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "zp.db"
    done = run_in(tmp_path, "tokens", "list", extra={"ZEROPARTY_DATABASE_URL": f"sqlite:///{missing}"})
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: no zeroparty database at {missing} (ZEROPARTY_DATABASE_URL); ")
    assert not missing.parent.exists()


def test_with_postgresql_a_listing_needs_no_local_data_folder(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        done = run_in(tmp_path, "tokens", "list", extra={"ZEROPARTY_DATABASE_URL": url})
        assert done.returncode == 0, done.stderr
        assert "No tokens yet" in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_command_that_creates_says_where_it_created_the_data(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_in(elsewhere, "experiences", "import", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    created = (elsewhere / ".zeroparty" / "zeroparty.db").resolve()
    assert done.stderr.strip() == f"note: created a new database at {created}; {DATA_DIR_HINT}"
    again = run_in(elsewhere, "experiences", "list")
    assert again.returncode == 0 and again.stderr == "" and "skin-quiz" in again.stdout


def test_data_dir_option_applies_to_every_command(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    imported = run_in(elsewhere, "--data-dir", str(data), "experiences", "import", str(SAMPLE))
    assert imported.returncode == 0, imported.stderr
    assert f"created a new database at {(data / 'zeroparty.db').resolve()}" in imported.stderr
    assert not (elsewhere / ".zeroparty").exists()
    listed = run_in(elsewhere, "--data-dir", str(data), "experiences", "list")
    assert "skin-quiz" in listed.stdout and listed.stderr == ""
    # The option wins over the environment variable.
    other = run(tmp_path / "unused", "--data-dir", str(data), "experiences", "list")
    assert "skin-quiz" in other.stdout and not (tmp_path / "unused").exists()
    assert "--data-dir" in run_in(elsewhere, "--help").stdout


def test_stored_text_is_printed_literally(tmp_path: Path) -> None:
    added = run(
        tmp_path, "destinations", "add-braze", "[b]prod[/b]", "--endpoint", "US-03", "--no-verify", key="k" * 20
    )
    assert added.returncode == 0, added.stderr
    assert "Added Braze destination '[b]prod[/b]'" in added.stdout
    reason = "Braze refused the API key (key …kkkk [redacted] [bold]x[/bold] :smile:)"
    with sqlite3.connect(tmp_path / "zeroparty.db") as db:
        db.execute("UPDATE destinations SET paused_reason = ?", (reason,))
    listed = run(tmp_path, "destinations", "list")
    assert listed.returncode == 0, listed.stderr
    assert "[b]prod[/b]" in listed.stdout and f"paused: {reason}" in listed.stdout
    missing = run(tmp_path, "destinations", "resume", "[red]nope[/red]")
    assert missing.returncode == 1 and "[red]nope[/red]" in missing.stderr


def test_experience_titles_are_printed_literally(tmp_path: Path) -> None:
    data = sample_data()
    data["title"] = "Quiz [bold]2[/bold] :smile:"
    path = tmp_path / "quiz.yaml"
    path.write_text(yaml.safe_dump(data))
    assert run(tmp_path, "experiences", "import", str(path)).returncode == 0
    assert "Quiz [bold]2[/bold] :smile:" in run(tmp_path, "experiences", "list").stdout


YAML_ISH = st.text(alphabet=st.sampled_from(list("ab1:-,[]{}\"'\n #&*!|>%@`\t\x00\x07\x85é\ufeff")), max_size=80)
SAMPLE_TEXT = SAMPLE.read_text()


@st.composite
def mangled_sample(draw: st.DrawFn) -> bytes:
    """The sample with a slice replaced: mostly still YAML, often broken somewhere."""
    start = draw(st.integers(0, len(SAMPLE_TEXT)))
    end = draw(st.integers(start, min(len(SAMPLE_TEXT), start + 40)))
    return (SAMPLE_TEXT[:start] + draw(YAML_ISH) + SAMPLE_TEXT[end:]).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(
    content=st.binary(max_size=200) | YAML_ISH.map(lambda t: t.encode("utf-8")) | mangled_sample(),
    suffix=st.sampled_from([".yaml", ".yml", ".json"]),
)
def test_any_file_content_is_a_definition_or_printable_problems(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"quiz{suffix}"
        path.write_bytes(content)
        exp, problems = load_definition_file(path)
    assert (exp is None) == bool(problems)
    for where, message in problems:
        line = f"{where}: {message}"
        assert line == printable(line)
        line.encode("utf-8")
