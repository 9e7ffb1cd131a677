"""Thresholds saved in the database: over the settings, with who and when, seen by every engine."""

from __future__ import annotations

import pytest
import sqlalchemy

from kb.config import Settings
from kb.errors import InvalidInputError
from kb.store.database import create_engine_for
from kb.store.thresholds import Thresholds, ThresholdStore


def test_unchanged_thresholds_are_the_settings(engine: sqlalchemy.Engine) -> None:
    settings = Settings(show_threshold=0.25, confident_threshold=0.7)
    store = ThresholdStore(engine, settings)
    assert store.current() == Thresholds(0.25, 0.7, settings.known_issue_threshold)
    assert store.history() == []


def test_a_change_is_kept_with_who_and_when_and_seen_by_another_engine(
    engine: sqlalchemy.Engine, database_url: str
) -> None:
    first = ThresholdStore(engine, Settings())
    other_engine = create_engine_for(database_url)
    try:
        other = ThresholdStore(other_engine, Settings())
        assert other.current().show_threshold == 0.3
        first.change("show_threshold", 0.45, "ada@example.com")
        first.change("confident_threshold", 0.8, "ada@example.com")
        first.change("show_threshold", 0.4, "grace@example.com")
        assert other.current() == Thresholds(0.4, 0.8, 0.6)
        history = other.history()
        assert [(c.name, c.value, c.changed_by) for c in history] == [
            ("show_threshold", 0.4, "grace@example.com"),
            ("confident_threshold", 0.8, "ada@example.com"),
            ("show_threshold", 0.45, "ada@example.com"),
        ]
        assert history[0].changed_at >= history[-1].changed_at
        assert history[0].changed_at.tzinfo is not None
        assert other.defaults() == Thresholds(0.3, 0.6, 0.6)
    finally:
        other_engine.dispose()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("semantic_weight", 0.5, "is not a threshold"),
        ("show_threshold", 1.5, "between 0 and 1"),
        ("show_threshold", -0.1, "between 0 and 1"),
        ("confident_threshold", True, "must be a number"),
        ("confident_threshold", "0.5", "must be a number"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    engine: sqlalchemy.Engine, name: str, value: object, says: str
) -> None:
    store = ThresholdStore(engine, Settings())
    with pytest.raises(InvalidInputError, match=says):
        store.change(name, value, "ada@example.com")  # type: ignore[arg-type]
    assert store.history() == [] and store.current() == store.defaults()


def test_a_change_needs_who_made_it(engine: sqlalchemy.Engine) -> None:
    with pytest.raises(InvalidInputError, match="who changes"):
        ThresholdStore(engine, Settings()).change("show_threshold", 0.5, "  ")


def test_several_changes_are_saved_together_by_one_admin_at_one_time(
    engine: sqlalchemy.Engine,
) -> None:
    store = ThresholdStore(engine, Settings())
    saved = store.change_all(
        {"show_threshold": 0.35, "confident_threshold": 0.7}, " ada@example.com "
    )
    assert store.current() == Thresholds(0.35, 0.7, 0.6)
    assert [(c.name, c.value, c.changed_by) for c in saved] == [
        ("show_threshold", 0.35, "ada@example.com"),
        ("confident_threshold", 0.7, "ada@example.com"),
    ]
    assert saved[0].changed_at == saved[1].changed_at
    assert {c.name for c in store.history()} == {"show_threshold", "confident_threshold"}


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"show_threshold": 0.35, "confident_threshold": 2}, "between 0 and 1"),
        ({"show_threshold": 0.35, "confident_threshold": float("nan")}, "between 0 and 1"),
        ({"show_threshold": 0.35, "holdout_share": 0.1}, "is not a threshold"),
        ({}, "give a new value"),
    ],
)
def test_one_bad_value_saves_none_of_them(
    engine: sqlalchemy.Engine, values: dict[str, float], says: str
) -> None:
    store = ThresholdStore(engine, Settings())
    with pytest.raises(InvalidInputError, match=says):
        store.change_all(values, "ada@example.com")
    assert store.history() == [] and store.current() == store.defaults()


def test_the_change_in_force_of_each_threshold_however_many_came_after(
    engine: sqlalchemy.Engine,
) -> None:
    store = ThresholdStore(engine, Settings())
    store.change("confident_threshold", 0.75, "ada@example.com")
    for step in range(25):
        store.change("show_threshold", step / 100, "grace@example.com")
    last = store.last_changes()
    # Past the 20 changes history() lists, the confident threshold's change is still known.
    assert "confident_threshold" not in {change.name for change in store.history()}
    assert (last["confident_threshold"].value, last["confident_threshold"].changed_by) == (
        0.75,
        "ada@example.com",
    )
    assert last["show_threshold"].value == 0.24
    assert "known_issue_threshold" not in last
