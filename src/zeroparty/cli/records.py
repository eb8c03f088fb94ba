"""Printing a listing so that it reads at any width, 80 columns and a pipe included.

A listing is a list of records with the same fields. It prints as a table when the table fits the
console whole, else as one block per record: the first field on a line of its own, then one
`label  value` line per other field. Values a user copies (ids, names, URLs) are never cut or
wrapped; other text wraps at word boundaries. Every listing also has `--json` for machines."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.table import Column, Table

from zeroparty.cli.common import out, plain

INDENT = "  "
EMPTY = "–"
_TABLE_EDGES = 1  # the left border; each column adds its right border and one space either side
_PER_COLUMN = 3
_COMFORTABLE = 16  # a wrapping column narrower than this (or its longest word) reads badly


@dataclass(frozen=True)
class Field:
    label: str
    whole: bool = False  # copied by users (an id, a name, a URL): never cut, never wrapped
    number: bool = False  # right-aligned in a table


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _narrowest(field: Field, values: Sequence[str]) -> int:
    """The least width the column can have with every value readable (whole values whole)."""
    if field.whole:
        return max(cell_len(v) for v in [field.label, *values])
    widest = max(cell_len(v) for v in [field.label, *values])
    longest_word = max(_longest_word(v) for v in [field.label, *values])
    return max(longest_word, min(widest, _COMFORTABLE))


def table_width(fields: Sequence[Field], rows: Sequence[Sequence[str]]) -> int:
    """The least width a table of `rows` needs without cutting anything."""
    narrowest = [_narrowest(f, [row[i] for row in rows]) for i, f in enumerate(fields)]
    return sum(narrowest) + _PER_COLUMN * len(fields) + _TABLE_EDGES


def _table(fields: Sequence[Field], rows: Sequence[Sequence[str]]) -> Table:
    columns = [
        Column(
            f.label,
            no_wrap=f.whole,
            min_width=_narrowest(f, [row[i] for row in rows]) if f.whole else None,
            justify="right" if f.number else "left",
        )
        for i, f in enumerate(fields)
    ]
    table = Table(*columns)
    for row in rows:
        table.add_row(*(plain(value) for value in row))
    return table


def block_lines(fields: Sequence[Field], row: Sequence[str], width: int) -> list[str]:
    """One record as lines: its first value alone, then each other field, its value wrapped
    under itself at whole words (a word longer than the line stays whole)."""
    label_width = max(cell_len(f.label) for f in fields[1:]) if len(fields) > 1 else 0
    lines = [row[0]]
    for field, value in zip(fields[1:], row[1:], strict=True):
        head = f"{INDENT}{field.label:<{label_width}}  "
        text = value or EMPTY
        wrapped = (
            [text]
            if field.whole
            else textwrap.wrap(
                text,
                width=max(width - len(head), 20),
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        lines.append(head + wrapped[0])
        lines += [" " * len(head) + more for more in wrapped[1:]]
    return lines


def show(fields: Sequence[Field], rows: Sequence[Sequence[str]], *, table: bool = True, note: str = "") -> None:
    """Print `rows` as a table if `table` and it fits the console, else one block per row; then
    `note`, if any (after a blank line below blocks)."""
    width = out.width
    if table and table_width(fields, rows) <= width:
        out.print(_table(fields, rows))
    else:
        blocks = ["\n".join(block_lines(fields, row, width)) for row in rows]
        out.print(plain("\n\n".join(blocks) + ("\n" if note else "")), highlight=False)
    if note:
        say(note)


def say(text: str) -> None:
    """A sentence on stdout, wrapped at whole words to the console's width."""
    wrapped = textwrap.wrap(text, width=out.width, break_long_words=False, break_on_hyphens=False)
    out.print(plain("\n".join(wrapped)), highlight=False)
