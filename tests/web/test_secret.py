"""The cookie key: one per KB home, whichever workers start first (issue 10, item 1)."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest

from kb.errors import ConfigError
from kb.web.secret import SECRET_FILE, stored_secret

TRIALS = 100
PROCESSES = 3


def race(root: Path, barrier: Any, results: Any) -> None:
    """Run in each process: for every fresh home, wait for the others, then read the key."""
    for trial in range(TRIALS):
        barrier.wait()
        results.put((trial, os.getpid(), stored_secret(root / f"home-{trial}")))


def test_workers_starting_together_on_a_fresh_home_share_one_key(tmp_path: Path) -> None:
    # Separate interpreters (spawn), as gunicorn's workers are separate processes.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=race, args=(tmp_path, barrier, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    keys: dict[int, set[str]] = {}
    for _ in range(TRIALS * PROCESSES):
        trial, _pid, key = results.get(timeout=120)
        keys.setdefault(trial, set()).add(key)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    differing = [trial for trial, found in keys.items() if len(found) != 1]
    assert differing == [], f"{len(differing)} of {TRIALS} fresh homes got more than one key"
    for trial, found in keys.items():
        home = tmp_path / f"home-{trial}"
        assert (home / SECRET_FILE).read_text() == found.pop()
        assert (home / SECRET_FILE).stat().st_mode & 0o777 == 0o600
        assert [path.name for path in home.iterdir()] == [SECRET_FILE]  # no drafts left


def test_the_key_survives_restarts_and_a_broken_one_is_named(tmp_path: Path) -> None:
    first = stored_secret(tmp_path / "home")
    assert stored_secret(tmp_path / "home") == first and len(first) == 64
    (tmp_path / "home" / SECRET_FILE).write_text("\n")
    with pytest.raises(ConfigError, match="holds no usable key; delete it"):
        stored_secret(tmp_path / "home")
