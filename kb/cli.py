"""The `kb` command: thin; it builds Services from settings and calls them."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from kb.config import Settings, load_settings
from kb.errors import KbError
from kb.indexer.sources import read_ticket_export
from kb.indexer.tickets import TICKET_FIELDS
from kb.model import Filters, SearchHit, SearchQuery, SearchResult
from kb.services import Services, build_services
from kb.store.users import ROLES, User, check_password, normal_email

F = TypeVar("F", bound=Callable[..., Any])
MODES = ("hybrid", "keyword", "semantic")


def home_option(function: F) -> F:
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="KB home folder (default: $KB_HOME or ./.kb).",
    )(function)


@contextmanager
def kb_errors() -> Iterator[None]:
    """Turn kb's own errors into one clear line and a non-zero exit."""
    try:
        yield
    except KbError as error:
        raise click.ClickException(str(error)) from None


def settings_from(**overrides: Any) -> Settings:
    with kb_errors():
        return load_settings(overrides)


@click.group()
@click.version_option(package_name="kb")
def cli() -> None:
    """kb: knowledge base and self-service search for IT service desks."""


@cli.command()
@click.option("--articles", type=click.Path(path_type=Path), help="Articles folder.")
@click.option("--tickets", type=click.Path(path_type=Path), help="Resolved-ticket export.")
@home_option
@click.option("--strict", is_flag=True, help="Exit non-zero when any file or row is broken.")
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only changes.")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def index(
    articles: Path | None,
    tickets: Path | None,
    home: Path | None,
    strict: bool,
    rebuild: bool,
    quiet: bool,
) -> None:
    """Index the articles folder (and a ticket export) into the KB home."""
    settings = settings_from(home=home, articles_dir=articles, tickets_file=tickets)
    with kb_errors():
        services = build_services(settings)
        report = services.index_files(rebuild=rebuild)
    for error in report.errors:
        click.echo(f"skipped {error}", err=True)
    for document_id in report.kept_after_error:
        click.echo(f"kept the last good version of {document_id}", err=True)
    if not quiet:
        click.echo(
            f"{settings.home}: generation {report.generation}: {report.documents} documents, "
            f"{report.chunks} chunks; {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.removed)} removed, {report.unchanged} unchanged; "
            f"{report.chunks_embedded} chunks embedded in {report.seconds:.1f} s"
        )
    if strict and report.errors:
        raise click.ClickException(
            f"{len(report.errors)} problem(s) in the sources (see above); --strict fails on any"
        )


@cli.command()
@click.argument("query", required=False)
@click.option("--k", "k", default=10, show_default=True, help="How many hits to show.")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--category", multiple=True, help="Only this category (repeatable).")
@click.option("--tag", multiple=True, help="Only documents with this tag (repeatable: all).")
@click.option("--kind", multiple=True, type=click.Choice(("article", "ticket")))
@click.option("--language", multiple=True, help="Only this language code (repeatable).")
@click.option(
    "--audience",
    multiple=True,
    type=click.Choice(("public", "internal")),
    help="Only this audience (default: both; a requester sees only public).",
)
@home_option
def search(
    query: str | None,
    k: int,
    mode: str,
    as_json: bool,
    category: tuple[str, ...],
    tag: tuple[str, ...],
    kind: tuple[str, ...],
    language: tuple[str, ...],
    audience: tuple[str, ...],
    home: Path | None,
) -> None:
    """Search the KB. Without QUERY, asks for queries until an empty line."""
    settings = settings_from(home=home)
    filters = Filters(
        categories=category,
        tags=tuple(t.lower() for t in tag),
        kinds=kind,
        languages=language,
        audiences=audience,
    )
    with kb_errors():
        services = build_services(settings)
        services.searcher.warm()
        if query is not None:
            result = services.searcher.search(SearchQuery(query, k=k, mode=mode, filters=filters))
            click.echo(json.dumps(result_json(result), indent=2) if as_json else render(result))
            return
        click.echo("Type a question and press Enter; an empty line quits.", err=True)
        while True:
            text = click.prompt("search", default="", show_default=False, err=True)
            if not text.strip():
                return
            try:
                result = services.searcher.search(
                    SearchQuery(text, k=k, mode=mode, filters=filters)
                )
            except KbError as error:
                click.echo(f"error: {error}", err=True)
                continue
            click.echo(render(result))


def hit_json(hit: SearchHit) -> dict[str, Any]:
    document = hit.document
    return {
        "id": document.id,
        "kind": document.kind,
        "title": document.title,
        "url": hit_location(hit),
        "section": " > ".join(hit.chunk.heading_path),
        "snippet": hit.snippet.plain,
        "category": document.category,
        "language": document.language,
        "audience": document.audience,
        "score": round(hit.score, 6),
        "deflection": round(hit.deflection, 4),
    }


def result_json(result: SearchResult) -> dict[str, Any]:
    return {
        "query": result.query.text,
        "mode": result.query.mode,
        "deflection": round(result.deflection, 4),
        "took_ms": round(result.took_ms, 2),
        "hits": [hit_json(hit) for hit in result.hits],
    }


def hit_location(hit: SearchHit) -> str:
    path = hit.document.metadata.get("path") or hit.document.id
    return f"{path}#{hit.chunk.anchor}" if hit.chunk.anchor else str(path)


def render(result: SearchResult) -> str:
    if not result.hits:
        return "No matching articles or resolved tickets."
    lines = [
        f"{len(result.hits)} hits in {result.took_ms:.0f} ms; "
        f"chance one of the top answers solves it: {result.deflection:.0%}"
    ]
    for number, hit in enumerate(result.hits, start=1):
        document = hit.document
        facts = " · ".join(
            part
            for part in (
                document.kind,
                document.category,
                document.language,
                "internal" if document.audience == "internal" else None,
            )
            if part
        )
        lines.append("")
        lines.append(f"{number}. {document.title}  [{facts}]")
        lines.append(
            f"   score {hit.score:.3f}  deflection {hit.deflection:.0%}  {hit_location(hit)}"
        )
        if hit.chunk.heading_path:
            lines.append(f"   section: {' > '.join(hit.chunk.heading_path)}")
        lines.append(f"   {hit.snippet.marked('[', ']')}")
    return "\n".join(lines)


@cli.command(name="eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--k", "k", default=100, show_default=True, help="Hits kept per query.")
@click.option(
    "--run",
    "run_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line of hits per query here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@home_option
def evaluate(
    folder: Path,
    qrels: Path | None,
    mode: str,
    k: int,
    run_file: Path | None,
    as_json: bool,
    home: Path | None,
) -> None:
    """Measure retrieval on a BEIR-format FOLDER (corpus.jsonl, queries.jsonl, qrels.tsv)."""
    from kb.evaluation.runner import evaluate as run_evaluation
    from kb.evaluation.runner import write_run

    with _evaluation_services(home) as services, kb_errors():
        outcome = run_evaluation(services, folder, qrels_path=qrels, mode=mode, k=k)
    if run_file is not None:
        with open(run_file, "w", encoding="utf-8") as handle:
            write_run(outcome.results, handle)
    metrics = {
        **outcome.metrics,
        "mode": mode,
        "documents": outcome.index.documents,
        "chunks": outcome.index.chunks,
        "mean_query_ms": round(outcome.mean_query_ms, 2),
        "seconds": round(outcome.seconds, 1),
    }
    if as_json:
        click.echo(json.dumps(metrics, indent=2))
        return
    click.echo(
        f"{folder} ({mode}, {metrics['queries']} judged queries, {metrics['documents']} documents)"
    )
    for name in ("ndcg@10", "recall@10", "recall@100", "mrr@10"):
        click.echo(f"  {name:<11} {metrics[name]:.4f}")
    click.echo(f"  mean query {metrics['mean_query_ms']:.1f} ms; total {metrics['seconds']} s")


@cli.command()
@click.argument(
    "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False
)
@click.option("--from-events", is_flag=True, help="Refit from the portal's recorded outcomes.")
@click.option(
    "--answerable",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="answerable.tsv: which queries have an answer in the corpus.",
)
@click.option("--shown", default=3, show_default=True, help="Answers shown per request.")
@click.option("--json", "as_json", is_flag=True, help="Print the measurements as JSON.")
@click.option("--dry-run", is_flag=True, help="Measure only; do not save the model.")
@home_option
def calibrate(
    folder: Path | None,
    from_events: bool,
    answerable: Path | None,
    shown: int,
    as_json: bool,
    dry_run: bool,
    home: Path | None,
) -> None:
    """Fit the deflection model on a labelled BEIR FOLDER (or --from-events) and save it."""
    from kb.evaluation.runner import calibrate as run_calibration
    from kb.evaluation.runner import calibrate_from_events
    from kb.search.searcher import CALIBRATION_FILE

    settings = settings_from(home=home)
    target = settings.home / CALIBRATION_FILE
    if from_events == (folder is not None):
        raise click.UsageError("give either a BEIR FOLDER or --from-events")
    if from_events:
        with kb_errors():
            services = build_services(settings)
            try:
                result = calibrate_from_events(services)
            finally:
                services.close()
        if not dry_run:
            settings.home.mkdir(parents=True, exist_ok=True)
            target.write_text(result.model.to_json(), "utf-8")
        click.echo(
            json.dumps(result.metrics, indent=2)
            if as_json
            else (
                f"refitted from {result.metrics['suggestions']} suggestions and "
                f"{result.metrics['sessions']} sessions with an outcome; in-sample AUROC "
                f"{result.metrics['in_sample_auroc']:.3f}; "
                + ("not saved (--dry-run)" if dry_run else f"saved {target}")
            )
        )
        return
    assert folder is not None
    if answerable is None and (folder / "answerable.tsv").is_file():
        answerable = folder / "answerable.tsv"
    with _evaluation_services(None) as services, kb_errors():
        outcome = run_calibration(services, folder, answerable_path=answerable, shown=shown)
    if not dry_run:
        settings.home.mkdir(parents=True, exist_ok=True)
        target.write_text(outcome.model.to_json(), "utf-8")
    if as_json:
        click.echo(json.dumps(outcome.metrics, indent=2))
        return
    metrics = outcome.metrics
    click.echo(f"{folder}: {metrics['queries']} queries (5-fold cross-validated figures)")
    click.echo(f"  top answer resolves in {metrics['top_answer_resolves_rate']:.1%} of queries")
    click.echo(
        f"  top-answer deflection AUROC {metrics['top_answer_auroc']:.4f}, "
        f"ECE {metrics['top_answer_ece']:.4f}, Brier {metrics['top_answer_brier']:.4f}"
    )
    click.echo(f"  query-level AUROC {metrics['query_auroc']:.4f}, ECE {metrics['query_ece']:.4f}")
    if "answerable_auroc" in metrics:
        click.echo(f"  knows when there is no answer: AUROC {metrics['answerable_auroc']:.4f}")
    for row in metrics["thresholds"]:
        click.echo(
            f"  show when ≥ {row['threshold']:.1f}: coverage {row['coverage']:.1%}, "
            f"precision {row['precision']:.1%}"
        )
    click.echo("not saved (--dry-run)" if dry_run else f"saved {target}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker; 1 serves one request at a time per worker, the quickest for search.",
)
@home_option
def serve(host: str, port: int, workers: int, threads: int, home: Path | None) -> None:
    """Serve the self-service portal and the JSON API (run `kb index` first)."""
    from kb.web.server import serve as run_server

    settings = settings_from(home=home)
    click.echo(f"kb portal on http://{host}:{port}/ ({workers} workers); Ctrl+C stops it", err=True)
    with kb_errors():
        run_server(settings, host, port, workers, threads)


def role_option(help: str) -> Callable[[F], F]:
    return click.option(
        "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help=help
    )


@cli.group()
def user() -> None:
    """Manage accounts: add users, change roles, make API tokens."""


@user.command(name="add")
@click.argument("email")
@role_option("A role to grant (repeatable).")
@click.option("--name", help="The person's name, as shown in the desk.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
@home_option
def user_add(
    email: str, roles: tuple[str, ...], name: str | None, password_stdin: bool, home: Path | None
) -> None:
    """Add a user; asks for a password (at least 10 characters) unless --password-stdin."""
    services = build_services(settings_from(home=home))
    with kb_errors():
        normal_email(email)
        if services.users.find(email) is not None:
            raise KbError(f"{email} already has an account; use `kb user roles` to change it")
        password = _read_password(password_stdin)
        added = services.users.add(email, password, roles, name=name)
    click.echo(f"added {added.email} with roles: {', '.join(sorted(added.roles))}")


@user.command(name="roles")
@click.argument("email")
@role_option("The user's roles from now on (repeatable).")
@home_option
def user_roles(email: str, roles: tuple[str, ...], home: Path | None) -> None:
    """Set a user's roles."""
    services = build_services(settings_from(home=home))
    with kb_errors():
        found = _existing_user(services, email)
        changed = services.users.update(found.id, roles=roles)
    click.echo(f"{changed.email}: {', '.join(sorted(changed.roles))}")


@user.command(name="list")
@home_option
def user_list(home: Path | None) -> None:
    """List users with their roles."""
    services = build_services(settings_from(home=home))
    for account in services.users.all():
        state = "" if account.active else "  (deactivated)"
        click.echo(f"{account.email}\t{' '.join(sorted(account.roles))}{state}")


@user.command(name="token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. the integration.")
@home_option
def user_token(email: str, name: str, home: Path | None) -> None:
    """Make an API token for a user and print it once (only a digest is stored)."""
    services = build_services(settings_from(home=home))
    with kb_errors():
        found = _existing_user(services, email)
        _, secret = services.users.create_token(found.id, name)
    click.echo(secret)


def _existing_user(services: Services, email: str) -> User:
    found = services.users.find(email)
    if found is None:
        raise KbError(f"no user {email}; add one with `kb user add {email} --role agent`")
    return found


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line: str = sys.stdin.readline()
        password = line.rstrip("\n")
    else:
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    check_password(password)
    return password


@cli.group(name="import")
def import_group() -> None:
    """Bring knowledge in from other tools."""


@import_group.command(name="tickets")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(("csv", "jsonl")),
    help="The file's format (default: from its suffix).",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Read kb's FIELD from the export's COLUMN, e.g. --map subject=Summary (repeatable).",
)
@click.option("--open", "include_open", is_flag=True, help="Also import tickets not resolved.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; import nothing.")
@home_option
def import_tickets(
    file: Path,
    file_format: str | None,
    mappings: tuple[str, ...],
    include_open: bool,
    dry_run: bool,
    home: Path | None,
) -> None:
    """Import tickets from a CSV or JSON-lines export; resolved ones become knowledge.

    Bad rows are reported by line and skipped; the good rows are imported together in one
    transaction, so a failure part-way imports none. Tickets imported before (same id in the
    other tool) are skipped.
    """
    mapping = _mapping(mappings)
    services = build_services(settings_from(home=home))
    with kb_errors():
        tickets, errors = read_ticket_export(
            file, mapping, file_format=file_format, resolved_only=not include_open
        )
    for error in errors:
        click.echo(f"skipped {error}", err=True)
    if dry_run:
        click.echo(f"{len(tickets)} tickets would be imported, {len(errors)} rows skipped")
        return
    already = services.tickets.external_ids()
    fresh = [ticket for ticket in tickets if ticket.id not in already]
    with kb_errors():
        report = services.desk.import_tickets(fresh, actor="kb import")
    click.echo(
        f"imported {len(fresh)} tickets ({len(tickets) - len(fresh)} imported before), "
        f"{len(errors)} rows skipped; {len(report.added) + len(report.updated)} resolved "
        f"tickets indexed as knowledge"
    )


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field_name, separator, column = pair.partition("=")
        if not separator or not field_name.strip() or not column.strip():
            raise click.BadParameter(f"{pair!r}: write FIELD=COLUMN", param_hint="--map")
        if field_name.strip() not in TICKET_FIELDS:
            raise click.BadParameter(
                f"{field_name.strip()!r} is not a ticket field; use one of: "
                + ", ".join(TICKET_FIELDS),
                param_hint="--map",
            )
        mapping[field_name.strip()] = column.strip()
    return mapping


@contextmanager
def _evaluation_services(home: Path | None) -> Iterator[Services]:
    """Services on `home`, or on a temporary home removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as scratch:
        settings = settings_from(home=home or Path(scratch))
        with kb_errors():
            services = build_services(settings)
        try:
            yield services
        finally:
            services.close()


def main() -> None:  # pragma: no cover - for `python -m kb`
    cli(prog_name="kb")


if __name__ == "__main__":  # pragma: no cover
    main()
