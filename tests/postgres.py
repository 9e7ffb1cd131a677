"""The PostgreSQL leg of the suite: a fresh schema per test on the server .ci/postgres starts.

`eval "$(.ci/postgres start)"` sets KB_TEST_POSTGRES_URL; without it the PostgreSQL cases
skip, except under CI=true, where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
import sqlalchemy

VARIABLE = "KB_TEST_POSTGRES_URL"


def server_url() -> str:
    """The test server's URL, or skip (fail under CI) when there is none."""
    url = os.environ.get(VARIABLE)
    if url:
        return url
    message = (
        f"no PostgreSQL for the tests: {VARIABLE} is unset; "
        'run `eval "$(.ci/postgres start)"` (as root) to start one on loopback'
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL whose connections work in a new, empty schema, dropped afterwards.

    Extensions (vector, unaccent) live in `public`, which stays on the search path.
    """
    url = server_url()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url, poolclass=sqlalchemy.NullPool)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options={quote(f'-csearch_path={schema},public')}"
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
