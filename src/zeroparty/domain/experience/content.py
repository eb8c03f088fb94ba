"""A content element's Markdown, as safe HTML: a small subset (paragraphs, emphasis, strong,
lists, headings h2-h4, https links, images by asset name or https URL) and never raw HTML.

markdown-it-py parses it with HTML off, so any tag an author writes is shown as text; each link
and image is then kept only if its address is https (or, for an image, an asset name), and each
link gets `rel="noopener noreferrer"`. A `# heading` becomes h2 (the page's h1 is the screen's
title) and a heading deeper than h4 becomes h4."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

_HTTPS = re.compile(r"^https://[^\s<>\"']+$")
_ASSET = re.compile(r"^asset:[0-9a-f]{64}\.(png|jpg|jpeg|webp|svg)$")
_MD = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False}).enable(
    ["heading", "list", "emphasis", "link", "image", "escape", "newline"]
)
_HEADING_TAGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}
ImageSrc = Callable[[str], str]


def _link_ok(href: str) -> bool:
    return _HTTPS.fullmatch(href) is not None


def _image_ok(src: str) -> bool:
    return _HTTPS.fullmatch(src) is not None or _ASSET.fullmatch(src) is not None


def _inline_tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "inline" and token.children:
            yield from token.children


def content_problems(text: str) -> list[str]:
    """Why links or images in `text` would not be shown: each one that is not https."""
    problems: list[str] = []
    for token in _inline_tokens(_MD.parse(text)):
        if token.type == "link_open" and not _link_ok(str(token.attrGet("href") or "")):
            problems.append(f"link '{token.attrGet('href')}' must be an https:// URL")
        elif token.type == "image" and not _image_ok(str(token.attrGet("src") or "")):
            problems.append(f"image '{token.attrGet('src')}' must be an https:// URL or an asset name")
    return problems


def _kept(children: list[Token], image_src: ImageSrc) -> list[Token]:
    """The inline tokens with unsafe links (their text kept) and images dropped, the others tidied."""
    kept: list[Token] = []
    dropped_links = 0  # link_open tokens dropped whose link_close is still to come
    open_links: list[bool] = []
    for token in children:
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            ok = _link_ok(href)
            open_links.append(ok)
            if not ok:
                dropped_links += 1
                continue
            token.attrs = {"href": href, "rel": "noopener noreferrer"}
        elif token.type == "link_close":
            if open_links and not open_links.pop():
                dropped_links -= 1
                continue
        elif token.type == "image":
            src = str(token.attrGet("src") or "")
            if not _image_ok(src):
                continue
            token.attrs = {"src": image_src(src), "alt": ""}  # the renderer writes the alt text
        kept.append(token)
    return kept


def render_content(text: str, image_src: ImageSrc) -> str:
    """`text` as HTML that holds no script, no event handler and no address but https (and the
    pages' own asset paths, from `image_src`)."""
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _HEADING_TAGS[token.tag]
        elif token.type == "inline" and token.children:
            token.children = _kept(token.children, image_src)
    return str(_MD.renderer.render(tokens, _MD.options, {}))
