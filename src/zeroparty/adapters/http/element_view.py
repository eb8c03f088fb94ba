"""What the screen template needs to show the element types beyond plain inputs: a choice's
options in their shown order (shuffled per response), which are checked and what was typed for
"other"; a scale's points; a content element's HTML. The template macros are in
`templates/elements.html`."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from zeroparty.adapters.http.outcome_view import image_src
from zeroparty.domain.experience.choices import OTHER, MultiChoice, Option, SingleChoice, is_other_text, shuffled
from zeroparty.domain.experience.content import render_content
from zeroparty.domain.experience.elements import Content
from zeroparty.domain.experience.model import Screen

# The form field holding the text typed for an element's "other" choice: `{id}.other` (a dot is
# never in an element id, so it names no element).
OTHER_SUFFIX = ".other"
# The hidden field carrying the first screen's shuffle seed: there is no response id to draw the
# order from until that screen is stored, and an error shown again must keep the order.
ORDER_FIELD = "zp_order"
_SEED = re.compile(r"^[0-9a-f]{16}$")


def order_seed(response_id: str | None, given: str | None = None) -> str:
    """The seed options are shuffled with: the response's id, else the form's seed, else a new one."""
    if response_id is not None:
        return response_id
    return given if given is not None and _SEED.fullmatch(given) else secrets.token_hex(8)


@dataclass(frozen=True)
class ChoiceView:
    options: list[Option]
    images: dict[str, str]  # option value -> the image's src
    checked: frozenset[str]
    other_checked: bool
    other_text: str
    other_wanting: bool  # "other" picked, its text missing or too long: a problem is about the box


def _choice(el: SingleChoice | MultiChoice, value: Any, seed: str) -> ChoiceView:
    given = value if isinstance(value, list) else [] if value is None else [value]
    typed = [v for v in given if isinstance(v, str) and (v == OTHER or is_other_text(el, v))]
    options = shuffled(el.options, seed, el.id) if el.shuffle else list(el.options)
    text = next((v for v in typed if v != OTHER), "")
    return ChoiceView(
        options=options,
        images={o.value: image_src(o.image) for o in options if o.image is not None},
        checked=frozenset(v for v in given if isinstance(v, str) and v in el.option_values()),
        other_checked=el.other is not None and bool(typed),
        other_text=text,
        other_wanting=el.other is not None and bool(typed) and (not text.strip() or len(text) > el.other.max_length),
    )


def element_views(screen: Screen, values: Mapping[str, Any], seed: str) -> dict[str, Any]:
    """Per element id, what its macro shows beyond the element itself."""
    views: dict[str, Any] = {}
    for el in screen.elements:
        if isinstance(el, SingleChoice | MultiChoice):
            views[el.id] = _choice(el, values.get(el.id), seed)
        elif isinstance(el, Content):
            views[el.id] = content_html(el.text)
    return views


@lru_cache(maxsize=256)
def content_html(text: str) -> Markup:
    """A content element's text as HTML, rendered once per text (a published text never changes)."""
    # Sanitised by render_content: raw HTML is never passed through (domain.experience.content).
    return Markup(render_content(text, image_src))


def error_targets(views: Mapping[str, Any]) -> dict[str, str]:
    """The controls problems link to where that is not the element's first (`in-{id}`)."""
    return {
        element_id: f"in-{element_id}-other-text"
        for element_id, view in views.items()
        if isinstance(view, ChoiceView) and view.other_wanting
    }


def other_value(choice: str, typed: str | None) -> str:
    """The answer a form gives for a picked "other" choice: its text, or `other` when none was typed
    (refused as such, naming the box to fill)."""
    return typed.strip() if typed is not None and typed.strip() else choice
