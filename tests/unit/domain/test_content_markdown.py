"""A content element's Markdown becomes HTML that can run nothing: whatever an author writes,
the output holds only the subset's tags, no event handler attribute, and no address but https (or
the pages' own asset path)."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from zeroparty.domain.experience.content import render_content

ALLOWED_TAGS = {"p", "em", "strong", "a", "ul", "ol", "li", "h2", "h3", "h4", "img", "br"}
ASSET = "a" * 64 + ".png"


def _src(ref: str) -> str:
    return "/assets/" + ref.removeprefix("asset:")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def _assert_inert(html: str) -> None:
    assert "<script" not in html.lower()
    for tag, attrs in _tags(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.lower().startswith("on"), html
            if name in ("href", "src"):
                assert (value or "").startswith(("https://", "/assets/")), html
                assert "javascript:" not in (value or "").lower(), html


def test_the_subset_renders_and_headings_start_below_the_pages_title() -> None:
    text = f"# Title\n\nSome *em*, **strong**, [a link](https://example.com).\n\n- one\n- two\n\n![Alt](asset:{ASSET})"
    html = render_content(text, _src)
    assert "<h2>Title</h2>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">a link</a>' in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html and "<li>one</li>" in html
    assert f'<img src="/assets/{ASSET}" alt="Alt">' in html


def test_raw_html_and_unsafe_addresses_are_shown_as_text_or_dropped() -> None:
    text = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
        "[x](javascript:alert(1)) [y](http://example.com) [z](data:text/html,hi) ![i](http://e/x.png)"
    )
    html = render_content(text, _src)
    _assert_inert(html)
    assert "&lt;script&gt;" in html and "y" in html and 'href="http://' not in html


_PIECES = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>",
        "javascript:",
        "JaVaScRiPt:",
        "onload=",
        '"',
        "'",
        "<",
        ">",
        "[",
        "](",
        ")",
        "![",
        "*",
        "_",
        "#",
        "- ",
        "\n",
        "\n\n",
        "https://example.com",
        "http://example.com",
        "asset:" + ASSET,
        "&#106;avascript:",
        "%6Aavascript:",
        "<svg onload=alert(1)>",
        "`",
        "\\",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=30).map("".join))
def test_no_markdown_renders_a_script_a_handler_or_an_unsafe_address(text: str) -> None:
    _assert_inert(render_content(text, _src))
