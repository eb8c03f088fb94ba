"""The author's texts of a definition, found by walking its model, and their translations.

A model declares a text field translatable by putting `TEXT` (one line) or `LONG_TEXT` (line breaks
allowed) in the field's `Annotated[...]`; nothing else is needed: the walk finds every such field in
every model of the definition, however nested, so an element type added later is covered once its
texts carry the marker. A text is named by its path through the definition, list items by their `id`
(options by their `value`): `screens.skin.elements.skin_type.options.dry.label`. A language's
`translations:` entry holds the same nesting (docs/experiences.md, "Languages").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from zeroparty.domain.experience.i18n import LABEL_KEYS, LANGUAGE_TAG, TAG_RULE
from zeroparty.domain.untrusted import definition_text_problem, kind_of, printable

MAX_TRANSLATION = 5000
Path = tuple[str, ...]


@dataclass(frozen=True)
class Translatable:
    """Marks a str field as an author's text shown to respondents. `builtin` names the built-in
    label the field's default stands for (a screen's button left as "Next" shows `next` in each
    language, and needs no translation)."""

    multiline: bool = False
    builtin: str | None = None


TEXT = Translatable()
LONG_TEXT = Translatable(multiline=True)


@dataclass(frozen=True)
class Text:
    path: Path
    value: str
    mark: Translatable


def _mark(info: FieldInfo) -> Translatable | None:
    return next((m for m in info.metadata if isinstance(m, Translatable)), None)


def _item_key(item: BaseModel, index: int) -> str:
    for name in ("id", "value"):
        key = getattr(item, name, None)
        if isinstance(key, str):
            return key
    return str(index)


def _children(model: BaseModel) -> Iterator[tuple[str, str, FieldInfo, Any]]:
    """Each field: its name, its key in the definition (the alias), its declaration and value."""
    for name, info in type(model).model_fields.items():
        yield name, info.alias or name, info, getattr(model, name)


def texts(model: BaseModel, at: Path = ()) -> Iterator[Text]:
    """Every translatable text `model` holds, in the definition's order. A field left at a
    built-in label's default is the label's, not the author's."""
    for _name, key, info, value in _children(model):
        mark = _mark(info)
        if mark is not None and isinstance(value, str):
            if not (mark.builtin is not None and value == info.default):
                yield Text((*at, key), value, mark)
        elif isinstance(value, BaseModel):
            yield from texts(value, (*at, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from texts(item, (*at, key, _item_key(item, index)))


def builtin_texts(model: BaseModel, at: Path = ()) -> Iterator[tuple[Path, str, str]]:
    """The fields left at a built-in label's default: each path, the label it stands for, its text."""
    for _name, key, info, value in _children(model):
        mark = _mark(info)
        if mark is not None and mark.builtin is not None and value == info.default:
            yield (*at, key), mark.builtin, value
        elif isinstance(value, BaseModel):
            yield from builtin_texts(value, (*at, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from builtin_texts(item, (*at, key, _item_key(item, index)))


def flatten(nested: Mapping[str, Any], at: Path = ()) -> dict[Path, Any]:
    """A language's translations as path → text; a non-mapping value ends a path."""
    found: dict[Path, Any] = {}
    for key, value in nested.items():
        if isinstance(value, Mapping):
            found |= flatten(value, (*at, str(key)))
        else:
            found[(*at, str(key))] = value
    return found


def _dotted(path: Path) -> str:
    # Keys come from the author's file: shown escaped, a line break in one cannot split its problem line.
    return ".".join(printable(key) for key in path)


def translation_problems(model: BaseModel, translations: Mapping[str, Any], default: str) -> list[tuple[str, str]]:
    """`path: message` problems of a definition's `translations`: each language a tag, each of the
    author's texts translated in it, nothing translated that the definition does not hold."""
    own = {t.path: t for t in texts(model)}
    problems: list[tuple[str, str]] = []
    for language, given in translations.items():
        at = f"translations.{printable(language)}"
        if LANGUAGE_TAG.fullmatch(language) is None:
            problems.append((at, TAG_RULE))
            continue
        if language == default:
            problems.append(
                (at, f"is the definition's own language ({printable(default)}); its texts need no translation")
            )
            continue
        if not isinstance(given, Mapping):
            problems.append((at, f"must be a mapping of texts, not {kind_of(given)}"))
            continue
        flat = flatten(given)
        problems += [(f"{at}.{_dotted(path)}", "missing") for path in own if path not in flat]
        for path, value in flat.items():
            problems += [(f"{at}.{_dotted(path)}", why) for why in _value_problems(own.get(path), value)]
    return problems


def _value_problems(text: Text | None, value: Any) -> list[str]:
    if text is None:
        return ["is not a text of this experience (see the paths in docs/experiences.md, Languages)"]
    if not isinstance(value, str):
        return [f"must be text, not {kind_of(value)}"]
    if len(value) > MAX_TRANSLATION:
        return [f"must be at most {MAX_TRANSLATION} characters"]
    problem = definition_text_problem(value, multiline=text.mark.multiline, required=True)
    return [problem] if problem else []


def label_problems(labels: Mapping[str, Any], declared: set[str]) -> list[tuple[str, str]]:
    """`path: message` problems of a definition's `labels`: declared languages, built-in keys, texts."""
    problems: list[tuple[str, str]] = []
    for language, given in labels.items():
        at = f"labels.{printable(language)}"
        if language not in declared:
            problems.append((at, f"is not a language of this experience ({printable(', '.join(sorted(declared)))})"))
        elif not isinstance(given, Mapping):
            problems.append((at, f"must be a mapping of labels, not {kind_of(given)}"))
        else:
            for key, value in given.items():
                problems += [(f"{at}.{printable(str(key))}", why) for why in _label_problems(str(key), value)]
    return problems


def _label_problems(key: str, value: Any) -> list[str]:
    if key not in LABEL_KEYS:
        return [f"is not a built-in label; the labels are {', '.join(LABEL_KEYS)}"]
    if not isinstance(value, str):
        return [f"must be text, not {kind_of(value)}"]
    if len(value) > MAX_TRANSLATION:
        return [f"must be at most {MAX_TRANSLATION} characters"]
    problem = definition_text_problem(value, required=True)
    return [problem] if problem else []


def translate(model: BaseModel, table: Mapping[Path, str], at: Path = ()) -> Any:
    """`model` with each text whose path `table` holds replaced (a copy; unchanged parts are shared)."""
    update: dict[str, Any] = {}
    for name, key, info, value in _children(model):
        if _mark(info) is not None and isinstance(value, str) and (*at, key) in table:
            update[name] = table[(*at, key)]
        elif isinstance(value, BaseModel):
            changed = translate(value, table, (*at, key))
            if changed is not value:
                update[name] = changed
        elif isinstance(value, list) and any(isinstance(item, BaseModel) for item in value):
            items = [
                translate(item, table, (*at, key, _item_key(item, i))) if isinstance(item, BaseModel) else item
                for i, item in enumerate(value)
            ]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                update[name] = items
    return model.model_copy(update=update) if update else model
