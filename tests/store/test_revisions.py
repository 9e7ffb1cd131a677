"""Article revisions and flags in a real SQLite database."""

from __future__ import annotations

import pytest
import sqlalchemy

from kb.errors import InvalidInputError, NotFoundError
from kb.store.revisions import FlagStore, RevisionStore, text_digest


def test_revisions_are_numbered_per_article_and_read_back_newest_first(
    engine: sqlalchemy.Engine,
) -> None:
    store = RevisionStore(engine)
    first = store.add("vpn", "one\n", None, "the file before kb's first save")
    second = store.add("vpn", "two\n", "priya@example.com", "added the  macOS\nsteps")
    other = store.add("printer", "p\n", "sam@example.com", "created")

    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert second.digest == text_digest("two\n") and second.message == "added the macOS steps"
    assert second.at.tzinfo is not None
    assert [revision.number for revision in store.history("vpn")] == [2, 1]
    assert store.latest("vpn") == second
    assert store.get("vpn", 1) == first
    assert store.get("vpn", 3) is None and store.latest("nothing") is None
    assert store.history("nothing") == []


def test_flags_stay_open_until_cleared(engine: sqlalchemy.Engine) -> None:
    store = FlagStore(engine)
    wrong = store.add("vpn", "wrong", "  the server name changed ", "priya@example.com")
    store.add("vpn", "outdated", None, "sam@example.com")
    store.add("printer", "outdated", "", "sam@example.com")

    assert wrong.open and wrong.comment == "the server name changed"
    assert {key: len(flags) for key, flags in store.open_flags().items()} == {
        "vpn": 2,
        "printer": 1,
    }
    assert list(store.open_flags(["printer"])) == ["printer"]

    cleared = store.clear(wrong.id, "lead@example.com")
    assert not cleared.open and cleared.cleared_by == "lead@example.com"
    # Clearing twice keeps the first clearing.
    assert store.clear(wrong.id, "other@example.com").cleared_by == "lead@example.com"
    assert [flag.reason for flag in store.open_flags()["vpn"]] == ["outdated"]
    assert len(store.for_article("vpn")) == 2
    assert [flag.reason for flag in store.for_article("vpn", open_only=True)] == ["outdated"]


def test_flags_need_a_known_reason_and_a_short_comment(engine: sqlalchemy.Engine) -> None:
    store = FlagStore(engine)
    with pytest.raises(InvalidInputError, match="wrong, outdated"):
        store.add("vpn", "ugly", None, "priya@example.com")
    with pytest.raises(InvalidInputError, match="under"):
        store.add("vpn", "wrong", "x" * 2001, "priya@example.com")
    with pytest.raises(NotFoundError):
        store.clear(999, "priya@example.com")
