"""Groups: a name, an owner and members; owners add and remove members."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from annotations.accounts import AccountService, User
from annotations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from annotations.models import Group, Membership

MAX_GROUP_NAME = 80


def parse_group_name(raw: object) -> str:
    """Validate a group name: 1-80 printable characters."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("name", "give the group a name")
    name = " ".join(raw.split())
    if len(name) > MAX_GROUP_NAME:
        raise ValidationError("name", f"at most {MAX_GROUP_NAME} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError("name", "control characters are not allowed")
    return name


class GroupService:
    """Creates groups and manages their membership; the caller commits."""

    def __init__(self, session: Session, accounts: AccountService) -> None:
        self.session = session
        self.accounts = accounts

    def create(self, name: str, owner: User) -> Group:
        """Create a group owned (and joined) by owner."""
        group = Group(name=parse_group_name(name), owner=owner)
        group.memberships.append(Membership(user=owner))
        self.session.add(group)
        self.session.flush()
        return group

    def for_user(self, user: User) -> list[Group]:
        """Return the groups a user belongs to, by name."""
        query = (
            select(Group)
            .join(Membership)
            .where(Membership.user_id == user.id)
            .order_by(Group.name, Group.id)
        )
        return list(self.session.scalars(query))

    def get(self, group_id: int, viewer: User) -> Group:
        """Return a group the viewer belongs to; others get NotFound."""
        query = (
            select(Group)
            .where(Group.id == group_id)
            .options(selectinload(Group.memberships).selectinload(Membership.user))
        )
        group = self.session.scalars(query).first()
        if group is None or not any(m.user_id == viewer.id for m in group.memberships):
            raise NotFound(f"no group {group_id}")
        return group

    def add_member(self, group_id: int, username: str, actor: User) -> Membership:
        """Add a user to a group (owner only)."""
        group = self._owned(group_id, actor)
        user = self.accounts.find(username.strip()) if isinstance(username, str) else None
        if user is None:
            raise ValidationError("username", f"no user named {username!r}")
        if any(m.user_id == user.id for m in group.memberships):
            raise Conflict(f"{user.username} is already a member")
        membership = Membership(user=user)
        group.memberships.append(membership)
        self.session.flush()
        return membership

    def remove_member(self, group_id: int, user_id: int, actor: User) -> None:
        """Remove a member (owner only; the owner stays)."""
        group = self._owned(group_id, actor)
        if user_id == group.owner_id:
            raise Conflict("the owner cannot be removed from their group")
        membership = next((m for m in group.memberships if m.user_id == user_id), None)
        if membership is None:
            raise NotFound(f"user {user_id} is not a member")
        group.memberships.remove(membership)
        self.session.flush()

    def _owned(self, group_id: int, actor: User) -> Group:
        group = self.get(group_id, actor)
        if group.owner_id != actor.id:
            raise PermissionDenied("only the group's owner can change its members")
        return group
