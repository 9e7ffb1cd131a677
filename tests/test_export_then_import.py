"""A ticket export indexed with `kb index --tickets`, then imported into the queue with
`kb import tickets`: each of its tickets is one piece of knowledge, found under its kb number,
and the desk's and portal's old addresses of the export's copy lead to the imported ticket."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from kb.cli import cli
from kb.config import Settings
from kb.services import build_services
from kb.web import create_app
from tests.helpers import FormClient, signer

EXPORT = Path(__file__).resolve().parent.parent / "tickets" / "resolved-tickets.jsonl"
# The export's first ticket, shareable: "intranet not resolving even on VPN".
FIRST = "INC-2026-0001"
SHARED = "INC-2026-0016"
FAST = {"KB_EMBEDDER": "hashing", "KB_HOME": None, "KB_CONFIG": None}


def run(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments), env=FAST)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A KB whose index holds the export, and whose queue then received the same export."""
    articles = tmp_path / "articles"
    articles.mkdir()
    home = tmp_path / ".kb"
    indexed = run(
        "index", "--articles", str(articles), "--tickets", str(EXPORT), "--home", str(home)
    )
    assert indexed.exit_code == 0, indexed.output
    imported = run("import", "tickets", str(EXPORT), "--home", str(home))
    assert imported.exit_code == 0, imported.output
    return home


@pytest.mark.parametrize(
    "query", ["intranet not resolving even on VPN", "vpn not working certificate validation"]
)
def test_each_imported_ticket_is_found_once_under_its_kb_number(home: Path, query: str) -> None:
    found = run("search", query, "--home", str(home), "--json", "--k", "20", "--kind", "ticket")
    hits = json.loads(found.stdout)["hits"]
    assert hits
    titles = Counter(hit["title"] for hit in hits)
    assert titles.most_common(1)[0][1] == 1, titles
    # The export's ids are gone from the index: what is found is the queue's ticket.
    assert not [hit["id"] for hit in hits if "-2026-" in hit["id"]]


def test_a_full_index_after_the_import_changes_nothing(home: Path) -> None:
    reindexed = run(
        "index",
        "--articles",
        str(home.parent / "articles"),
        "--tickets",
        str(EXPORT),
        "--home",
        str(home),
    )
    assert reindexed.exit_code == 0, reindexed.output
    assert "0 added, 0 updated, 0 removed" in reindexed.output, reindexed.output


@pytest.fixture
def client(home: Path) -> Iterator[FlaskClient]:
    services = build_services(Settings(home=home, embedder="hashing", secret_key="test-secret"))
    app = create_app(services=services, test_config={"TESTING": True})
    app.test_client_class = FormClient
    yield app.test_client()
    services.close()


def test_the_desk_page_of_the_exports_copy_opens_the_imported_ticket(client: FlaskClient) -> None:
    signer(client.application)(client, "agent")
    page = client.get(f"/desk/exported/{FIRST}")
    assert page.status_code == 302
    ticket = client.get(page.headers["Location"])
    text = ticket.get_data(as_text=True)
    assert ticket.status_code == 200 and "intranet not resolving even on VPN" in text
    assert f"imported from {FIRST}" in text


def test_a_requesters_link_to_a_shared_request_of_the_export_still_opens_it(
    client: FlaskClient,
) -> None:
    page = client.get(f"/resolved/{SHARED}")
    assert page.status_code == 302
    opened = client.get(page.headers["Location"])
    assert opened.status_code == 200
    assert "<h1" in opened.get_data(as_text=True)
