"""bench/fuzz.py, shortened: spoilt requests from openapi.json against a real kb serve.

The full run is 5,000 requests (bench/README.md); here 300, seeded, so the suite keeps the
server free of 5xx answers and dropped connections on every kind of spoilt input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_spoilt_requests_get_no_server_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.fuzz", "--requests", "300", "--seed", "3"],
        cwd=REPOSITORY,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["requests"] == 300 and report["server_errors_or_dropped"] == 0
    statuses = {int(status) for status in report["statuses"]}
    # The spoilt requests were refused for what they are, and the others answered.
    assert {200, 400, 404, 405, 413} <= statuses
    assert max(statuses) < 500
