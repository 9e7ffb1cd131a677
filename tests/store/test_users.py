"""The user store: salted hashes, roles, API tokens kept as digests, sign-in failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from kb.errors import InvalidInputError, NotFoundError
from kb.store.tables import ApiTokenRow, UserRow
from kb.store.users import FAILURES_PER_EMAIL, UserStore

PASSWORD = "correct horse battery"


@pytest.fixture
def users(engine: sqlalchemy.Engine) -> UserStore:
    return UserStore(engine)


def test_passwords_are_salted_hashes(users: UserStore, engine: sqlalchemy.Engine) -> None:
    users.add("ana@example.com", PASSWORD, ("agent",))
    users.add("ben@example.com", PASSWORD, ("agent",))
    with Session(engine) as session:
        hashes = [row.password_hash for row in session.query(UserRow)]
    assert len(set(hashes)) == 2, "the same password must hash differently for two users"
    assert all(PASSWORD not in stored for stored in hashes)
    assert users.authenticate("ANA@example.com ", PASSWORD) is not None
    assert users.authenticate("ana@example.com", "wrong password!") is None
    assert users.authenticate("nobody@example.com", PASSWORD) is None


def test_roles_several_per_user_and_validated(users: UserStore) -> None:
    user = users.add("ana@example.com", PASSWORD, ("agent", "manager"), name="Ana")
    assert user.roles == {"agent", "manager"} and user.display_name == "Ana"
    assert user.has_any(("manager",)) and not user.has_any(("admin",))
    with pytest.raises(InvalidInputError, match="unknown role 'wizard'"):
        users.update(user.id, roles=("wizard",))
    with pytest.raises(InvalidInputError, match="already has an account"):
        users.add("ana@example.com", PASSWORD, ("agent",))
    with pytest.raises(InvalidInputError, match="at least 10 characters"):
        users.add("ben@example.com", "short", ("agent",))
    with pytest.raises(InvalidInputError, match="not an email"):
        users.add("ben", PASSWORD, ("agent",))


def test_who_may_be_given_work_of_a_role(users: UserStore) -> None:
    ana = users.add("ana@example.com", PASSWORD, ("agent",))
    users.add("ben@example.com", PASSWORD, ("manager",))
    assert users.acting_as("ANA@example.com", "agent")
    assert not users.acting_as("ben@example.com", "agent")
    assert not users.acting_as("nobody@example.com", "agent")
    users.update(ana.id, active=False)
    assert not users.acting_as("ana@example.com", "agent")
    assert [user.email for user in users.with_role("agent")] == []


def test_sign_ins_end_on_sign_out_a_new_password_or_deactivation(users: UserStore) -> None:
    day = timedelta(days=1)
    user = users.add("ana@example.com", PASSWORD, ("agent",))
    laptop, phone = users.start_session(user.id, day), users.start_session(user.id, day)
    assert users.session_user(laptop, day) == user and users.session_user(phone, day) == user
    users.end_session(laptop)
    assert users.session_user(laptop, day) is None and users.session_user(phone, day) == user
    changed = users.update(user.id, password="another long password")
    assert users.session_user(phone, day) is None
    assert users.authenticate("ana@example.com", PASSWORD) is None
    tablet = users.start_session(user.id, day)
    assert users.session_user(tablet, timedelta(seconds=0)) is None  # outlived its lifetime
    users.update(user.id, active=False)
    assert users.authenticate("ana@example.com", "another long password") is None
    users.update(user.id, active=True)
    assert users.session_user(tablet, day) is None  # stays ended after reactivation
    assert users.session_user("not a secret", day) is None
    assert changed.id == user.id


def test_deactivation_revokes_tokens_for_good(users: UserStore) -> None:
    user = users.add("bot@example.com", PASSWORD, ("agent",))
    _, secret = users.create_token(user.id, "nightly import")
    assert users.user_for_token(secret) is not None
    users.update(user.id, active=False)
    users.update(user.id, active=True)
    assert users.user_for_token(secret) is None
    assert all(token.revoked is not None for token in users.tokens(user.id))


def test_tokens_are_stored_as_digests_and_can_be_revoked(
    users: UserStore, engine: sqlalchemy.Engine
) -> None:
    user = users.add("bot@example.com", PASSWORD, ("agent",))
    token, secret = users.create_token(user.id, "monitoring")
    assert secret.startswith("kb_") and len(secret) > 40
    with Session(engine) as session:
        stored = session.query(ApiTokenRow).one()
        assert secret not in (stored.digest, stored.prefix) and stored.digest != secret
    found = users.user_for_token(secret)
    assert found is not None and found.email == "bot@example.com"
    assert users.tokens(user.id)[0].last_used is not None
    assert users.user_for_token(secret + "x") is None
    assert users.user_for_token("Basic abc") is None

    other = users.add("eve@example.com", PASSWORD, ("agent",))
    with pytest.raises(NotFoundError):
        users.revoke_token(token.id, user_id=other.id)
    users.revoke_token(token.id, user_id=user.id)
    assert users.user_for_token(secret) is None

    _, second = users.create_token(user.id, "second")
    users.update(user.id, active=False)
    assert users.user_for_token(second) is None


def test_sign_in_failures_block_after_the_limit(users: UserStore) -> None:
    for _ in range(FAILURES_PER_EMAIL - 1):
        users.record_failure("ana@example.com", "10.0.0.1")
    assert not users.sign_in_blocked("ana@example.com", "10.0.0.2")
    users.record_failure("ana@example.com", "10.0.0.1")
    assert users.sign_in_blocked("ANA@example.com", "10.0.0.2")
    assert not users.sign_in_blocked("ben@example.com", "10.0.0.2")
    users.clear_failures("ana@example.com")
    assert not users.sign_in_blocked("ana@example.com", "10.0.0.2")
