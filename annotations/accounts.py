"""User accounts, roles and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import DateTime, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from annotations.errors import AuthenticationFailed, Conflict, NotFound, ValidationError
from corpus.models import Base, utcnow

ROLES = ("member", "reviewer", "admin")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
TOKEN_PREFIX = "ar_"
HASH_PROFILES: dict[str, tuple[int, int, int]] = {
    # (time cost, memory in KiB, lanes): argon2-cffi's defaults, RFC 9106's low-memory profile
    "default": (3, 65536, 4),
    # for the test suite only (the app refuses it outside tests): fast and weak
    "fast": (1, 1024, 1),
}
_dummy_hashes: dict[str, str] = {}


def make_hasher(profile: str = "default") -> PasswordHasher:
    """Return the password hasher for a profile name."""
    if profile not in HASH_PROFILES:
        raise ValueError(f"unknown password hash profile {profile!r}")
    time_cost, memory_cost, parallelism = HASH_PROFILES[profile]
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _dummy_hash(hasher: PasswordHasher) -> str:
    # A real hash to verify against when the account does not exist, so timing does not reveal it.
    key = f"{hasher.time_cost}:{hasher.memory_cost}:{hasher.parallelism}"
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


def new_session_token() -> str:
    """Return a fresh random session token (rotated at sign-out to end every session)."""
    return secrets.token_urlsafe(24)


class User(Base):
    """A person who signs in; role is member, reviewer or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="member")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The visibility (and group) last chosen for a non-highlight annotation: the next default.
    last_visibility: Mapped[str | None] = mapped_column(String(10), nullable=True)
    last_group_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Part of the login session's user id: rotating it ends every session signed in before.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all")

    # The session-login protocol (is_authenticated, is_active, get_id), by duck typing.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """Return the id stored in the login session: the user's id and session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return self.role == "admin"

    @property
    def is_reviewer(self) -> bool:
        """True for reviewers and administrators."""
        return self.role in ("reviewer", "admin")


class ApiToken(Base):
    """An API token; only its sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    user: Mapped[User] = relationship(back_populates="tokens")


@dataclass(frozen=True)
class Credentials:
    """A validated username and password."""

    username: str
    password: str


def parse_credentials(username: object, password: object) -> Credentials:
    """Validate a username and password from a form or the CLI."""
    if not isinstance(username, str) or not USERNAME.match(username.strip()):
        raise ValidationError(
            "username",
            "use 2-32 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError("password", f"must be {MIN_PASSWORD}-{MAX_PASSWORD} characters long")
    return Credentials(username.strip(), password)


def hash_token(raw: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class AccountService:
    """Registers, authenticates and manages users and their tokens."""

    def __init__(self, session: Session, hasher: PasswordHasher | None = None) -> None:
        self.session = session
        self.hasher = hasher or make_hasher()

    def find(self, username: str) -> User | None:
        """Return the user with that name (case-insensitive), or None."""
        query = select(User).where(func.lower(User.username) == username.lower())
        return self.session.scalars(query).first()

    def get(self, user_id: int) -> User | None:
        """Return the user with that id, or None."""
        return self.session.get(User, user_id)

    def for_session(self, session_id: str) -> User | None:
        """Return the user a login session's id ("<id>:<token>") names, if still valid."""
        user_id, _, token = session_id.partition(":")
        if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 18 or not token:
            return None
        user = self.get(int(user_id))
        if user is None or not secrets.compare_digest(user.session_token, token):
            return None
        return user

    def end_sessions(self, user: User) -> None:
        """Rotate the user's session token: every session signed in before stops working."""
        user.session_token = new_session_token()

    def register(self, creds: Credentials) -> User:
        """Create a member account; the very first account becomes admin."""
        has_users = self.session.scalar(select(func.count()).select_from(User))
        return self.add_user(creds, "member" if has_users else "admin")

    def add_user(self, creds: Credentials, role: str = "member") -> User:
        """Create an account with a role, or raise Conflict if the name is taken."""
        if role not in ROLES:
            raise ValidationError("role", f"must be one of {', '.join(ROLES)}")
        if self.find(creds.username) is not None:
            raise Conflict(f"the username {creds.username!r} is taken")
        user = User(
            username=creds.username, password_hash=self.hasher.hash(creds.password), role=role
        )
        self.session.add(user)
        self.session.flush()
        return user

    def authenticate(self, username: str, password: str) -> User:
        """Return the user if the password matches, else raise AuthenticationFailed."""
        user = self.find(username) if isinstance(username, str) else None
        try:
            self.hasher.verify(user.password_hash if user else _dummy_hash(self.hasher), password)
        except (VerificationError, InvalidHashError):
            raise AuthenticationFailed("unknown username or wrong password") from None
        if user is None:
            raise AuthenticationFailed("unknown username or wrong password")
        if self.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = self.hasher.hash(password)
        return user

    def create_token(self, username: str) -> str:
        """Create an API token for a user and return it (shown once, stored hashed)."""
        user = self.find(username)
        if user is None:
            raise NotFound(f"no user named {username!r}")
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.session.add(ApiToken(user=user, token_hash=hash_token(raw)))
        self.session.flush()
        return raw

    def user_for_token(self, raw: str) -> User | None:
        """Return the owner of an API token, or None if it is unknown."""
        if not raw.startswith(TOKEN_PREFIX):
            return None
        token = self.session.scalars(
            select(ApiToken).where(ApiToken.token_hash == hash_token(raw))
        ).first()
        if token is None:
            return None
        token.last_used_at = utcnow()
        return token.user
