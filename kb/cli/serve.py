"""`kb serve`: the portal and the JSON API behind gunicorn."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.options import home_option, kb_errors, settings_from


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help=(
        "Requests each worker computes at once; 1, the quickest for search, serves one at a "
        "time (slow clients are read by other threads either way)."
    ),
)
@home_option
def serve(host: str, port: int, workers: int, threads: int, home: Path | None) -> None:
    """Serve the self-service portal and the JSON API (run `kb index` first)."""
    from kb.web.server import serve as run_server

    settings = settings_from(home=home)
    click.echo(f"kb portal on http://{host}:{port}/ ({workers} workers); Ctrl+C stops it", err=True)
    with kb_errors():
        run_server(settings, host, port, workers, threads)
