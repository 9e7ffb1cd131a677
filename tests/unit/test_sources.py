"""load_articles and load_tickets: bad files and rows are reported, never fatal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kb.errors import KbError
from kb.indexer.sources import load_articles, load_tickets

DATA = Path(__file__).parent.parent / "data"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_article_does_not_stop_the_good_ones(tmp_path: Path) -> None:
    write(tmp_path / "a-printer.md", "# Printer offline\n\nRestart it.\n")
    broken = write(tmp_path / "b-broken.md", "---\ntitle: Broken\ntags: vpn\n---\nBody\n")
    write(tmp_path / "nested" / "c-wifi.md", "---\ntitle: Wi-Fi\n---\nJoin the network.\n")
    loaded = load_articles(tmp_path)
    assert [document.id for document in loaded.documents] == ["a-printer", "c-wifi"]
    assert [document.kind for document in loaded.documents] == ["article", "article"]
    (error,) = loaded.errors
    assert str(error).startswith(f"{broken}:3:")
    assert error.path == broken


def test_fixture_article_loads_from_a_folder(tmp_path: Path) -> None:
    shutil.copy(DATA / "vpn-setup.md", tmp_path / "vpn-setup.md")
    loaded = load_articles(tmp_path)
    (document,) = loaded.documents
    assert loaded.errors == []
    assert document.audience == "internal"
    assert document.metadata["updated"] == "2026-03-14"
    assert document.metadata["extra"] == {"reviewed_by": "ana", "priority": 3}


def test_duplicate_article_ids_are_reported(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "---\nid: reset\ntitle: First\n---\n")
    second = write(tmp_path / "b.md", "---\nid: reset\ntitle: Second\n---\n")
    loaded = load_articles(tmp_path)
    assert [document.title for document in loaded.documents] == ["First"]
    (error,) = loaded.errors
    assert str(error).startswith(f"{second}:1:")
    assert "'reset'" in str(error)
    assert str(first) in str(error)


def test_hidden_folders_and_other_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "kept.md", "# Kept\n")
    write(tmp_path / ".drafts" / "hidden.md", "# Hidden\n")
    write(tmp_path / "notes.txt", "# Not Markdown\n")
    assert [document.id for document in load_articles(tmp_path).documents] == ["kept"]


def test_article_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "latin.md").write_bytes("# Configuración\n".encode("latin-1"))
    loaded = load_articles(tmp_path)
    assert loaded.documents == []
    (error,) = loaded.errors
    assert "latin.md" in str(error)
    assert "not UTF-8" in str(error)


def test_missing_articles_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KbError, match="does not exist"):
        load_articles(tmp_path / "nowhere")


def test_missing_tickets_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KbError, match="does not exist"):
        load_tickets(tmp_path / "nowhere.jsonl")


def ticket_line(ticket_id: str, **extra: object) -> str:
    fields: dict[str, object] = {
        "id": ticket_id,
        "subject": f"Subject {ticket_id}",
        "resolution": "Fixed it.",
    }
    fields.update(extra)
    return json.dumps(fields)


def test_jsonl_bad_lines_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tickets.jsonl",
        "\n".join(
            [
                ticket_line("T-1"),
                "{not json",
                "",
                ticket_line("T-2", shareable="perhaps"),
                ticket_line("T-3", shareable=True),
                ticket_line("T-1"),
            ]
        )
        + "\n",
    )
    loaded = load_tickets(path)
    assert [document.id for document in loaded.documents] == ["ticket:T-1", "ticket:T-3"]
    assert [document.audience for document in loaded.documents] == ["internal", "public"]
    messages = sorted(str(error) for error in loaded.errors)
    assert len(messages) == 3
    assert messages[0].startswith(f"{path}:2: not valid JSON")
    assert messages[1].startswith(f"{path}:4: `shareable`")
    assert messages[2].startswith(f"{path}:6: ticket 'T-1' appears twice")


def test_json_file_is_read_as_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "export.json", ticket_line("T-1") + "\n" + ticket_line("T-2") + "\n")
    assert [document.id for document in load_tickets(path).documents] == [
        "ticket:T-1",
        "ticket:T-2",
    ]


def test_json_line_that_is_not_an_object_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "tickets.jsonl", ticket_line("T-1") + "\n[1, 2]\n")
    loaded = load_tickets(path)
    assert len(loaded.documents) == 1
    (error,) = loaded.errors
    assert str(error).startswith(f"{path}:2:")


def test_csv_with_a_quoted_multi_line_field(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    shutil.copy(DATA / "tickets-multiline.csv", path)
    loaded = load_tickets(path)
    assert loaded.errors == []
    first, second = loaded.documents
    assert first.id == "ticket:T-1"
    assert "Paper jams on tray 2.\nIt happens every morning." in first.body
    assert first.audience == "public"
    assert second.id == "ticket:T-2"
    assert second.title == "Outlook crash"
    assert second.audience == "internal"


def test_csv_row_after_a_multi_line_row_reports_its_own_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tickets.csv",
        "\ufeffid,subject,description,resolution\n"
        'T-1,Printer,"line one\nline two",Fixed\n'
        "T-2,Outlook,crashes,\n",
    )
    loaded = load_tickets(path)
    assert [document.id for document in loaded.documents] == ["ticket:T-1"]
    (error,) = loaded.errors
    assert str(error).startswith(f"{path}:4: `resolution` is missing")


def test_csv_error_in_a_multi_line_row_points_at_its_first_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tickets.csv",
        'id,subject,description,resolution\nT-1,Printer,"line one\nline two\nline three",\n',
    )
    (error,) = load_tickets(path).errors
    assert str(error).startswith(f"{path}:2:")


def test_mixed_naive_and_utc_timestamps_do_not_stop_the_import(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tickets.jsonl",
        ticket_line("T-1")
        + "\n"
        + ticket_line("T-2", opened="2026-09-14T08:00:00Z", resolved="2026-09-14T09:00:00")
        + "\n",
    )
    loaded = load_tickets(path)
    assert "ticket:T-1" in [document.id for document in loaded.documents]
    assert len(loaded.documents) + len(loaded.errors) == 2
