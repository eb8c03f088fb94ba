"""Making an uploaded SVG safe to serve: an allow-list of elements and attributes, written out anew.

SVG is a document format that can run script, load other documents and link away. What is kept is
drawing alone: shapes, paths, text, gradients, patterns, masks, filters and `<use>` of the same
document. Everything else is dropped and reported (script, `<foreignObject>`, `<a>`, animation, event
handlers, any reference that is not `#fragment`, CSS that loads anything). The XML is parsed by
defusedxml with entity declarations and external references refused: what cannot be made safe that
way (an entity bomb, a file-reading entity) is refused whole. The output is re-serialised from the
parsed tree, never patched text, so nothing the parser saw differently from a browser survives.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAX_DEPTH = 64  # deeper nesting is no drawing anyone made by hand or tool; it only costs recursion

_FILTERS = (
    "feBlend feColorMatrix feComponentTransfer feComposite feDropShadow feFlood feFuncA feFuncB feFuncG "
    "feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset feTile feTurbulence"
)
ELEMENTS = frozenset(
    (
        "svg g defs title desc symbol use path rect circle ellipse line polyline polygon text tspan textPath "
        "linearGradient radialGradient stop clipPath mask pattern marker filter style " + _FILTERS
    ).split()
)
_TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath", "title", "desc", "style"})

_ATTRIBUTE_NAMES = """
    id class style lang transform d x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height viewBox
    preserveAspectRatio points pathLength version href xml:space xml:lang role aria-label aria-hidden
    aria-labelledby aria-describedby focusable fill fill-opacity fill-rule stroke stroke-width
    stroke-linecap stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity
    opacity offset stop-color stop-opacity gradientUnits gradientTransform spreadMethod clip-path
    clip-rule clipPathUnits mask maskUnits maskContentUnits patternUnits patternContentUnits
    patternTransform marker-start marker-mid marker-end markerWidth markerHeight markerUnits refX refY
    orient font-family font-size font-weight font-style font-variant font-stretch text-anchor
    dominant-baseline alignment-baseline baseline-shift letter-spacing word-spacing text-decoration
    writing-mode direction dx dy rotate textLength lengthAdjust startOffset visibility display color
    overflow vector-effect paint-order shape-rendering text-rendering image-rendering
    color-interpolation color-interpolation-filters isolation mix-blend-mode filter filterUnits
    primitiveUnits in in2 result stdDeviation mode operator k1 k2 k3 k4 values type tableValues slope
    intercept amplitude exponent flood-color flood-opacity radius baseFrequency numOctaves seed
    stitchTiles media
"""
ATTRIBUTES = frozenset(_ATTRIBUTE_NAMES.split())

_FRAGMENT = re.compile(r"#[A-Za-z_][\w.:-]*")
# Lower-cased, with whitespace removed: a word split by a tab or a line break is still found.
_LOADS_SOMETHING = (
    "javascript:",
    "vbscript:",
    "expression(",
    "@import",
    "image-set(",
    "image(",
    "src(",
    "element(",
    "-moz-binding",
    "behavior:",
    "\\",  # a CSS escape can spell any of the above
)
_URL = re.compile(r"url\(['\"]?(.?)")
_WHITESPACE = re.compile(r"\s+")


class SvgRefused(ValueError):
    """The SVG cannot be made safe (or is no SVG); the message says why."""


@dataclass(frozen=True)
class CleanSvg:
    data: bytes  # UTF-8, what is stored and served
    removed: tuple[str, ...]  # what was dropped, "N × what" for people, in order of first sight


def unsafe_css(value: str) -> bool:
    """Whether CSS (or an attribute value) could load something or run script: anything but
    `url(#fragment)` references, and the constructs above."""
    compact = _WHITESPACE.sub("", value).lower()
    if any(marker in compact for marker in _LOADS_SOMETHING):
        return True
    return any(match.group(1) != "#" for match in _URL.finditer(compact))


def clean_svg(data: bytes) -> CleanSvg:
    """`data` parsed and written out with only what is allowed; raises SvgRefused when it is not
    well-formed XML, declares entities, refers to external ones, is nested too deep or is no SVG."""
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SvgRefused(
            f"SVG declares XML entities or refers to external ones ({type(exc).__name__}): "
            "refused, as they can expand without bound or read other files"
        ) from None
    except ParseError as exc:
        raise SvgRefused(f"SVG is not well-formed XML ({exc})") from None
    except (ValueError, LookupError) as exc:  # an unknown or impossible encoding declaration
        raise SvgRefused(f"SVG cannot be read as XML ({exc})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SvgRefused(f"SVG root element must be <svg> in the SVG namespace ({SVG_NS}); found {_show(root.tag)}")
    writer = _Writer()
    writer.element(root, depth=0, parent_has_text=False)
    removed = tuple(f"{n} × {what}" for what, n in writer.removed.items())
    return CleanSvg("".join(writer.parts).encode("utf-8"), removed)


def _show(tag: str) -> str:
    namespace, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return f"<{local}> in namespace {namespace}" if namespace else f"<{local}> with no namespace"


def _local(tag: str) -> str | None:
    """The SVG element's local name, None when the element is in another namespace (or none)."""
    prefix = f"{{{SVG_NS}}}"
    return tag[len(prefix) :] if tag.startswith(prefix) else None


def _attribute_name(raw: str) -> str:
    if raw.startswith(f"{{{XLINK_NS}}}"):
        return raw[len(XLINK_NS) + 2 :]  # xlink:href is written as SVG 2's plain href
    if raw.startswith(f"{{{XML_NS}}}"):
        return "xml:" + raw[len(XML_NS) + 2 :]
    return raw


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.removed: Counter[str] = Counter()

    def element(self, node: Element, depth: int, parent_has_text: bool) -> None:
        if depth > MAX_DEPTH:
            raise SvgRefused(f"SVG is nested deeper than {MAX_DEPTH} elements")
        name = _local(node.tag) if isinstance(node.tag, str) else None
        if name is None or name not in ELEMENTS:
            self.removed[f"<{name[:40]}> element" if name else "element of another namespace"] += 1
        else:
            self._kept(node, name, depth)
        if parent_has_text and node.tail:
            self.parts.append(escape(node.tail))

    def _kept(self, node: Element, name: str, depth: int) -> None:
        if name == "style" and unsafe_css(node.text or ""):
            self.removed["<style> element that loads something or runs script"] += 1
            return
        attributes = self._attributes(node, name)
        namespace = f' xmlns="{SVG_NS}"' if depth == 0 else ""
        self.parts.append(f"<{name}{namespace}{attributes}>")
        has_text = name in _TEXT_ELEMENTS
        if has_text and node.text:
            self.parts.append(escape(node.text))
        for child in node:
            self.element(child, depth + 1, has_text)
        self.parts.append(f"</{name}>")

    def _attributes(self, node: Element, element: str) -> str:
        kept = []
        for raw, value in node.attrib.items():
            name = _attribute_name(raw)
            if name.startswith("{"):  # editors' metadata (inkscape:, sodipodi:) and the like
                self.removed[f"attribute of another namespace on <{element}>"] += 1
            elif name not in ATTRIBUTES:
                what = "event handler" if name.lower().startswith("on") else "attribute"
                self.removed[f"{name[:40]} {what} on <{element}>"] += 1
            elif name == "href" and not _FRAGMENT.fullmatch(value.strip()):
                self.removed[f"href to something other than #fragment on <{element}>"] += 1
            elif unsafe_css(value):
                self.removed[f"{name} that loads something or runs script on <{element}>"] += 1
            else:
                entities = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
                kept.append(f' {name}="{escape(value.strip() if name == "href" else value, entities)}"')
        return "".join(kept)
