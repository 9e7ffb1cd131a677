"""Accounts: users with roles and salted password hashes, sign-ins, API tokens, failed sign-ins."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from kb.errors import InvalidInputError, NotFoundError
from kb.store.tables import ApiTokenRow, LoginFailureRow, SignInRow, UserRow
from kb.validation import EMAIL

ROLES = ("requester", "agent", "manager", "admin")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "kb_"
# Sign-in failures allowed per email, and per network address, within the window.
FAILURES_PER_EMAIL = 5
FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
# A stand-in hash checked when the email is unknown, so both cases take the same time.
_UNKNOWN_USER_HASH = generate_password_hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str | None
    roles: frozenset[str]
    active: bool
    created: datetime

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def has_any(self, roles: tuple[str, ...] | frozenset[str]) -> bool:
        return bool(self.roles & set(roles))

    def acts_as(self, role: str) -> bool:
        """Whether the user is active and holds `role`: who may be given work of that role."""
        return self.active and role in self.roles


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    prefix: str
    created: datetime
    last_used: datetime | None
    revoked: datetime | None


def check_roles(roles: tuple[str, ...] | list[str] | set[str] | frozenset[str]) -> frozenset[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InvalidInputError(f"unknown role {unknown[0]!r}; use one of: {', '.join(ROLES)}")
    if not roles:
        raise InvalidInputError(f"give at least one role: {', '.join(ROLES)}")
    return frozenset(roles)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
            key="password_too_short",
            limit=MIN_PASSWORD_LENGTH,
        )
    if len(password) > 1024:
        raise InvalidInputError(
            "a password must be under 1,024 characters", key="password_too_long"
        )
    return password


def normal_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInputError(f"{email!r} is not an email address like ana@example.com")
    return email


class UserStore:
    """Users, tokens and sign-in failures in the store's database."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine

    def add(
        self, email: str, password: str, roles: tuple[str, ...], name: str | None = None
    ) -> User:
        """Create a user; InvalidInputError for a taken email, an unknown role or a short
        password."""
        email = normal_email(email)
        role_set = check_roles(roles)
        check_password(password)
        with Session(self.engine) as session, session.begin():
            if session.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
                raise InvalidInputError(f"{email} already has an account; change its roles instead")
            row = UserRow(
                email=email,
                name=(name or "").strip() or None,
                password_hash=generate_password_hash(password),
                roles=" ".join(sorted(role_set)),
                active=True,
                created=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            return _user(row)

    def get(self, user_id: int) -> User | None:
        with Session(self.engine) as session:
            row = session.get(UserRow, user_id)
            return None if row is None else _user(row)

    def find(self, email: str) -> User | None:
        with Session(self.engine) as session:
            row = session.scalars(
                select(UserRow).where(UserRow.email == email.strip().lower())
            ).one_or_none()
            return None if row is None else _user(row)

    def all(self) -> list[User]:
        with Session(self.engine) as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.email))]

    def with_role(self, role: str) -> list[User]:
        return [user for user in self.all() if user.acts_as(role)]

    def acting_as(self, email: str, role: str) -> bool:
        """Whether `email` belongs to an active user holding `role`."""
        user = self.find(email)
        return user is not None and user.acts_as(role)

    def count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(UserRow)) or 0

    def authenticate(self, email: str, password: str) -> User | None:
        """The active user with this email and password, or None (in constant-ish time)."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(UserRow).where(UserRow.email == email.strip().lower())
            ).one_or_none()
            if row is None:
                check_password_hash(_UNKNOWN_USER_HASH, password)
                return None
            if not check_password_hash(row.password_hash, password) or not row.active:
                return None
            return _user(row)

    def update(
        self,
        user_id: int,
        *,
        roles: tuple[str, ...] | None = None,
        active: bool | None = None,
        name: str | None = None,
        password: str | None = None,
    ) -> User:
        """Change what is given. A new password or deactivation ends every sign-in of the user;
        deactivating also revokes their API tokens, which stay revoked if it is activated again."""
        with Session(self.engine) as session, session.begin():
            row = session.get(UserRow, user_id)
            if row is None:
                raise NotFoundError(f"there is no user number {user_id}")
            if roles is not None:
                row.roles = " ".join(sorted(check_roles(roles)))
            if active is not None:
                row.active = active
            if name is not None:
                row.name = name.strip() or None
            if password is not None:
                row.password_hash = generate_password_hash(check_password(password))
            if password is not None or active is False:
                session.execute(delete(SignInRow).where(SignInRow.user_id == user_id))
            if active is False:
                session.execute(
                    update(ApiTokenRow)
                    .where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked.is_(None))
                    .values(revoked=datetime.now(UTC))
                )
            return _user(row)

    # Sign-ins (browser sessions)

    def start_session(self, user_id: int, lifetime: timedelta) -> str:
        """A new sign-in for the user; returns the secret its cookie carries.

        Sign-ins older than `lifetime`, which no longer open anything, are deleted meanwhile.
        """
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(SignInRow).where(SignInRow.created < now - lifetime))
            session.add(SignInRow(user_id=user_id, digest=_digest(secret), created=now))
        return secret

    def session_user(self, secret: str, lifetime: timedelta) -> User | None:
        """The active user of a sign-in that has not ended nor outlived `lifetime`, or None."""
        if len(secret) > 200:
            return None
        with Session(self.engine) as session:
            found = session.execute(
                select(SignInRow, UserRow)
                .join(UserRow, UserRow.id == SignInRow.user_id)
                .where(SignInRow.digest == _digest(secret))
            ).one_or_none()
            if found is None:
                return None
            sign_in, user = found
            if not user.active or sign_in.created < datetime.now(UTC) - lifetime:
                return None
            return _user(user)

    def end_session(self, secret: str) -> None:
        """Sign out: the sign-in with this secret opens nothing from now on."""
        with Session(self.engine) as session, session.begin():
            session.execute(delete(SignInRow).where(SignInRow.digest == _digest(secret)))

    # API tokens

    def create_token(self, user_id: int, name: str) -> tuple[ApiToken, str]:
        """A new token for the user: the stored record and the secret, shown only now."""
        name = name.strip()
        if not name or len(name) > 128:
            raise InvalidInputError(
                "name the token (up to 128 characters), e.g. the integration's name",
                key="token_name",
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with Session(self.engine) as session, session.begin():
            row = ApiTokenRow(
                user_id=user_id,
                name=name,
                digest=_digest(secret),
                prefix=secret[:10],
                created=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            return _token(row), secret

    def tokens(self, user_id: int | None = None) -> list[ApiToken]:
        statement = select(ApiTokenRow).order_by(ApiTokenRow.created.desc(), ApiTokenRow.id)
        if user_id is not None:
            statement = statement.where(ApiTokenRow.user_id == user_id)
        with Session(self.engine) as session:
            return [_token(row) for row in session.scalars(statement)]

    def revoke_token(self, token_id: int, user_id: int | None = None) -> None:
        """Revoke a token (only the user's own when `user_id` is given); NotFoundError if none."""
        with Session(self.engine) as session, session.begin():
            row = session.get(ApiTokenRow, token_id)
            if row is None or (user_id is not None and row.user_id != user_id):
                raise NotFoundError(
                    f"there is no token number {token_id} to revoke", key="no_token"
                )
            row.revoked = row.revoked or datetime.now(UTC)

    def user_for_token(self, secret: str) -> User | None:
        """The active user behind a live token, or None; notes when the token was used."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        with Session(self.engine) as session, session.begin():
            token = session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.digest == _digest(secret))
            ).one_or_none()
            if token is None or token.revoked is not None:
                return None
            user = session.get(UserRow, token.user_id)
            if user is None or not user.active:
                return None
            token.last_used = datetime.now(UTC)
            return _user(user)

    # Sign-in rate limiting

    def failure_count(self, email: str, address: str | None) -> tuple[int, int]:
        """Recent failures for this email and for this address."""
        since = datetime.now(UTC) - FAILURE_WINDOW
        with Session(self.engine) as session:
            by_email = session.scalar(
                select(func.count())
                .select_from(LoginFailureRow)
                .where(LoginFailureRow.email == email.strip().lower(), LoginFailureRow.at >= since)
            )
            by_address = session.scalar(
                select(func.count())
                .select_from(LoginFailureRow)
                .where(LoginFailureRow.address == address, LoginFailureRow.at >= since)
            )
            return by_email or 0, by_address or 0

    def sign_in_blocked(self, email: str, address: str | None) -> bool:
        by_email, by_address = self.failure_count(email, address)
        return by_email >= FAILURES_PER_EMAIL or by_address >= FAILURES_PER_ADDRESS

    def record_failure(self, email: str, address: str | None) -> None:
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(LoginFailureRow).where(LoginFailureRow.at < now - FAILURE_WINDOW)
            )
            session.add(LoginFailureRow(email=email.strip().lower()[:320], address=address, at=now))

    def clear_failures(self, email: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(LoginFailureRow).where(LoginFailureRow.email == email.strip().lower())
            )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        roles=frozenset(row.roles.split()),
        active=row.active,
        created=row.created,
    )


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        created=row.created,
        last_used=row.last_used,
        revoked=row.revoked,
    )
