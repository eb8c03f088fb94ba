"""Making an SVG safe: drawing is kept, everything that could run, load or link is dropped and
reported, and what cannot be made safe (entities, no SVG at all) is refused with the reason."""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, fromstring, tostring

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.images import LOGO_SVG
from zeroparty.domain.svg_clean import ATTRIBUTES, ELEMENTS, MAX_DEPTH, SVG_NS, XLINK_NS, SvgRefused, clean_svg

NS = f'xmlns="{SVG_NS}"'


def _svg(inner: str, attributes: str = "") -> bytes:
    return f'<svg {NS} xmlns:xlink="{XLINK_NS}"{attributes}>{inner}</svg>'.encode()


def test_a_drawing_is_kept_as_drawn_with_xlink_href_written_as_href() -> None:
    clean = clean_svg(LOGO_SVG)
    assert clean.removed == ()
    text = clean.data.decode()
    assert text.startswith(f'<svg {NS} viewBox="0 0 10 10">')
    assert '<circle id="c" cx="5" cy="5" r="4" fill="url(#g)"></circle>' in text
    assert '<use href="#c" x="1"></use>' in text and "<title>Logo &amp; mark</title>" in text


@pytest.mark.parametrize(
    ("inner", "attributes", "report"),
    [
        ("<script>alert(1)</script>", "", "1 × <script> element"),
        (
            '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>',
            "",
            "<foreignObject> element",
        ),
        ("", ' onload="alert(1)"', "onload event handler on <svg>"),
        ('<rect onclick="x()" width="1"/>', "", "onclick event handler on <rect>"),
        ('<use href="https://evil.example/a.svg#x"/>', "", "href to something other than #fragment on <use>"),
        ('<use xlink:href="javascript:alert(1)"/>', "", "href to something other than #fragment on <use>"),
        ('<a href="https://evil.example/"><rect width="1"/></a>', "", "<a> element"),
        ('<animate attributeName="href" values="javascript:alert(1)"/>', "", "<animate> element"),
        ('<image href="data:image/png;base64,AAAA"/>', "", "<image> element"),
        (
            '<rect fill="url(https://evil.example/x)" width="1"/>',
            "",
            "fill that loads something or runs script on <rect>",
        ),
        ("<rect style=\"background:url( '//evil.example/x')\"/>", "", "style that loads something"),
        ('<rect style="fill:\\75rl(x)"/>', "", "style that loads something"),
        ("<style>@import 'https://evil.example/x.css';</style>", "", "<style> element that loads something"),
        ("<style>rect { fill: url(http://x/y) }</style>", "", "<style> element that loads something"),
        ('<rect xmlns:i="urn:x" i:label="layer" width="1"/>', "", "attribute of another namespace on <rect>"),
        ('<metadata><rdf xmlns="urn:rdf"/></metadata>', "", "<metadata> element"),
        ('<x:thing xmlns:x="urn:x"/>', "", "element of another namespace"),
    ],
)
def test_active_content_is_dropped_and_reported(inner: str, attributes: str, report: str) -> None:
    clean = clean_svg(_svg(inner, attributes))
    assert any(report in line for line in clean.removed), clean.removed
    text = clean.data.decode().lower()
    for never in ("script", "javascript", "evil", "onload", "onclick", "foreignobject", "import", "<a ", "<image"):
        assert never not in text


def test_fragment_references_and_text_survive_in_style_too() -> None:
    svg = _svg('<style>.a { fill: url(#g); } rect > x {}</style><rect class="a" style="clip-path:url(\'#c\')"/>')
    clean = clean_svg(svg)
    assert clean.removed == ()
    assert "<style>.a { fill: url(#g); } rect &gt; x {}</style>" in clean.data.decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b'<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><svg ' + NS.encode() + b">&b;</svg>",
            "declares XML entities",
        ),
        (
            b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg ' + NS.encode() + b">&x;</svg>",
            "declares XML entities",
        ),
        (b"<svg " + NS.encode() + b"><rect></svg>", "not well-formed XML"),
        (b"<svg><rect/></svg>", "root element must be <svg> in the SVG namespace"),
        (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "found <html> in namespace http://www.w3.org/1999/xhtml"),
        (b'<?xml version="1.0" encoding="no-such-thing"?><svg/>', "SVG"),
        (_svg("<g>" * (MAX_DEPTH + 1) + "</g>" * (MAX_DEPTH + 1)), f"nested deeper than {MAX_DEPTH}"),
    ],
)
def test_what_cannot_be_made_safe_is_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SvgRefused, match=re.escape(reason)):
        clean_svg(data)


def test_a_doctype_without_entities_is_no_reason_to_refuse() -> None:
    doctype = b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    assert clean_svg(doctype + _svg('<rect width="1"/>')).data == clean_svg(_svg('<rect width="1"/>')).data


# Hostile SVGs made of a mix of allowed and forbidden names, hrefs and values.
_NAMES = st.sampled_from(
    sorted(ELEMENTS) + ["script", "foreignObject", "a", "animate", "set", "image", "iframe", "SCRIPT"]
)
_ATTRIBUTE_NAMES = st.sampled_from(
    sorted(ATTRIBUTES) + ["onload", "onclick", "ONmouseover", "href", f"{{{XLINK_NS}}}href", "src", "formaction"]
)
_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "#ok",
            "javascript:alert(1)",
            "jav\tascript:x",
            "https://evil.example/x",
            "//evil.example",
            "url(http://evil.example)",
            "url( '#fine')",
            "url(data:x)",
            "\\75rl(x)",
            "@import 'x'",
            "expression(alert(1))",
            " #frag",
        ]
    ),
)


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> Element:
    node = Element(f"{{{SVG_NS}}}{draw(_NAMES)}" if depth else f"{{{SVG_NS}}}svg")
    for name in draw(st.lists(_ATTRIBUTE_NAMES, max_size=4)):
        node.set(name, draw(_VALUES).replace("\x00", ""))
    node.text = draw(st.one_of(st.none(), _VALUES))
    if depth < 3:
        for child in draw(st.lists(_trees(depth + 1), max_size=3)):
            node.append(child)
    return node


def _legal_xml(text: str) -> str:
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)


def _assert_inert(data: bytes) -> None:
    root = fromstring(data)  # what is written is well-formed XML
    assert root.tag == f"{{{SVG_NS}}}svg"
    for node in root.iter():
        assert node.tag.removeprefix(f"{{{SVG_NS}}}") in ELEMENTS
        for raw, value in node.attrib.items():
            name = raw.replace("{http://www.w3.org/XML/1998/namespace}", "xml:")
            assert name in ATTRIBUTES and not name.lower().startswith("on")
            compact = re.sub(r"\s+", "", value).lower()
            assert "javascript:" not in compact and "\\" not in compact
            assert all(m.group(1) == "#" for m in re.finditer(r"url\(['\"]?(.?)", compact))
            if name == "href":
                assert value.startswith("#")


@given(_trees())
def test_whatever_the_tree_the_output_has_no_script_handlers_or_external_references(tree: Element) -> None:
    for node in tree.iter():
        node.text = _legal_xml(node.text) if node.text else None
        for name, value in list(node.attrib.items()):
            node.set(name, _legal_xml(value))
    clean = clean_svg(tostring(tree))
    _assert_inert(clean.data)
    assert clean_svg(clean.data).data == clean.data  # cleaning what is clean changes nothing
    assert clean_svg(clean.data).removed == ()


@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: (f"<svg {NS}>" + t + "</svg>").encode()))
def test_any_bytes_are_made_safe_or_refused(data: bytes) -> None:
    try:
        clean = clean_svg(data)
    except SvgRefused:
        return
    _assert_inert(clean.data)
