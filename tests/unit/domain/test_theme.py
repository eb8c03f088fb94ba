"""An experience's theme: contrast measured as WCAG measures it, and the stylesheet it becomes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.definitions import sample_data
from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.experience.theme import (
    INK,
    PAGES,
    TEXT_CONTRAST,
    UI_CONTRAST,
    Theme,
    contrast,
    modes,
    on_accent,
    theme_css,
    theme_problems,
)


def test_contrast_is_wcags_ratio() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#fff", "#ffffff") == pytest.approx(1)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the well-known near miss


def test_a_pale_brand_colour_gets_dark_labels() -> None:
    assert on_accent("#0a7d4f") == "#ffffff"
    assert on_accent("#ffd400") == INK["light"]


@pytest.mark.parametrize(
    ("theme", "problems"),
    [
        (Theme(accent="#0a7d4f", mode="auto"), []),
        (Theme(accent="#777777"), [("theme.accent", "button labels on #777777 reach 4.4:1; text needs 4.5:1")]),
        (Theme(accent="#ffee00"), [("theme.accent", "#ffee00 on the light page reaches 1.2:1; controls need 3.0:1")]),
        (
            Theme(accent="#4a3aff", mode="dark"),
            [("theme.accent", "#4a3aff on the dark page reaches 2.6:1; controls need 3.0:1")],
        ),
        (Theme(font="serif", mode="dark"), []),
    ],
)
def test_a_brand_colour_that_would_not_read_is_named(theme: Theme, problems: list[tuple[str, str]]) -> None:
    assert theme_problems(theme) == problems


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True), st.sampled_from(["light", "dark", "auto"]))
def test_whatever_colour_passes_reads_in_every_mode_it_is_shown_in(accent: str, mode: str) -> None:
    theme = Theme.model_validate({"accent": accent, "mode": mode})
    if theme_problems(theme):
        return
    assert contrast(on_accent(accent), accent) >= TEXT_CONTRAST
    assert all(contrast(accent, PAGES[m]) >= UI_CONTRAST for m in modes(theme))


def test_the_stylesheet_sets_only_what_the_theme_says() -> None:
    css = theme_css(Theme(accent="#0a7d4f", radius=4))
    assert "--accent: #0a7d4f;" in css and "--on-accent: #ffffff;" in css and "--radius: 4px;" in css
    assert "--font" not in css and "dark" not in css
    auto = theme_css(Theme(mode="auto"))
    assert "@media (prefers-color-scheme: dark)" in auto and "--paper: #1c1c24;" in auto
    assert "--accent: #9d94ff;" in auto  # the default brand colour is too dark for the dark page
    assert "--accent" not in theme_css(Theme(accent="#c0392b", mode="dark")).split("--paper")[1]


def test_a_definitions_theme_is_checked_where_it_is_written() -> None:
    data = {**sample_data(), "theme": {"accent": "#ffee00", "radius": 40, "logo": "https://cdn.example/logo.png"}}
    _exp, problems = definition_problems(data)
    paths = [p for p, _m in problems]
    assert "theme.radius" in paths and "theme.logo" in paths
    data["theme"] = {"accent": "#ffee00"}
    _exp, problems = definition_problems(data)
    assert problems == [("theme.accent", "#ffee00 on the light page reaches 1.2:1; controls need 3.0:1")]
