"""Accounts: registration, roles, password checks and API tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from annotations.accounts import AccountService, ApiToken, parse_credentials
from annotations.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from tests.factories import FAST_HASHER, PASSWORD


def test_first_registered_account_is_admin_then_members(session: Session) -> None:
    accounts = AccountService(session, FAST_HASHER)
    first = accounts.register(parse_credentials("alice", PASSWORD))
    second = accounts.register(parse_credentials("bob", PASSWORD))
    assert (first.role, second.role) == ("admin", "member")


def test_passwords_are_hashed_and_checked(session: Session) -> None:
    accounts = AccountService(session, FAST_HASHER)
    user = accounts.register(parse_credentials("alice", PASSWORD))
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2")
    assert accounts.authenticate("ALICE", PASSWORD) is user
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate("alice", PASSWORD + "x")
    with pytest.raises(AuthenticationFailed, match="unknown username or wrong password"):
        accounts.authenticate("nobody", PASSWORD)


def test_username_taken_case_insensitively(session: Session) -> None:
    accounts = AccountService(session, FAST_HASHER)
    accounts.register(parse_credentials("Alice", PASSWORD))
    with pytest.raises(Conflict, match="taken"):
        accounts.register(parse_credentials("alice", PASSWORD))


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("a", PASSWORD, "username"),
        ("has space", PASSWORD, "username"),
        ("<script>", PASSWORD, "username"),
        ("x" * 33, PASSWORD, "username"),
        (None, PASSWORD, "username"),
        ("alice", "short", "password"),
        ("alice", "p" * 257, "password"),
        ("alice", 12345678901, "password"),
    ],
)
def test_bad_credentials_name_the_field(username: object, password: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_credentials(username, password)
    assert caught.value.field == field


def test_unknown_role_is_refused(session: Session) -> None:
    with pytest.raises(ValidationError, match="role"):
        AccountService(session, FAST_HASHER).add_user(parse_credentials("carol", PASSWORD), "owner")


def test_tokens_are_stored_hashed_and_resolve_to_their_user(session: Session) -> None:
    accounts = AccountService(session, FAST_HASHER)
    user = accounts.add_user(parse_credentials("dana", PASSWORD), "reviewer")
    raw = accounts.create_token("dana")
    stored = session.scalars(select(ApiToken)).one()
    assert raw.startswith("ar_")
    assert len(raw) > 40
    assert raw not in stored.token_hash
    assert accounts.user_for_token(raw) is user
    assert stored.last_used_at is not None
    assert accounts.user_for_token(raw + "x") is None
    assert accounts.user_for_token("not-a-token") is None
    with pytest.raises(NotFound):
        accounts.create_token("nobody")


def test_default_hasher_uses_argon2id_with_64_mib() -> None:
    from annotations.accounts import make_hasher

    hasher = make_hasher()
    assert (hasher.memory_cost, hasher.time_cost) == (65536, 3)
    with pytest.raises(ValueError, match="unknown password hash profile"):
        make_hasher("weak")
