"""Who may see which annotation, as SQL conditions and as plain checks."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from annotations.accounts import User
from annotations.models import Annotation, Membership


def group_ids_of(session: Session, user: User | None) -> list[int]:
    """Return the ids of the groups a user belongs to."""
    if user is None:
        return []
    return list(session.scalars(select(Membership.group_id).where(Membership.user_id == user.id)))


def visible_condition(user: User | None, group_ids: list[int]) -> ColumnElement[bool]:
    """SQL condition: the annotation's audience includes this user (admins get no extra sight)."""
    clauses: list[ColumnElement[bool]] = [Annotation.visibility == "public"]
    if user is not None:
        clauses.append(Annotation.author_id == user.id)
        if group_ids:
            clauses.append((Annotation.visibility == "group") & Annotation.group_id.in_(group_ids))
    return or_(*clauses) if clauses else false()


def can_see(annotation: Annotation, user: User | None, group_ids: list[int]) -> bool:
    """Plain-Python twin of visible_condition for one loaded annotation."""
    if annotation.visibility == "public":
        return True
    if user is None:
        return False
    if annotation.author_id == user.id:
        return True
    return annotation.visibility == "group" and annotation.group_id in group_ids
