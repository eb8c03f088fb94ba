"""First login as the demo prints it: its console URL, email and password from the banner, signed in
with a browser, the overview, then the members page; the owner's pages pass axe at both widths."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.axe import LAPTOP, PHONE, violations_at_widths
from tests.support.definitions import ROOT
from tests.support.processes import cli_env, server_process

BANNER = re.compile(r"Console:\s+(\S+)\s+\(email: (\S+)\s+password: (.+)\)")
SHOTS = Path("/tmp/shots-f")


def _credentials(log: Path) -> tuple[str, str, str]:
    found = BANNER.search(log.read_text(encoding="utf-8"))
    assert found is not None, log.read_text(encoding="utf-8")[-2000:]
    return found.group(1), found.group(2), found.group(3).strip()


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"), full_page=True)


def test_first_login_with_the_demos_credentials_then_members(page: Page, tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = tmp_path / "demo.log"
    with server_process(["demo"], cli_env(data, COLUMNS="250"), log, ROOT):
        console, email, password = _credentials(log)
        page.goto(console)
        expect(page).to_have_url(re.compile(r"/admin/login"))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/admin/w/default$"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.get_by_role("link", name="Members").click()
        expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
        expect(page.get_by_role("rowheader", name=re.compile(re.escape(email)))).to_be_visible()
        assert violations_at_widths(page) == {}
        _shoot(page, "members")

        page.get_by_label("Email").fill("colleague@brand.example")
        page.get_by_label("Role", exact=True).select_option("editor")
        page.get_by_role("button", name="Add member").click()
        link = page.get_by_label("One-time reset link")
        expect(link).to_have_value(re.compile(r"/admin/reset\?token="))
        assert violations_at_widths(page) == {}
        _shoot(page, "members-added")

        page.get_by_role("link", name="API tokens").click()
        page.get_by_label("Name").fill("grafana")
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_label("The token")).to_have_value(re.compile(r".{20,}"))
        assert violations_at_widths(page) == {}
        _shoot(page, "tokens")

        page.get_by_role("link", name="Audit log").click()
        expect(page.get_by_role("cell", name="token.create")).to_be_visible()
        assert violations_at_widths(page) == {}
        _shoot(page, "audit")

        page.get_by_role("link", name="Your account").click()
        expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
        assert violations_at_widths(page) == {}
        _shoot(page, "account")
