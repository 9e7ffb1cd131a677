"""Browser fixtures: the portal on a real HTTP server and Debian's Chromium driven by Playwright.

Playwright's own browser download (`playwright install`) is never used: the tests drive the
system Chromium at /usr/bin/chromium. Without it they skip locally and fail on CI.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Playwright, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Small /dev/shm in containers crashes renderers; Chromium then uses /tmp instead.
    "--disable-dev-shm-usage",
]
MISSING = "Chromium not installed: apt-get install -y chromium (CI installs it)"


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The portal served over HTTP on 127.0.0.1 at an ephemeral port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kb-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}; CI must install it before `make test`", pytrace=False)
        pytest.skip(MISSING)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the run; each test opens its own context (cookies, storage)."""
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where screenshots are kept after the run: $KB_TEST_ARTIFACTS or /tmp/kb-test-artifacts."""
    folder = Path(os.environ.get("KB_TEST_ARTIFACTS") or "/tmp/kb-test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
