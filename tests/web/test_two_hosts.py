"""Two `kb serve` processes, each with its own empty home, serving one KB from PostgreSQL."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kb.config import Settings
from kb.services import build_services
from kb.workflow import NewTicket
from tests.serving import running_server, write

# How long a change made through one host may take to be seen through the other. The
# contract is "at its next request"; the margin is for a loaded machine, not a target.
VISIBLE_WITHIN = 10.0


def call(
    base: str, path: str, token: str, body: dict[str, Any] | None = None, method: str = "GET"
) -> Any:
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def eventually(check: Any) -> Any:
    """check()'s first true answer, asked again until VISIBLE_WITHIN seconds have passed."""
    deadline = time.monotonic() + VISIBLE_WITHIN
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def test_what_one_host_changes_the_other_serves(
    postgres_index_settings: Settings, tmp_path: Path
) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    write(articles, "printer-offline", "Printer offline", "Restart the printer spooler.")
    shared = replace(postgres_index_settings, articles_dir=articles, embedder="hashing")
    setup = build_services(replace(shared, home=tmp_path / "setup"))
    try:
        setup.upgrade_database()
        setup.index_files()
        agent = setup.users.add("agent@example.com", "correct horse battery", ("agent",))
        admin = setup.users.add("admin@example.com", "correct horse battery", ("admin",))
        agent_token = setup.users.create_token(agent.id, "host test")[1]
        admin_token = setup.users.create_token(admin.id, "host test")[1]
        filed = setup.tickets.create(
            NewTicket("Badge reader", "The loading dock reader beeps red.", "li@example.com")
        )
    finally:
        setup.close()
    environment = {
        "KB_DATABASE_URL": shared.database_url or "",
        "KB_INDEX_STORE": "postgresql",
        "KB_KEYWORD_BACKEND": "postgresql-bm25",
        "KB_VECTOR_BACKEND": "pgvector",
        "KB_ARTICLES_DIR": str(articles),
    }
    homes = [tmp_path / "host-a", tmp_path / "host-b"]
    with (
        running_server(replace(shared, home=homes[0]), environment=environment) as first,
        running_server(replace(shared, home=homes[1]), environment=environment) as second,
    ):
        search = f"/api/v1/desk/search?q={quote('badge reader beeps')}&kind=ticket"
        assert call(second, search, agent_token)["hits"] == []
        resolution = {"resolution": "Re-enrolled the badge; the reader now shows green."}
        call(first, f"/api/v1/desk/tickets/{filed.number}/resolve", agent_token, resolution, "POST")

        def found_through_second() -> list[str]:
            return [hit["id"] for hit in call(second, search, agent_token)["hits"]]

        assert eventually(found_through_second) == [f"ticket:{filed.number}"]

        call(second, "/api/v1/thresholds", admin_token, {"show_threshold": 0.45}, "PUT")

        def threshold_through_first() -> bool:
            answer = call(first, "/api/v1/thresholds", admin_token)
            return bool(answer["thresholds"]["show_threshold"]["value"] == 0.45)

        assert eventually(threshold_through_first)
    for home in homes:
        assert not (home / "generations").exists()
