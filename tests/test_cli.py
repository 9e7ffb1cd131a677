"""The `kb` command through click's CliRunner: the contract other tools rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kb.backends import open_generation_store
from kb.cli import cli
from kb.config import Settings

DATA = Path(__file__).parent / "data"
BEIR = DATA / "beir-mini"
FAST = {"KB_EMBEDDER": "hashing", "KB_HOME": None, "KB_CONFIG": None}


def run(
    *arguments: str, environment: dict[str, str | None] | None = None, input: str | None = None
) -> Result:
    return CliRunner().invoke(
        cli, list(arguments), env={**FAST, **(environment or {})}, input=input
    )


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "vpn.md").write_text(
        "---\ntitle: VPN certificate errors\ncategory: network\ntags: [vpn]\n---\n"
        "## Certificate validation failure\n\nRenew the machine certificate.\n"
    )
    (folder / "internal.md").write_text(
        "---\ntitle: Reissue VPN certificates\naudience: internal\n---\n"
        "Agents reissue the VPN certificate from the CA console.\n"
    )
    return folder


def test_index_then_search_as_json(tmp_path: Path, articles: Path) -> None:
    home = tmp_path / "home"
    indexed = run("index", "--articles", str(articles), "--home", str(home))
    assert indexed.exit_code == 0, indexed.output
    assert "2 documents" in indexed.output and "2 added" in indexed.output

    found = run("search", "vpn certificate", "--home", str(home), "--json", "--k", "5")
    assert found.exit_code == 0, found.output
    payload = json.loads(found.stdout)
    assert payload["hits"][0]["url"].endswith("vpn.md#certificate-validation-failure")
    for hit in payload["hits"]:
        assert set(hit) >= {"id", "kind", "title", "url", "snippet", "score", "deflection"}
        assert 0.0 <= hit["deflection"] <= 1.0

    public = run("search", "vpn certificate", "--home", str(home), "--json", "--audience", "public")
    assert [hit["id"] for hit in json.loads(public.stdout)["hits"]] == ["vpn"]


def test_kb_home_environment_is_the_same_as_home(tmp_path: Path, articles: Path) -> None:
    home = str(tmp_path / "env-home")
    assert run("index", "--articles", str(articles), environment={"KB_HOME": home}).exit_code == 0
    found = run("search", "certificate", "--json", environment={"KB_HOME": home})
    assert json.loads(found.stdout)["hits"]


def test_search_modes_and_human_output(tmp_path: Path, articles: Path) -> None:
    home = str(tmp_path / "home")
    run("index", "--articles", str(articles), "--home", home)
    for mode in ("hybrid", "keyword", "semantic"):
        result = run("search", "certificate", "--mode", mode, "--home", home)
        assert result.exit_code == 0
        assert "1. " in result.output and "deflection" in result.output


def test_a_broken_article_is_skipped_and_the_rest_indexed(tmp_path: Path, articles) -> None:
    (articles / "broken.md").write_text("---\ntitle: Broken\naudience: everyone\n---\nBody\n")
    home = str(tmp_path / "home")
    lenient = run("index", "--articles", str(articles), "--home", home)
    assert lenient.exit_code == 0
    assert "broken.md:3: front matter: `audience` is 'everyone'" in lenient.output
    assert json.loads(run("search", "certificate", "--home", home, "--json").stdout)["hits"]


def test_strict_publishes_nothing_when_a_source_is_broken(tmp_path: Path, articles) -> None:
    home = str(tmp_path / "home")
    assert run("index", "--articles", str(articles), "--home", home).exit_code == 0
    (articles / "vpn.md").write_text("---\ntitle: VPN certificate errors\n---\nReinstall it.\n")
    (articles / "broken.md").write_text("---\ntitle: Broken\naudience: everyone\n---\nBody\n")

    strict = run("index", "--articles", str(articles), "--home", home, "--strict")
    assert strict.exit_code == 1
    assert "broken.md:3: front matter: `audience` is 'everyone'" in strict.stderr
    assert "--strict published nothing" in strict.output
    # The index still holds the earlier version of the article that changed meanwhile.
    found = json.loads(run("search", "certificate", "--home", home, "--json").stdout)
    assert "Renew the machine certificate" in found["hits"][0]["snippet"]

    (articles / "broken.md").unlink()
    fixed = run("index", "--articles", str(articles), "--home", home, "--strict")
    assert fixed.exit_code == 0, fixed.output
    assert "1 updated" in fixed.output


def test_check_validates_the_sources_and_indexes_nothing(tmp_path: Path, articles) -> None:
    home = tmp_path / "home"
    tickets = tmp_path / "tickets.jsonl"
    tickets.write_text(
        '{"id": "T-1", "subject": "Printer", "resolution": "Restarted it"}\n'
        '{"id": "T-2", "subject": "Dock", "resolution": "Firmware", "priority": "urgent"}\n',
        "utf-8",
    )
    clean = run("index", "--check", "--articles", str(articles), "--home", str(home))
    assert clean.exit_code == 0, clean.output
    assert "2 documents read, no problems" in clean.output

    (articles / "broken.md").write_text("---\ntitle: Broken\ntags: vpn\n---\nBody\n")
    checked = run(
        "index", "--check", "--articles", str(articles), "--tickets", str(tickets),
        "--home", str(home),
    )
    assert checked.exit_code == 1
    lines = checked.stderr.splitlines()
    assert any(line.startswith(f"{articles / 'broken.md'}:3: ") for line in lines), lines
    assert f"{tickets}:2: `priority` is 'urgent'" in checked.stderr
    assert "2 problem(s) in the sources" in checked.stderr
    assert "--check indexed nothing" in checked.stderr
    # A check reads files only: no KB home, index or database is made.
    assert not home.exists()


def test_a_second_file_with_an_articles_id_is_reported_with_both_paths(
    tmp_path: Path, articles: Path
) -> None:
    home = str(tmp_path / "home")
    assert run("index", "--articles", str(articles), "--home", home).exit_code == 0
    newcomer = articles / "zz-copy.md"
    newcomer.write_text("---\nid: vpn\ntitle: A copy of the VPN article\n---\nCopied.\n")
    indexed = run("index", "--articles", str(articles), "--home", home)
    assert indexed.exit_code == 0, indexed.output
    assert (
        f"skipped {newcomer}:1: id 'vpn' is also declared by {articles / 'vpn.md'}, which keeps "
        "it (the first by path order)"
    ) in indexed.stderr
    assert "0 updated" in indexed.output
    hits = json.loads(run("search", "certificate", "--home", home, "--json").stdout)["hits"]
    assert hits[0]["title"] == "VPN certificate errors"
    # The same file sorted first keeps the id instead, and the article's own file is reported.
    newcomer.rename(articles / "a-copy.md")
    swapped = run("index", "--articles", str(articles), "--home", home, "--strict")
    assert swapped.exit_code == 1
    assert f"{articles / 'vpn.md'}:1: id 'vpn' is also declared by {articles / 'a-copy.md'}" in (
        swapped.stderr
    )


def test_search_json_says_how_confident_as_the_api_does(tmp_path: Path, articles: Path) -> None:
    home = str(tmp_path / "home")
    run("index", "--articles", str(articles), "--home", home)
    labels = {
        "high": "very likely to solve this",
        "medium": "likely to help",
        "low": "might help",
    }
    for threshold, confident in (("0.0", True), ("1.0", False)):
        found = run(
            "search", "vpn certificate", "--home", home, "--json",
            environment={"KB_CONFIDENT_THRESHOLD": threshold},
        )
        payload = json.loads(found.stdout)
        assert payload["confident"] is confident
        for hit in payload["hits"]:
            assert hit["label"] == labels[hit["confidence"]]
    nothing = json.loads(run("search", "zzzq", "--home", home, "--json", "--kind", "ticket").stdout)
    assert nothing["hits"] == [] and nothing["confident"] is False


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("search", "vpn", "--home", "{home}"), "no index in"),
        (("index", "--articles", "{home}/nowhere", "--home", "{home}"), "does not exist"),
        (("eval", str(DATA)), "is not a BEIR folder"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, arguments, message: str) -> None:
    result = run(*(argument.format(home=tmp_path) for argument in arguments))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"KB_EMBEDDER": "no-such-embedder"}, "embedder"),
        ({"KB_DATABASE_URL": "not a url"}, "database_url"),
    ],
    ids=["unknown-embedder", "bad-database-url"],
)
@pytest.mark.parametrize(
    "arguments",
    [
        ("user", "list"),
        ("user", "add", "ana@example.com", "--role", "agent", "--password-stdin"),
        ("user", "roles", "ana@example.com", "--role", "agent"),
        ("user", "token", "ana@example.com", "--name", "ci"),
        ("import", "tickets", str(DATA / "helpdesk-export.csv")),
    ],
    ids=lambda arguments: " ".join(arguments[:2]),
)
def test_a_bad_setting_is_one_line_for_every_command(
    tmp_path: Path, arguments: tuple[str, ...], environment: dict[str, str], message: str
) -> None:
    result = run(
        *arguments,
        "--home",
        str(tmp_path),
        environment=environment,
        input="long enough password\n",
    )
    assert isinstance(result.exception, SystemExit), result.exception
    last = result.output.strip().splitlines()[-1]
    assert result.exit_code == 1 and last.startswith("Error: ") and message in last


def test_empty_query_is_refused(tmp_path: Path, articles: Path) -> None:
    home = str(tmp_path / "home")
    run("index", "--articles", str(articles), "--home", home)
    result = run("search", "  ", "--home", home)
    assert result.exit_code != 0 and "empty" in result.output


def test_a_bad_setting_names_the_variable(tmp_path: Path) -> None:
    result = run("search", "vpn", environment={"KB_CANDIDATES": "lots"})
    assert result.exit_code != 0 and "KB_CANDIDATES" in result.output


@pytest.mark.model
def test_eval_prints_metrics_and_writes_a_run(tmp_path: Path) -> None:
    run_file = tmp_path / "run.jsonl"
    result = run(
        "eval",
        str(BEIR),
        "--run",
        str(run_file),
        "--k",
        "5",
        "--json",
        environment={"KB_EMBEDDER": None},
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["queries"] == 11  # the judged ones
    assert metrics["ndcg@10"] > 0.8 and metrics["recall@100"] == 1.0
    lines = [json.loads(line) for line in run_file.read_text().splitlines()]
    assert len(lines) == 14
    first = lines[0]
    assert first["query_id"] == "q1" and 1 <= len(first["hits"]) <= 5
    assert set(first["hits"][0]) == {"doc_id", "score", "deflection"}
    assert first["hits"][0]["doc_id"] in {"d1", "d2"}
    # Its progress goes to standard error: the corpus embedded, then the queries run.
    assert "kb eval: 14/14 queries" in result.stderr and " chunks · " in result.stderr


def test_eval_reads_qrels_without_a_header(tmp_path: Path) -> None:
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("q2\td3\t1\nq4\td5\t1\n")
    result = run("eval", str(BEIR), "--qrels", str(qrels), "--mode", "keyword", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["queries"] == 2


def test_eval_prints_each_mean_with_a_seeded_bootstrap_interval(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    outputs = [
        run("eval", str(BEIR), "--mode", "keyword", "--home", home, "--json", *extra)
        for extra in ([], [], ["--seed", "7"])
    ]
    assert all(output.exit_code == 0 for output in outputs), outputs[0].output
    first, again, reseeded = (json.loads(output.stdout) for output in outputs)
    assert first["intervals"] == again["intervals"] and first["bootstrap_seed"] == 0
    assert reseeded["bootstrap_seed"] == 7
    for name in ("ndcg@10", "recall@10", "recall@100", "mrr@10"):
        low, high = first["intervals"][name]
        assert low <= first[name] <= high
    text = run("eval", str(BEIR), "--mode", "keyword", "--home", home)
    assert text.exit_code == 0, text.output
    assert "(95% CI " in text.stdout


@pytest.mark.model
def test_calibrate_saves_a_model_the_search_then_uses(tmp_path: Path, articles: Path) -> None:
    home = tmp_path / "home"
    result = run(
        "calibrate", str(BEIR), "--home", str(home), "--json", environment={"KB_EMBEDDER": None}
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert 0.0 <= metrics["top_answer_auroc"] <= 1.0 and "answerable_auroc" in metrics
    saved = json.loads((home / "calibration.json").read_text())
    assert saved["fitted_on"] == str(BEIR) and saved["embedder"] == "all-MiniLM-L6-v2"


def _session_events(number: int, solved: bool) -> list:
    from datetime import UTC, datetime, timedelta

    from kb.events import (
        ArticleView,
        SelfResolved,
        ShownSuggestion,
        SuggestionsShown,
        TicketCreated,
    )

    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(hours=number)
    strength = 0.9 if solved else 0.2
    features = (strength, strength - 0.1, strength, 1.0, 1.0, 1.0, strength)
    session = f"session-{number:04d}"
    events = [
        SuggestionsShown(
            session_id=session,
            at=at,
            query="vpn",
            suggestions=(ShownSuggestion("vpn", strength, features),),
        ),
        ArticleView(session_id=session, at=at + timedelta(minutes=1), article_id="vpn"),
    ]
    later = at + timedelta(minutes=2)
    if solved:
        events.append(SelfResolved(session_id=session, at=later, article_id="vpn"))
    else:
        events.append(TicketCreated(session_id=session, at=later, ticket_id=f"INC-{number:06d}"))
    return events


def test_calibrate_from_events_needs_enough_outcomes_then_refits(tmp_path: Path) -> None:
    from kb.store.database import open_database
    from kb.store.events import EventStore

    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    store = EventStore(open_database(url))
    environment = {"KB_DATABASE_URL": url, "KB_HOME": str(tmp_path / "home")}
    for number in range(10):
        for event in _session_events(number, solved=number % 2 == 0):
            store.record(event)
    early = run("calibrate", "--from-events", environment=environment)
    assert early.exit_code != 0 and "not enough outcomes" in early.output
    for number in range(10, 80):
        for event in _session_events(number, solved=number % 3 != 0):
            store.record(event)
    refit = run("calibrate", "--from-events", "--json", environment=environment)
    assert refit.exit_code == 0, refit.output
    assert json.loads(refit.stdout)["suggestions"] == 80
    saved = json.loads((tmp_path / "home" / "calibration.json").read_text())
    assert saved["fitted_on"] == "portal events"


def test_calibrate_wants_a_folder_or_events(tmp_path: Path) -> None:
    result = run("calibrate", "--home", str(tmp_path))
    assert result.exit_code != 0 and "--from-events" in result.output


def test_user_add_roles_list_and_token(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    added = run(
        "user",
        "add",
        "Priya@Example.com",
        "--role",
        "agent",
        "--name",
        "Priya",
        "--password-stdin",
        "--home",
        home,
        input="correct horse battery\n",
    )
    assert added.exit_code == 0, added.output
    assert "added priya@example.com with roles: agent" in added.output
    again = run(
        "user",
        "add",
        "priya@example.com",
        "--role",
        "agent",
        "--password-stdin",
        "--home",
        home,
        input="correct horse battery\n",
    )
    assert again.exit_code == 1 and "already has an account" in again.output
    short = run(
        "user",
        "add",
        "ben@example.com",
        "--role",
        "agent",
        "--password-stdin",
        "--home",
        home,
        input="short\n",
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    wrong = run("user", "add", "ben@example.com", "--role", "wizard", "--home", home)
    assert wrong.exit_code == 2 and "wizard" in wrong.output

    roles = run(
        "user", "roles", "priya@example.com", "--role", "agent", "--role", "manager", "--home", home
    )
    assert roles.exit_code == 0 and "agent, manager" in roles.output
    listed = run("user", "list", "--home", home)
    assert "priya@example.com\tagent manager" in listed.output

    token = run("user", "token", "priya@example.com", "--name", "monitoring", "--home", home)
    assert token.exit_code == 0 and token.output.startswith("kb_")
    missing = run("user", "token", "nobody@example.com", "--name", "x", "--home", home)
    assert missing.exit_code == 1 and "kb user add nobody@example.com" in missing.output


# Another tool's export: its own column names, `;` separated, three bad rows of five.
EXPORT_CSV = (DATA / "helpdesk-export.csv").read_text("utf-8")
MAPPING = [
    "--map",
    "id=Key",
    "--map",
    "subject=Summary",
    "--map",
    "description=Details",
    "--map",
    "resolution=Fix",
    "--map",
    "type=Kind",
    "--map",
    "opened=Opened",
    "--map",
    "resolved=Closed",
    "--map",
    "shareable=Share",
]


def test_import_tickets_with_a_column_mapping(tmp_path: Path, articles: Path) -> None:
    home = str(tmp_path / "home")
    assert run("index", "--articles", str(articles), "--home", home).exit_code == 0
    export = tmp_path / "helpdesk-export.csv"
    export.write_text(EXPORT_CSV, "utf-8")

    checked = run("import", "tickets", str(export), *MAPPING, "--dry-run", "--home", home)
    assert checked.exit_code == 0, checked.output
    assert "2 tickets would be imported, 3 rows skipped" in checked.stdout

    imported = run("import", "tickets", str(export), *MAPPING, "--home", home)
    assert imported.exit_code == 0, imported.output
    # Bad rows are named by file and line, with the field at fault.
    assert f"{export}:3: `subject` is missing or empty" in imported.stderr
    assert f"{export}:4: `resolved` is earlier than `opened`" in imported.stderr
    assert f"{export}:5: `shareable` is 'maybe'" in imported.stderr
    assert "imported 2 tickets" in imported.stdout
    assert "2 resolved tickets indexed as knowledge" in imported.stdout

    found = run(
        "search", "credential manager password prompt", "--home", home, "--json", "--kind", "ticket"
    )
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["title"] == "Outlook keeps asking for password"

    again = run("import", "tickets", str(export), *MAPPING, "--home", home)
    assert "imported 0 tickets (2 imported before)" in again.stdout
    # A later full index keeps the imported knowledge: the store is one of its sources.
    reindexed = run("index", "--articles", str(articles), "--home", home)
    assert "0 removed" in reindexed.output, reindexed.output


def test_import_while_the_index_is_locked_queues_the_knowledge_and_answers_at_once(
    tmp_path: Path, articles: Path
) -> None:
    home = tmp_path / "home"
    assert run("index", "--articles", str(articles), "--home", str(home)).exit_code == 0
    export = tmp_path / "helpdesk-export.csv"
    export.write_text(EXPORT_CSV, "utf-8")

    def searched() -> list[str]:
        found = run(
            "search", "credential manager password prompt", "--home", str(home), "--json",
            "--kind", "ticket",
        )
        return [hit["title"] for hit in json.loads(found.stdout)["hits"]]

    # Another writer (a long `kb index`) holds the index's lock.
    with open_generation_store(Settings(home=home)).lock(timeout=5):
        imported = run("import", "tickets", str(export), *MAPPING, "--home", str(home))
        assert imported.exit_code == 0, imported.output
        assert "imported 2 tickets" in imported.stdout
        assert "2 resolved tickets queued for the index" in imported.stdout
        assert "become searchable as soon as it frees" in imported.stdout
        assert "Outlook keeps asking for password" not in searched()

    # Nothing was lost: the next `kb index` takes the queued tickets.
    assert run("index", "--articles", str(articles), "--home", str(home)).exit_code == 0
    assert searched()[0] == "Outlook keeps asking for password"


def test_import_tickets_reports_a_mapping_to_a_missing_column(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(EXPORT_CSV, "utf-8")
    result = run(
        "import", "tickets", str(export), "--map", "subject=Title", "--home", str(tmp_path / "home")
    )
    assert result.exit_code == 1
    assert "no column 'Title' to map; the columns are: Key, Summary, Details" in result.output
    bad = run("import", "tickets", str(export), "--map", "colour=Key")
    assert bad.exit_code == 2 and "'colour' is not a ticket field" in bad.output


def test_import_tickets_strict_imports_nothing_when_a_row_is_bad(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    export = tmp_path / "helpdesk-export.csv"
    export.write_text(EXPORT_CSV, "utf-8")
    strict = run("import", "tickets", str(export), *MAPPING, "--strict", "--home", home)
    assert strict.exit_code == 1
    assert f"bad row {export}:3: `subject` is missing or empty" in strict.stderr
    assert "3 bad row(s)" in strict.output and "--strict imported nothing" in strict.output
    dry = run("import", "tickets", str(export), *MAPPING, "--dry-run", "--strict", "--home", home)
    assert dry.exit_code == 1
    lenient = run("import", "tickets", str(export), *MAPPING, "--home", home)
    assert "imported 2 tickets" in lenient.stdout, lenient.output


def test_import_tickets_reports_every_problem_of_a_row(tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(
        '{"id": "X-1", "subject": "Dock", "resolution": "Firmware", "priority": "urgent", '
        '"type": "problem", "shareable": "maybe", "opened": "yesterday"}\n'
        '{"id": "X-2", "subject": "Mouse", "resolution": "Battery", "priority": "High"}\n',
        "utf-8",
    )
    home = tmp_path / "home"
    result = run("import", "tickets", str(export), "--home", str(home))
    assert result.exit_code == 0, result.output
    (problem,) = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert problem.startswith(f"skipped {export}:1: ")
    for part in ("`type` is 'problem'", "`priority` is 'urgent'; use one of: low, medium, "
                 "high, critical", "`shareable` is 'maybe'", "`opened` is 'yesterday'"):
        assert part in problem
    assert "imported 1 tickets" in result.stdout


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("export.csv", "Key,Summary,Fix\nHD-1,Printer,Restarted\nHD-2,Dock,Firmware\n"),
        ("export.jsonl", '{"Key": "HD-1", "Summary": "Printer"}\n{"Key": "HD-2", "Fix": "x"}\n'),
    ],
)
def test_an_export_with_no_known_column_is_one_clear_error(
    tmp_path: Path, name: str, text: str
) -> None:
    export = tmp_path / name
    export.write_text(text, "utf-8")
    result = run("import", "tickets", str(export), "--home", str(tmp_path / "home"))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "none of its columns is a ticket field kb knows" in result.output
    assert "the columns are: Key, Summary" in result.output
    assert "--map FIELD=COLUMN" in result.output
    mapped = run(
        "import", "tickets", str(export), "--map", "id=Key", "--map", "subject=Summary",
        "--open", "--home", str(tmp_path / "home"),
    )
    assert "none of its columns" not in mapped.output


def test_import_open_tickets_from_json_lines(tmp_path: Path) -> None:
    export = tmp_path / "open.jsonl"
    export.write_text(
        '{"id": "J-1", "subject": "Laptop for new starter", "type": "service_request"}\nnot json\n',
        "utf-8",
    )
    result = run("import", "tickets", str(export), "--open", "--home", str(tmp_path / "home"))
    assert result.exit_code == 0, result.output
    assert f"{export}:2: not valid JSON" in result.stderr
    assert "imported 1 tickets" in result.stdout and "0 resolved tickets indexed" in result.stdout


def test_index_shows_its_progress_on_standard_error(tmp_path: Path, articles: Path) -> None:
    indexed = run("index", "--articles", str(articles), "--home", str(tmp_path / "home"))
    assert indexed.exit_code == 0, indexed.output
    lines = indexed.stderr.splitlines()
    assert lines[0].startswith("kb index: 0/2 chunks · 0/2 documents")
    assert lines[-1].startswith("kb index: 2/2 chunks · 2/2 documents") and "chunks/s" in lines[-1]
    assert "kb index:" not in indexed.stdout
    home = str(tmp_path / "home")
    quiet = run("index", "-q", "--rebuild", "--articles", str(articles), "--home", home)
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_eval_judges_the_deflection_model_in_force(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    shipped = json.loads(run("eval", str(BEIR), "--home", home, "--json").stdout)
    assert shipped["answered"] == 14 and shipped["deflection_model"] != str(BEIR)
    for name in ("deflection_auroc", "deflection_ece"):
        low, high = shipped["intervals"][name]
        assert 0.0 <= low <= shipped[name] <= high <= 1.0

    calibrated = run("calibrate", str(BEIR), "--home", home)
    assert calibrated.exit_code == 0, calibrated.output
    refitted = json.loads(run("eval", str(BEIR), "--home", home, "--json").stdout)
    # The model kb calibrate saved in the home is the one judged now: fitted on these very
    # queries, its estimates differ from the shipped model's.
    assert refitted["deflection_model"] == str(BEIR)
    assert refitted["deflection_ece"] != shipped["deflection_ece"]
    text = run("eval", str(BEIR), "--home", home).stdout
    assert f"model fitted on {BEIR}" in text and "AUROC" in text and "ECE" in text
