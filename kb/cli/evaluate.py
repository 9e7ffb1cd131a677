"""`kb eval` and `kb calibrate`: measure retrieval and fit the deflection model on labelled data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kb.cli.options import evaluation_services, home_option, kb_errors, settings_from
from kb.cli.progress import progress_display
from kb.model import SEARCH_MODES
from kb.services import build_services


@click.command(name="eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(SEARCH_MODES), default="hybrid", show_default=True)
@click.option("--k", "k", default=100, show_default=True, help="Hits kept per query.")
@click.option(
    "--run",
    "run_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line of hits per query here.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the bootstrap over queries.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@home_option
def evaluate(
    folder: Path,
    qrels: Path | None,
    mode: str,
    k: int,
    run_file: Path | None,
    seed: int,
    as_json: bool,
    home: Path | None,
) -> None:
    """Measure retrieval on a BEIR-format FOLDER (corpus.jsonl, queries.jsonl, qrels.tsv).

    Every metric is the mean over judged queries with a bootstrap 95% interval.
    """
    from kb.evaluation.runner import DEFLECTION_FIGURES, write_run
    from kb.evaluation.runner import evaluate as run_evaluation

    with (
        evaluation_services(home) as services,
        kb_errors(),
        progress_display("kb eval") as progress,
    ):
        outcome = run_evaluation(
            services, folder, qrels_path=qrels, mode=mode, k=k, seed=seed, progress=progress
        )
    if run_file is not None:
        with open(run_file, "w", encoding="utf-8") as handle:
            write_run(outcome.results, handle)
    metrics = {
        **outcome.metrics,
        "intervals": {name: list(bounds) for name, bounds in outcome.intervals.items()},
        "bootstrap_seed": seed,
        "deflection_model": outcome.deflection_model,
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
    for name, (low, high) in outcome.intervals.items():
        if name in DEFLECTION_FIGURES:
            continue
        click.echo(f"  {name:<11} {outcome.metrics[name]:.4f}  (95% CI {low:.4f}-{high:.4f})")
    click.echo(
        f"  top answer's deflection estimate over {metrics['answered']} answered queries "
        f"(model fitted on {outcome.deflection_model or 'unknown data'}):"
    )
    for name, label in (("deflection_auroc", "AUROC"), ("deflection_ece", "ECE")):
        low, high = outcome.intervals[name]
        click.echo(f"    {label:<9} {outcome.metrics[name]:.4f}  (95% CI {low:.4f}-{high:.4f})")
    click.echo(f"  mean query {metrics['mean_query_ms']:.1f} ms; total {metrics['seconds']} s")


@click.command()
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
    with (
        evaluation_services(None) as services,
        kb_errors(),
        progress_display("kb calibrate") as progress,
    ):
        outcome = run_calibration(
            services, folder, answerable_path=answerable, shown=shown, progress=progress
        )
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
