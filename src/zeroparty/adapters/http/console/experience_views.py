"""What the experience pages show, worked out before rendering: the editor's numbered lines with each
problem under its line, and the analytics charts' bars (each chart has a table of the same numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from zeroparty.domain.experience.funnel import Funnel
from zeroparty.services.analytics import DayCount
from zeroparty.services.publishing import Checked, Problem

BAR_AREA = 340  # the SVG's units a full bar spans (its label and value take the rest of 600)
LABEL_CHARS = 26  # a longer label is cut in the chart; the table beside it has it whole


@dataclass(frozen=True)
class Editor:
    slug: str | None  # None: a new experience
    text: str
    problems: list[Problem] = field(default_factory=list)
    checked: Checked | None = None  # a valid check's result (the forecast), when "Check" was pressed


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    problems: list[Problem]


def editor_lines(page: Editor) -> list[Line]:
    """Each line of the text with the problems found on it; none when there is nothing to say."""
    if not page.problems:
        return []
    by_line: dict[int, list[Problem]] = {}
    for p in page.problems:
        if p.line is not None:
            by_line.setdefault(p.line, []).append(p)
    return [Line(n, text, by_line.get(n, [])) for n, text in enumerate(page.text.split("\n"), start=1)]


@dataclass(frozen=True)
class Bar:
    label: str
    short: str  # the label as the chart shows it
    value: int
    length: float  # in the SVG's units
    cells: tuple[str, ...]  # the table row's other cells


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    headers: tuple[str, ...]  # the table's columns after the label's
    bars: list[Bar]

    @property
    def height(self) -> int:
        return 28 * len(self.bars) + 8

    @property
    def summary(self) -> str:
        return f"{self.title}: " + "; ".join(f"{b.label} {b.value:,}" for b in self.bars)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _step(n: int, before: int) -> str:
    """A funnel step's share of the one before; none when it has more (responses sent to the JSON
    API start without a page load, so starts can outnumber loads)."""
    return _share(n, before) if n <= before else "–"


def _chart(key: str, title: str, headers: tuple[str, ...], rows: Sequence[tuple[str, int, tuple[str, ...]]]) -> Chart:
    top = max((value for _l, value, _c in rows), default=0)
    bars = [
        Bar(
            label,
            label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…",
            value,
            round(BAR_AREA * value / top, 1) if top else 0.0,
            cells,
        )
        for label, value, cells in rows
    ]
    return Chart(key, title, headers, bars)


def chart_rows(funnel: Funnel, days: Sequence[DayCount]) -> list[Chart]:
    stages = [
        ("Loads", funnel.loads),
        ("Starts", funnel.starts),
        ("Completions", funnel.completions),
        ("Emails captured", funnel.emails_captured),
        ("Opted in", funnel.opted_in),
    ]
    reached = sum(funnel.outcomes.values())
    return [
        _chart(
            "funnel",
            "Funnel",
            ("Count", "Of previous"),
            [(name, n, (f"{n:,}", _step(n, stages[i - 1][1]) if i else "")) for i, (name, n) in enumerate(stages)],
        ),
        _chart(
            "dropoff",
            "Drop-off per screen",
            ("Views", "Submits", "Dropped", "Drop-off"),
            [
                (s.id, s.drop_off, (f"{s.views:,}", f"{s.submits:,}", f"{s.drop_off:,}", _share(s.drop_off, s.views)))
                for s in funnel.screens
            ],
        ),
        _chart(
            "outcomes",
            "Outcomes",
            ("Completions", "Share"),
            [(o, n, (f"{n:,}", _share(n, reached))) for o, n in funnel.outcomes.items()],
        ),
        _chart(
            "days",
            "Responses per day (started)",
            ("Started", "Completed"),
            [(d.day.isoformat(), d.started, (f"{d.started:,}", f"{d.completed:,}")) for d in days],
        ),
    ]
