"""The `kb` command: thin; each command group is a module that builds Services and calls them."""

from __future__ import annotations

import importlib

import click

# Command name → "module:attribute". A command's module is imported only when it runs (or
# when --help lists them all), so `kb search` does not load the stores, the desk or the
# web server before it answers.
COMMANDS = {
    "index": "kb.cli.index:index",
    "search": "kb.cli.search:search",
    "eval": "kb.cli.evaluate:evaluate",
    "calibrate": "kb.cli.evaluate:calibrate",
    "serve": "kb.cli.serve:serve",
    "user": "kb.cli.user:user",
    "import": "kb.cli.imports:import_group",
    "db": "kb.cli.db:db",
    "migrate": "kb.cli.migrate:migrate",
    "demo": "kb.cli.demo:demo",
    "report": "kb.cli.report:report",
}


class LazyGroup(click.Group):
    """A group whose commands are imported by name on first use."""

    def list_commands(self, context: click.Context) -> list[str]:
        return sorted({*super().list_commands(context), *COMMANDS})

    def get_command(self, context: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module_name, _, attribute = COMMANDS[name].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{COMMANDS[name]} is not a click command")
            self.add_command(command, name)
        return super().get_command(context, name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="kb")
def cli() -> None:
    """kb: knowledge base and self-service search for IT service desks."""


def main() -> None:  # pragma: no cover - for `python -m kb.cli`
    cli(prog_name="kb")
