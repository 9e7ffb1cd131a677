"""The content gaps readout: what requesters asked that the knowledge base did not answer,
grouped by meaning and ranked by the sessions it cost. Pure.

kb.insights.gap_activity finds the gaps' texts in SQL (DESIGN.md: a search or request with
no confident answer, or followed by a ticket) with the sessions they cost. Here the
spellings of one text are put together, the texts are grouped by meaning on the engine's
embeddings (kb.insights.clustering, average linkage), groups close to a dismissed gap are
left out, and the rest are ranked.

The grouping's cosine distance, 0.45, was measured on stackfaq-dev's 625 paraphrased
questions (125 meanings: the questions with the same relevant answers) with the engine's
all-MiniLM-L6-v2: pairs put together that share a meaning (precision) 0.82, pairs sharing a
meaning that were put together (recall) 0.86, F1 0.84, the best of 0.2 to 0.6 (0.40: 0.88 and
0.73; 0.50: 0.64 and 0.93). Near-identical searches always share a row; different questions
about one product mostly do not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from kb.insights.clustering import by_centrality, cluster_vectors
from kb.insights.readout import Chart, Column, Filters, Number, Period, Readout, Table
from kb.insights.searches import query_key
from kb.insights.wording import Text

GAP_DISTANCE = 0.45
# Texts of a gap shown as its examples, its own first.
EXAMPLES = 4
# The distinct texts grouped at most, those that cost the most sessions first: embedding is
# the slow part, and a long tail of one-off texts changes no ranking at the top.
MAX_TEXTS = 2_000


@dataclass(frozen=True)
class GapRow:
    """One text's gaps in one session, counted in SQL."""

    text: str
    session_id: str
    language: str | None
    category: str | None
    occurrences: int
    searches: int
    lost: bool
    ticketed: bool
    first: datetime
    last: datetime


@dataclass(frozen=True)
class GapText:
    """One text, its spellings put together (case and spacing aside), over every session."""

    text: str
    occurrences: int
    searches: int
    sessions: frozenset[str]
    lost: frozenset[str]
    ticketed: frozenset[str]
    first: datetime
    last: datetime
    languages: Mapping[str, int]
    categories: Mapping[str, int]


def gap_texts(rows: Iterable[GapRow]) -> list[GapText]:
    """The texts, those that cost the most sessions first (then occurrences, then text)."""
    grouped: dict[str, list[GapRow]] = {}
    for row in rows:
        key = query_key(row.text)
        if key:
            grouped.setdefault(key, []).append(row)
    texts = [_text(members) for members in grouped.values()]
    return sorted(texts, key=lambda text: (-len(text.lost), -text.occurrences, text.text))


def _text(rows: Sequence[GapRow]) -> GapText:
    spellings: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for row in rows:
        spellings[" ".join(row.text.split())] += row.occurrences
        if row.language:
            languages[row.language] += row.occurrences
        if row.category:
            categories[row.category] += row.occurrences
    return GapText(
        text=_most(spellings),
        occurrences=sum(row.occurrences for row in rows),
        searches=sum(row.searches for row in rows),
        sessions=frozenset(row.session_id for row in rows),
        lost=frozenset(row.session_id for row in rows if row.lost),
        ticketed=frozenset(row.session_id for row in rows if row.ticketed),
        first=min(row.first for row in rows),
        last=max(row.last for row in rows),
        languages=dict(languages),
        categories=dict(categories),
    )


def _most(counts: Mapping[str, int]) -> str:
    """The most counted key; of equal counts, the first in order."""
    return min(counts, key=lambda key: (-counts[key], key))


@dataclass(frozen=True)
class Gap:
    """Texts close in meaning: `text` is the one that cost the most; `examples` are the first
    EXAMPLES of them, `text` first, then by the sessions they cost."""

    text: str
    examples: tuple[str, ...]
    texts: int
    occurrences: int
    searches: int
    # The sessions that met it, those it lost and those that filed a ticket after it.
    session_ids: frozenset[str]
    lost_ids: frozenset[str]
    ticketed_ids: frozenset[str]
    first: datetime
    last: datetime
    languages: tuple[str, ...]
    categories: tuple[str, ...]

    @property
    def requests(self) -> int:
        return self.occurrences - self.searches

    @property
    def sessions(self) -> int:
        return len(self.session_ids)

    @property
    def lost(self) -> int:
        return len(self.lost_ids)

    @property
    def ticketed(self) -> int:
        return len(self.ticketed_ids)


def group_gaps(
    texts: Sequence[GapText],
    vectors: NDArray[np.float32],
    dismissed: NDArray[np.float32],
    threshold: float = GAP_DISTANCE,
) -> list[Gap]:
    """The texts (one unit vector each) grouped by meaning, ranked by sessions lost (then
    sessions, occurrences and text). A group is left out when any of its texts lies within
    `threshold` (cosine distance) of a dismissed gap's vector."""
    if len(texts) != len(vectors):
        raise ValueError("give one vector per text")
    if not texts:
        return []
    clustered = cluster_vectors(vectors, threshold=threshold, min_size=2)
    grouped = {row for rows in clustered for row in rows}
    groups = [*clustered, *((row,) for row in range(len(texts)) if row not in grouped)]
    near: NDArray[np.bool_] = np.zeros(len(texts), dtype=bool)
    if len(dismissed):
        near = (np.asarray(vectors) @ np.asarray(dismissed).T).max(axis=1) >= 1.0 - threshold
    found = [
        _gap([texts[row] for row in _ordered(texts, vectors, rows)])
        for rows in groups
        if not any(near[row] for row in rows)
    ]
    return sorted(found, key=lambda gap: (-gap.lost, -gap.sessions, -gap.occurrences, gap.text))


def _ordered(
    texts: Sequence[GapText], vectors: NDArray[np.float32], rows: Sequence[int]
) -> list[int]:
    """A group's rows from the text that cost the most sessions; ties by typicality."""
    typical = {row: place for place, row in enumerate(by_centrality(vectors, rows))}
    return sorted(
        rows, key=lambda row: (-len(texts[row].lost), -texts[row].occurrences, typical[row])
    )


def _gap(members: Sequence[GapText]) -> Gap:
    languages: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for member in members:
        languages.update(member.languages)
        categories.update(member.categories)
    return Gap(
        text=members[0].text,
        examples=tuple(member.text for member in members[:EXAMPLES]),
        texts=len(members),
        occurrences=sum(member.occurrences for member in members),
        searches=sum(member.searches for member in members),
        session_ids=frozenset().union(*(member.sessions for member in members)),
        lost_ids=frozenset().union(*(member.lost for member in members)),
        ticketed_ids=frozenset().union(*(member.ticketed for member in members)),
        first=min(member.first for member in members),
        last=max(member.last for member in members),
        languages=_by_count(languages),
        categories=_by_count(categories),
    )


def _by_count(counts: Counter[str]) -> tuple[str, ...]:
    return tuple(sorted(counts, key=lambda key: (-counts[key], key)))


@dataclass(frozen=True)
class GapSummary:
    """A period's gaps, and totals over their sessions (each session counted once)."""

    gaps: tuple[Gap, ...]
    # Texts not grouped: past the MAX_TEXTS that cost the most.
    left_out: int = 0

    @property
    def sessions(self) -> int:
        return len(frozenset().union(*(gap.session_ids for gap in self.gaps)))

    @property
    def lost(self) -> int:
        return len(frozenset().union(*(gap.lost_ids for gap in self.gaps)))

    @property
    def ticketed(self) -> int:
        return len(frozenset().union(*(gap.ticketed_ids for gap in self.gaps)))


@dataclass(frozen=True)
class DismissedGap:
    id: int
    text: str
    dismissed_by: str
    dismissed_at: datetime


GAP_COLUMNS = (
    Column("gap", Text("Gap")),
    Column("examples", Text("Examples")),
    Column("lost", Text("Sessions lost"), "count"),
    Column("sessions", Text("Sessions"), "count"),
    Column("ticketed", Text("Sessions that filed a ticket"), "count"),
    Column("searches", Text("Searches"), "count"),
    Column("requests", Text("Requests"), "count"),
    Column("texts", Text("Different texts"), "count"),
    Column("languages", Text("Languages")),
    Column("categories", Text("Categories")),
    Column("first", Text("First"), "time"),
    Column("last", Text("Last"), "time"),
)


def gaps_readout(
    period: Period,
    filters: Filters,
    current: GapSummary,
    previous: GapSummary,
    dismissed: Sequence[DismissedGap],
    generated: datetime | None = None,
) -> Readout:
    """The gaps of the period, ranked, beside the previous period's totals, and the
    dismissed gaps."""
    rows = tuple(
        {
            "gap": gap.text,
            "examples": gap.examples,
            "lost": gap.lost,
            "sessions": gap.sessions,
            "ticketed": gap.ticketed,
            "searches": gap.searches,
            "requests": gap.requests,
            "texts": gap.texts,
            "languages": gap.languages,
            "categories": gap.categories,
            "first": gap.first,
            "last": gap.last,
        }
        for gap in current.gaps
    )
    numbers = (
        Number(
            "gaps",
            Text("Content gaps"),
            len(current.gaps),
            len(previous.gaps),
            note=Text(
                "Searches and requests close in meaning count as one; dismissed gaps do not."
            ),
        ),
        Number(
            "sessions_lost",
            Text("Sessions lost to gaps"),
            current.lost,
            previous.lost,
            note=Text(
                "Sessions that filed a ticket after a gap, or opened nothing and confirmed "
                "nothing after it."
            ),
        ),
        Number(
            "gap_sessions", Text("Sessions that met a gap"), current.sessions, previous.sessions
        ),
        Number(
            "ticketed",
            Text("Sessions that filed a ticket after a gap"),
            current.ticketed,
            previous.ticketed,
        ),
    )
    notes = []
    if current.left_out:
        notes.append(
            Text(
                "%(left_out)s texts that cost fewer sessions were not grouped or counted (at "
                "most %(most)s are): choose a shorter period or a filter to see them.",
                left_out=current.left_out,
                most=MAX_TEXTS,
            )
        )
    if not current.gaps:
        notes.append(
            Text(
                "No content gaps in this period. Searches and requests with no confident "
                "answer, or after which a ticket was filed, appear here grouped by meaning."
            )
        )
    tables = (
        Table(
            key="gaps",
            title=Text("Content gaps"),
            columns=GAP_COLUMNS,
            rows=rows,
            empty=Text("Searches and requests the knowledge base did not answer appear here."),
            note=Text(
                "Ranked by the sessions they cost; a dismissed gap, and those close to it in "
                "meaning, are left out from then on."
            ),
        ),
        dismissed_table(dismissed),
    )
    return Readout(
        report="gaps",
        title=Text("Content gaps"),
        period=period,
        filters=filters,
        numbers=numbers,
        tables=tables,
        charts=(
            Chart("gaps_lost", Text("Sessions lost to gaps"), "bar", "gaps", "gap", ("lost",)),
        ),
        notes=tuple(notes),
        generated=generated,
    )


def dismissed_table(dismissed: Sequence[DismissedGap]) -> Table:
    """The dismissed gaps, newest first as given: the gaps report's last table, and what
    `kb report gaps --dismissed` lists."""
    return Table(
        key="dismissed",
        title=Text("Dismissed gaps"),
        columns=(
            Column("id", Text("Number"), "count"),
            Column("gap", Text("Gap")),
            Column("dismissed_by", Text("Dismissed by")),
            Column("dismissed_at", Text("Dismissed"), "time"),
        ),
        rows=tuple(
            {
                "id": item.id,
                "gap": item.text,
                "dismissed_by": item.dismissed_by,
                "dismissed_at": item.dismissed_at,
            }
            for item in dismissed
        ),
        empty=Text("Gaps a manager dismisses appear here, and searches like them are left out."),
    )
