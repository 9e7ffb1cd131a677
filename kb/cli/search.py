"""`kb search`: the KB from the terminal, as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kb.cli.options import home_option, kb_errors, settings_from
from kb.errors import KbError
from kb.model import SEARCH_MODES, Filters, SearchHit, SearchQuery, SearchResult
from kb.selfservice import confidence_band
from kb.services import build_services
from kb.web.presenters import CONFIDENCE_LABELS


@click.command()
@click.argument("query", required=False)
@click.option("--k", "k", default=10, show_default=True, help="How many hits to show.")
@click.option("--mode", type=click.Choice(SEARCH_MODES), default="hybrid", show_default=True)
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
            if as_json:
                payload = result_json(result, services.confident_threshold())
                click.echo(json.dumps(payload, indent=2))
            else:
                click.echo(render(result))
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
        "confidence": confidence_band(hit.deflection),
        # The portal's words for the band; outside a request they are the English ones.
        "label": str(CONFIDENCE_LABELS[confidence_band(hit.deflection)]),
    }


def result_json(result: SearchResult, confident_threshold: float) -> dict[str, Any]:
    """The result as /api/v1/search words it: `confident` by the portal's own threshold."""
    return {
        "query": result.query.text,
        "mode": result.query.mode,
        "deflection": round(result.deflection, 4),
        "confident": bool(result.hits) and result.deflection >= confident_threshold,
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
