"""Which help sessions are held out of suggestions: a fixed draw from the session id."""

from __future__ import annotations

import pytest

from kb.holdout import held_out

SESSIONS = [f"visit-{number}" for number in range(20_000)]


@pytest.mark.parametrize("share", [0.0, -1.0])
def test_no_share_holds_out_nobody(share: float) -> None:
    assert not any(held_out(session, share) for session in SESSIONS[:1000])


def test_a_share_of_one_holds_out_everybody() -> None:
    assert all(held_out(session, 1.0) for session in SESSIONS[:1000])


@pytest.mark.parametrize("share", [0.05, 0.2, 0.5])
def test_about_the_share_of_sessions_is_held_out(share: float) -> None:
    held = sum(held_out(session, share) for session in SESSIONS) / len(SESSIONS)
    # 20,000 draws: the binomial's standard deviation is at most 0.0036.
    assert abs(held - share) < 0.012


def test_a_session_is_held_out_the_same_way_every_time_and_a_smaller_share_is_inside() -> None:
    first = [held_out(session, 0.1) for session in SESSIONS[:2000]]
    assert first == [held_out(session, 0.1) for session in SESSIONS[:2000]]
    smaller = [held_out(session, 0.05) for session in SESSIONS[:2000]]
    assert all(big for big, small in zip(first, smaller, strict=True) if small)
