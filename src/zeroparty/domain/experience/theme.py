"""An experience's look: brand colour, logo, type, corner radius and light or dark, applied as the
design system's custom properties (docs/experiences.md, "Theme").

A brand colour is checked for contrast the way WCAG 2.1 measures it
(https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio): the button label on it at least 4.5:1 (text,
1.4.3), and the colour against the page at least 3:1 (focus rings and selected boxes are user
interface components, 1.4.11), in each mode the experience can be shown in. The label is white or
the ink colour, whichever reads better, so a pale brand colour gets dark labels."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

COLOUR = r"^#(?:[0-9a-fA-F]{3}){1,2}$"
ASSET_REFERENCE = r"^asset:[0-9a-f]{64}\.(?:png|jpg|webp|svg)$"

# The page and ink colours of each mode (zeroparty.css holds the light ones; theme.css the dark).
PAGES = {"light": "#ffffff", "dark": "#1c1c24"}
INK = {"light": "#1d1d28", "dark": "#f2f2f7"}
DARK = {
    "--ink": INK["dark"],
    "--muted": "#b4b4c6",
    "--bad": "#ff8a80",
    "--bad-soft": "#3a1f1f",
    "--line": "#8e8ea3",
    "--line-soft": "#3c3c4a",
    "--paper": PAGES["dark"],
    "--ground": "#111118",
}
# The default brand colour is too dark for the dark page: a lighter one with dark labels.
DARK_ACCENT = {"--accent": "#9d94ff", "--on-accent": INK["light"]}
FONTS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    "serif": 'Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif',
    "rounded": 'ui-rounded, "SF Pro Rounded", "Hiragino Maru Gothic ProN", Quicksand, system-ui, sans-serif',
    "mono": 'ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
}
TEXT_CONTRAST = 4.5
UI_CONTRAST = 3.0

Mode = Literal["light", "dark", "auto"]


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    accent: Annotated[
        str | None, Field(pattern=COLOUR, description="Brand colour of buttons, focus rings and choices: #rrggbb.")
    ] = None
    logo: Annotated[
        str | None, Field(pattern=ASSET_REFERENCE, description="An image stored with `zeroparty assets add`.")
    ] = None
    font: Literal["system", "serif", "rounded", "mono"] | None = None
    radius: Annotated[int | None, Field(ge=0, le=24, description="Corner radius in px (default 10).")] = None
    mode: Mode | None = Field(None, description="light (default), dark, or auto: the respondent's setting.")


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def luminance(colour: str) -> float:
    r, g, b = (_channel(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of two colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def on_accent(accent: str) -> str:
    """The button label colour that reads better on `accent`: white or the light mode's ink."""
    return max(("#ffffff", INK["light"]), key=lambda label: contrast(label, accent))


def _ratio(value: float) -> str:
    # Rounded down: 4.48 is not 4.5:1, and saying so would read as a pass.
    return f"{math.floor(value * 10) / 10:.1f}"


def modes(theme: Theme) -> list[str]:
    mode = theme.mode or "light"
    return ["light", "dark"] if mode == "auto" else [mode]


def theme_problems(theme: Theme, path: str = "theme") -> list[tuple[str, str]]:
    """(path, message) for a brand colour that would not read in a mode the theme shows."""
    if theme.accent is None:
        return []
    problems: list[tuple[str, str]] = []
    label = on_accent(theme.accent)
    if (ratio := contrast(label, theme.accent)) < TEXT_CONTRAST:
        problems.append(
            (f"{path}.accent", f"button labels on {theme.accent} reach {_ratio(ratio)}:1; text needs {TEXT_CONTRAST}:1")
        )
    for mode in modes(theme):
        if (ratio := contrast(theme.accent, PAGES[mode])) < UI_CONTRAST:
            problems.append(
                (
                    f"{path}.accent",
                    f"{theme.accent} on the {mode} page reaches {_ratio(ratio)}:1; controls need {UI_CONTRAST}:1",
                )
            )
    return problems


def _block(values: dict[str, str]) -> str:
    return " ".join(f"{name}: {value};" for name, value in values.items())


def theme_css(theme: Theme) -> str:
    """The custom properties that give the pages this theme, as a stylesheet."""
    own: dict[str, str] = {}
    if theme.accent is not None:
        own |= {"--accent": theme.accent, "--on-accent": on_accent(theme.accent)}
    if theme.font is not None:
        own["--font"] = FONTS[theme.font]
    if theme.radius is not None:
        own["--radius"] = f"{theme.radius}px"
    mode = theme.mode or "light"
    dark = DARK | ({} if theme.accent is not None else DARK_ACCENT)
    lines = [f":root {{ {_block(own)} }}"] if own else []
    if mode == "dark":
        lines.append(f":root {{ {_block(dark)} color-scheme: dark; }}")
    elif mode == "auto":
        lines.append(f"@media (prefers-color-scheme: dark) {{ :root {{ {_block(dark)} color-scheme: dark; }} }}")
    return "\n".join(lines) + "\n"
