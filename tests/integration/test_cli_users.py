"""`zeroparty users …` and `zeroparty audit` as an operator uses them: the password never on the
command line, a weak one refused with nothing stored, and a reset link that works once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.test_cli import run
from zeroparty.bootstrap import account_service, open_store
from zeroparty.config import Settings
from zeroparty.errors import Gone

PASSWORD = "correct horse battery"


def _users(data: Path, *args: str, password: str | None = None, extra: dict[str, str] | None = None) -> list[str]:
    env = (extra or {}) | ({"ZEROPARTY_USER_PASSWORD": password} if password is not None else {})
    done = run(data, "users", *args, extra=env)
    return [str(done.returncode), done.stdout, done.stderr]


def test_users_are_created_listed_and_changed_from_the_cli(tmp_path: Path) -> None:
    code, out, err = _users(tmp_path, "create", "Ada@Example.com", "--role", "owner", password=PASSWORD)
    assert code == "0", err
    assert "ada@example.com" in out and PASSWORD not in out + err
    code, out, err = _users(tmp_path, "create", "bob@example.com", "--role", "viewer", password="too short")
    assert code == "1" and "password" in err and "12" in err
    code, out, err = _users(tmp_path, "create", "carol@example.com", "--role", "admin", password=PASSWORD)
    assert code == "1" and "role" in err
    code, out, err = _users(tmp_path, "create", "ada@example.com", "--role", "viewer", password=PASSWORD)
    assert code == "1" and "email" in err
    listed = json.loads(_users(tmp_path, "list", "--json")[1])
    assert [(u["email"], u["role"], u["disabled_at"]) for u in listed] == [("ada@example.com", "owner", None)]
    code, _, err = _users(tmp_path, "set-role", "ada@example.com", "viewer")
    assert code == "1" and "at least one owner" in err
    assert _users(tmp_path, "create", "bob@example.com", "--role", "editor", password=PASSWORD)[0] == "0"
    assert _users(tmp_path, "set-role", "bob@example.com", "owner")[0] == "0"
    assert _users(tmp_path, "disable", "ada@example.com")[0] == "0"
    listed = json.loads(_users(tmp_path, "list", "--json")[1])
    assert [(u["email"], u["role"], u["disabled_at"] is not None) for u in listed] == [
        ("ada@example.com", "owner", True),
        ("bob@example.com", "owner", False),
    ]
    table = run(tmp_path, "audit").stdout
    assert "user.create" in table and "member.role" in table and "bob@example.com" in table
    exported = run(tmp_path, "audit", "export", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["action"] for line in exported] == ["member.role", "user.create", "user.create"]
    instance = json.loads(run(tmp_path, "audit", "--instance", "--json").stdout)
    assert [(e["action"], e["target"], e["actor"]) for e in instance] == [("user.disable", "ada@example.com", "cli")]


def test_a_reset_link_from_the_cli_sets_a_new_password_once(tmp_path: Path) -> None:
    assert _users(tmp_path, "create", "ada@example.com", "--role", "owner", password=PASSWORD)[0] == "0"
    public = {"ZEROPARTY_PUBLIC_URL": "https://zp.example.com/"}
    code, out, err = _users(tmp_path, "reset-link", "ada@example.com", extra=public)
    assert code == "0" and "once" in err and "60 minutes" in err
    link = urlsplit(out.strip())
    assert (link.scheme, link.netloc, link.path) == ("https", "zp.example.com", "/admin/reset")
    [token] = parse_qs(link.query)["token"]
    assert _users(tmp_path, "reset-link", "nobody@example.com")[0] == "1"
    accounts = account_service(open_store(Settings(data_dir=tmp_path)))
    assert accounts.reset_password(token, "a brand new passphrase").email == "ada@example.com"
    with pytest.raises(Gone):
        accounts.reset_password(token, "yet another passphrase")
    assert asyncio.run(accounts.sign_in("ada@example.com", "a brand new passphrase", "127.0.0.1")).user is not None
    assert asyncio.run(accounts.sign_in("ada@example.com", PASSWORD, "127.0.0.1")).user is None
    local = _users(
        tmp_path, "reset-link", "ada@example.com", extra={"ZEROPARTY_HOST": "0.0.0.0", "ZEROPARTY_PORT": "9"}
    )
    assert local[1].startswith("http://0.0.0.0:9/admin/reset?token=zpr_")
    bad = _users(tmp_path, "reset-link", "ada@example.com", extra={"ZEROPARTY_PUBLIC_URL": "https://x.example/admin"})
    assert bad[0] == "1" and "ZEROPARTY_PUBLIC_URL" in bad[2]
