"""Imports every module that defines tables, so Base.metadata is complete (migrations, tests)."""

from __future__ import annotations

from annotations import accounts, anchors, claims, models
from corpus.models import Base

TABLE_MODULES = (accounts, anchors, claims, models)
metadata = Base.metadata
