"""The authoring service: its pure parts as tables (slugs, front matter, workflow, diffs), and
concurrent saves."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kb.authoring import (
    ArticleForm,
    FormError,
    allowed_statuses,
    compose,
    diff_lines,
    form_for,
    form_from_ticket,
    front_matter_keys,
    review_reasons,
    slug_for,
)
from kb.errors import ConflictError
from kb.indexer.parse import parse_article
from kb.services import Services
from kb.store.revisions import Flag
from kb.store.tickets import StoredTicket
from tests.conftest import WriteArticle

TODAY = date(2026, 12, 1)
PATH = Path("articles/vpn-setup.md")
FORM = ArticleForm(
    title="VPN setup: first time",
    body="## Steps\r\n\r\nInstall the client.\r\n",
    summary="Connect  from home.",
    category="network",
    tags=("VPN", "remote", "vpn"),
    audience="internal",
    status="review",
    owner="priya@example.com",
    review_by="2027-06-30",
    related=("wifi", "wifi"),
    language="en",
    type="how-to",
)


@pytest.mark.parametrize(
    ("title", "taken", "expected"),
    [
        ("VPN setup: first time", set(), "vpn-setup-first-time"),
        ("VPN setup: first time", {"vpn-setup-first-time"}, "vpn-setup-first-time-2"),
        ("Ça marche pas — Outlook", set(), "ca-marche-pas-outlook"),
        ("???", set(), "article"),
        ("a" * 100, set(), "a" * 80),
        ("New", {"new", "new-2"}, "new-3"),
    ],
)
def test_slug_for(title: str, taken: set[str], expected: str) -> None:
    assert slug_for(title, taken) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: A\nx-team: net\ntags: [a]\n---\nbody\n", ["title", "x-team", "tags"]),
        ("---\ntitle: A\nlinks:\n  - b\n  - c\nowner: me\n---\n", ["title", "links", "owner"]),
        ("# Just a heading\n", []),
    ],
)
def test_front_matter_keys(text: str, expected: list[str]) -> None:
    assert front_matter_keys(text) == expected


def test_compose_writes_every_field_so_that_the_parser_reads_it_back() -> None:
    text = compose(FORM, "vpn-setup", PATH, None, TODAY)
    article = parse_article(text, PATH)

    assert text.startswith("---\ntitle: 'VPN setup: first time'\n")
    assert "\r" not in text and "id:" not in text  # the id is the file's stem
    assert (article.id, article.title, article.summary) == (
        "vpn-setup",
        "VPN setup: first time",
        "Connect from home.",
    )
    assert article.tags == ("vpn", "remote") and article.related == ("wifi",)
    assert (article.audience, article.status, article.type) == ("internal", "review", "how-to")
    assert article.review_by == date(2027, 6, 30) and article.updated == TODAY
    assert article.body == "## Steps\n\nInstall the client.\n"
    assert compose(form_for(article), "vpn-setup", PATH, text, TODAY) == text


def test_compose_keeps_unknown_keys_and_the_files_key_order() -> None:
    existing = (
        "---\nid: vpn-setup\nx-team: network\ntitle: Old\nstatus: draft\n"
        "approvals:\n  - {by: lead, date: 2026-01-02}\n---\nOld body\n"
    )
    text = compose(FORM, "vpn-setup", PATH, existing, TODAY)
    article = parse_article(text, PATH)

    assert front_matter_keys(text)[:4] == ["id", "x-team", "title", "status"]
    assert article.extra == {
        "x-team": "network",
        "approvals": [{"by": "lead", "date": date(2026, 1, 2)}],
    }
    assert article.title == FORM.title


def test_compose_writes_the_id_when_the_file_is_named_otherwise() -> None:
    text = compose(FORM, "vpn-setup", Path("articles/network/vpn.md"), None, TODAY)
    assert text.startswith("---\nid: vpn-setup\n")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"title": "  "}, "title"),
        ({"body": "\n\n"}, "text"),
        ({"audience": "everyone"}, "Audience"),
        ({"status": "done"}, "Status"),
        ({"type": "essay"}, "Type"),
        ({"review_by": "next week"}, "Review by"),
        ({"related": ("Not An Id",)}, "Related"),
        ({"related": ("vpn-setup",)}, "itself"),
        ({"language": "english"}, "language"),
    ],
)
def test_compose_names_each_problem(change: dict[str, object], problem: str) -> None:
    with pytest.raises(FormError) as raised:
        compose(replace(FORM, **change), "vpn-setup", PATH, None, TODAY)  # type: ignore[arg-type]
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    ("current", "allowed"),
    [
        (None, ("draft", "review")),
        ("draft", ("draft", "review", "archived")),
        ("review", ("review", "published", "draft", "archived")),
        ("published", ("published", "archived", "draft")),
        ("archived", ("archived", "draft")),
    ],
)
def test_allowed_statuses(current: str | None, allowed: tuple[str, ...]) -> None:
    assert allowed_statuses(current) == allowed


def test_diff_lines_mark_additions_removals_and_hunks() -> None:
    lines = diff_lines("a\nb\nc\n", "a\nB\nc\n", "revision 1", "revision 2")
    assert [(line.kind, line.text) for line in lines] == [
        ("hunk", "@@ -1,3 +1,3 @@"),
        ("context", " a"),
        ("remove", "-b"),
        ("add", "+B"),
        ("context", " c"),
    ]
    assert diff_lines("same\n", "same\n", "a", "b") == []


def flag(reason: str) -> Flag:
    return Flag(1, "vpn", reason, None, "priya@example.com", datetime(2026, 11, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("status", "review_by", "flags", "reasons"),
    [
        ("published", date(2027, 1, 1), [], ()),
        ("review", None, [], ("waiting for review",)),
        ("published", date(2026, 11, 30), [], ("review was due 2026-11-30",)),
        ("archived", date(2026, 11, 30), [], ()),
        ("published", None, [flag("wrong"), flag("wrong")], ("flagged wrong (2×)",)),
        ("archived", None, [flag("outdated")], ("flagged outdated",)),
    ],
)
def test_review_reasons(
    status: str, review_by: date | None, flags: list[Flag], reasons: tuple[str, ...]
) -> None:
    article = parse_article(f"---\ntitle: VPN\nstatus: {status}\n---\nText\n", PATH)
    assert review_reasons(replace(article, review_by=review_by), flags, TODAY) == reasons


def test_form_from_ticket_takes_subject_symptoms_and_resolution() -> None:
    ticket = StoredTicket(
        number="INC-000007",
        type="incident",
        status="resolved",
        subject="Outlook asks for the password again and again",
        description="Since this morning Outlook keeps prompting.",
        category="email-calendar",
        requester_name=None,
        requester_email="mia@example.com",
        created=datetime(2026, 11, 30, tzinfo=UTC),
        trail={},
        resolution="Removed the stale credential from Credential Manager.",
    )
    form = form_from_ticket(ticket, "priya@example.com")
    assert form.title == ticket.subject and form.category == "email-calendar"
    assert form.body == (
        "## Symptoms\n\nSince this morning Outlook keeps prompting.\n\n"
        "## Resolution\n\nRemoved the stale credential from Credential Manager.\n"
    )
    assert (form.audience, form.status, form.type, form.owner) == (
        "internal",
        "draft",
        "troubleshooting",
        "priya@example.com",
    )


def test_two_saves_from_the_same_text_at_once_keep_one_and_refuse_the_other(
    services: Services, write_article: WriteArticle
) -> None:
    write_article("vpn", "Install the client.")
    services.index_files()
    authoring = services.authoring
    opened = authoring.open("vpn")
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(author: str) -> None:
        form = replace(form_for(opened.article), body=f"Written by {author}.\n")
        start.wait()
        try:
            authoring.save(form, article_id="vpn", base_digest=opened.digest, author=author)
            outcomes[author] = "saved"
        except ConflictError as error:
            outcomes[author] = f"refused: {error.changed_by}"

    threads = [threading.Thread(target=save, args=(name,)) for name in ("ana", "ben")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    loser = next(name for name in outcomes if name != winner)
    assert outcomes[loser] == f"refused: {winner}"
    assert authoring.open("vpn").article.body == f"Written by {winner}.\n"
    assert [revision.author for revision in authoring.history("vpn")] == [winner, None]
    assert services.searcher.document("vpn").body == f"Written by {winner}.\n"  # type: ignore[union-attr]
