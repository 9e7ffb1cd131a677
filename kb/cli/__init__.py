"""The `kb` command: thin; each command group is a module that builds Services and calls them."""

from __future__ import annotations

import click

from kb.cli import evaluate, imports, index, search, serve, user


@click.group()
@click.version_option(package_name="kb")
def cli() -> None:
    """kb: knowledge base and self-service search for IT service desks."""


cli.add_command(index.index)
cli.add_command(search.search)
cli.add_command(evaluate.evaluate)
cli.add_command(evaluate.calibrate)
cli.add_command(serve.serve)
cli.add_command(user.user)
cli.add_command(imports.import_group)


def main() -> None:  # pragma: no cover - for `python -m kb.cli`
    cli(prog_name="kb")
