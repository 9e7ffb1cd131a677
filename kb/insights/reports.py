"""Insights: the managers' reports, each a method `(period, filters) -> Readout`.

Each method reads its period and the previous one of the same length from the store (SQL in
kb.insights.session_rollups, kb.insights.activity and the report's own module) and hands the rows
to its report's pure functions; pages, the JSON API and `kb report` only present readouts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy

from kb.config import Settings
from kb.errors import NotFoundError
from kb.insights.activity import portal_activity, tickets_by_bucket
from kb.insights.article_activity import article_activity, comments, open_flags
from kb.insights.articles import articles_readout
from kb.insights.calibration import calibration_readout
from kb.insights.calibration_rows import calibration_inputs
from kb.insights.content_gaps import ContentGaps
from kb.insights.gaps import gaps_readout
from kb.insights.holdout import holdout_readout
from kb.insights.metrics import trend_buckets
from kb.insights.overview import figures, overview_readout, trend
from kb.insights.problems import ProblemCandidates, problems_readout
from kb.insights.readout import Filters, Period, Readout
from kb.insights.search_activity import search_counts
from kb.insights.searches import searches_readout
from kb.insights.session_rollups import holdout_tallies, outcome_tallies
from kb.model import Article
from kb.store.problems import ProblemStore
from kb.store.thresholds import ThresholdStore

# The reports, in the order pages and `kb report` list them; each is the Insights method of
# the same name.
REPORTS = ("overview", "searches", "gaps", "articles", "problems", "calibration", "holdout")
# The thresholds the calibration readout judges: those compared with deflection probabilities
# (known_issue_threshold is a cosine to an announced problem, not a probability).
CALIBRATED_THRESHOLDS = ("show_threshold", "confident_threshold")


def _now() -> datetime:
    return datetime.now(UTC)


class Insights:
    """The managers' reports over one store. `clock` says what time it is (tests fix it)."""

    def __init__(
        self,
        engine: sqlalchemy.Engine,
        settings: Settings,
        candidates: ProblemCandidates,
        problems: ProblemStore,
        articles: Callable[[], Sequence[Article]],
        gaps: ContentGaps,
        clock: Callable[[], datetime] = _now,
        thresholds: ThresholdStore | None = None,
    ) -> None:
        """`articles` lists the KB's articles as their files are now (the article report
        shows each one's title, category, audience and dates); `gaps` reads content gaps
        and keeps the dismissed ones; `thresholds` are the portal's (by default a store over
        the same database and settings)."""
        self._engine = engine
        self._settings = settings
        self._candidates = candidates
        self._problems = problems
        self._articles = articles
        self.content_gaps = gaps
        self._clock = clock
        self._thresholds = thresholds or ThresholdStore(engine, settings)

    def today(self) -> date:
        """Today in UTC: where a period given as "the last N days" ends."""
        return self._clock().astimezone(UTC).date()

    def readout(self, report: str, period: Period, filters: Filters) -> Readout:
        """The readout of the report named `report` (one of REPORTS)."""
        if report not in REPORTS:
            raise NotFoundError(
                f"there is no report {report!r}; choose one of {', '.join(REPORTS)}"
            )
        method: Callable[[Period, Filters], Readout] = getattr(self, report)
        return method(period, filters)

    @property
    def _window(self) -> timedelta:
        return timedelta(hours=self._settings.deflection_window_hours)

    def overview(self, period: Period, filters: Filters) -> Readout:
        """Help sessions, deflection, tickets, self-service score, KCS link rate, hours saved."""
        now = self._clock()
        before = period.previous()
        buckets = trend_buckets(period.since, period.until)
        edges = [(Period(first, last).start, Period(first, last).end) for first, last in buckets]
        # The previous period ends where this one starts: one reading of the roll-up for both.
        previous, *by_bucket = outcome_tallies(
            self._engine, [(before.start, before.end), *edges], filters, self._window, now
        )
        current: Counter[str | None] = Counter()
        for tally in by_bucket:
            current.update(tally)
        points = trend(buckets, by_bucket, tickets_by_bucket(self._engine, edges, filters))
        return overview_readout(
            period,
            filters,
            figures(current, portal_activity(self._engine, period.start, period.end, filters)),
            figures(previous, portal_activity(self._engine, before.start, before.end, filters)),
            points,
            minutes_per_ticket=self._settings.minutes_per_ticket,
            window=self._window,
            generated=now,
        )

    def searches(self, period: Period, filters: Filters) -> Readout:
        """Top searches; those with no confident answer, no click or a ticket after them;
        click-through, overall and by language."""
        before = period.previous()
        return searches_readout(
            period,
            filters,
            search_counts(self._engine, period.start, period.end, filters),
            search_counts(self._engine, before.start, before.end, filters),
            self._clock(),
        )

    def gaps(self, period: Period, filters: Filters) -> Readout:
        """Searches and requests that went unanswered, grouped by meaning, ranked by the
        sessions they cost; the dismissed gaps."""
        before = period.previous()
        return gaps_readout(
            period,
            filters,
            self.content_gaps.summary(period.start, period.end, filters),
            self.content_gaps.summary(before.start, before.end, filters),
            self.content_gaps.dismissed(),
            self._clock(),
        )

    def articles(self, period: Period, filters: Filters) -> Readout:
        """Per article: views, votes, "this solved it", same-problem tickets, suggestions,
        predicted against observed success, dates and flags; the period's comments."""
        before = period.previous()
        return articles_readout(
            period,
            filters,
            self._articles(),
            article_activity(self._engine, period.start, period.end),
            article_activity(self._engine, before.start, before.end),
            open_flags(self._engine),
            comments(self._engine, period.start, period.end),
            self._clock(),
        )

    def holdout(self, period: Period, filters: Filters) -> Readout:
        """True deflection: held-out against treated sessions' ticket rates. Every session
        is counted whatever the filters (kb.insights.holdout says why)."""
        now = self._clock()
        counts = [
            holdout_tallies(self._engine, chosen.start, chosen.end, self._window, now)
            for chosen in (period, period.previous())
        ]
        return holdout_readout(
            period,
            filters,
            counts[0],
            counts[1],
            self._settings.holdout_share,
            self._window,
            now,
        )

    def problems(self, period: Period, filters: Filters) -> Readout:
        """Recurring incidents grouped by meaning, and the problem records."""
        current, previous = (
            self._candidates.report(
                chosen.start, chosen.end, category=filters.category, language=filters.language
            )
            for chosen in (period, period.previous())
        )
        records = self._problems.find()
        return problems_readout(
            period,
            filters,
            current,
            previous,
            records,
            self._problems.joined([problem.number for problem in records]),
            self._clock(),
        )

    def calibration(self, period: Period, filters: Filters) -> Readout:
        """Deflection probabilities against what happened, and what each threshold keeps,
        with the thresholds in force and who changed them."""
        now = self._clock()
        current, previous = (
            calibration_inputs(self._engine, chosen.start, chosen.end, filters, self._window, now)
            for chosen in (period, period.previous())
        )
        store = self._thresholds
        in_force, defaults = store.current(), store.defaults()
        return calibration_readout(
            period,
            filters,
            current,
            previous,
            {name: getattr(in_force, name) for name in CALIBRATED_THRESHOLDS},
            {name: getattr(defaults, name) for name in CALIBRATED_THRESHOLDS},
            [change for change in store.history() if change.name in CALIBRATED_THRESHOLDS],
            store.last_changes(),
            now,
        )
