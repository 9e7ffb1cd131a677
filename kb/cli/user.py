"""`kb user`: accounts, roles and API tokens."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from kb.cli.options import F, home_option, home_services
from kb.errors import KbError
from kb.services import Services
from kb.store.users import ROLES, User, check_password, normal_email


def role_option(help: str) -> Callable[[F], F]:
    return click.option(
        "--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help=help
    )


@click.group()
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
    with home_services(home) as services:
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
    with home_services(home) as services:
        found = _existing_user(services, email)
        changed = services.users.update(found.id, roles=roles)
    click.echo(f"{changed.email}: {', '.join(sorted(changed.roles))}")


@user.command(name="list")
@home_option
def user_list(home: Path | None) -> None:
    """List users with their roles."""
    with home_services(home) as services:
        accounts = services.users.all()
    for account in accounts:
        state = "" if account.active else "  (deactivated)"
        click.echo(f"{account.email}\t{' '.join(sorted(account.roles))}{state}")


@user.command(name="token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. the integration.")
@home_option
def user_token(email: str, name: str, home: Path | None) -> None:
    """Make an API token for a user and print it once (only a digest is stored)."""
    with home_services(home) as services:
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
