"""Evaluation of check-worthiness suggestions against hand labels: precision and recall at k."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from annotations.checkworthy import Suggestion


def load_labels(path: Path) -> dict[str, bool]:
    """Read a labels fixture (a list of {"sentence", "checkworthy", "why"}) into a mapping."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {str(row["sentence"]): bool(row["checkworthy"]) for row in rows}


def base_rate(labels: Mapping[str, bool]) -> float:
    """Share of labelled sentences that are check-worthy: the precision of a random ranking."""
    return sum(labels.values()) / len(labels) if labels else 0.0


def precision_at(suggestions: Sequence[Suggestion], labels: Mapping[str, bool], k: int) -> float:
    """Share of the top k suggestions labelled check-worthy; an unlabelled one is an error."""
    top = suggestions[:k]
    if not top:
        return 0.0
    return sum(_label(s, labels) for s in top) / len(top)


def recall_at(suggestions: Sequence[Suggestion], labels: Mapping[str, bool], k: int) -> float:
    """Share of all check-worthy sentences that appear in the top k suggestions."""
    positives = sum(labels.values())
    if positives == 0:
        return 0.0
    return sum(_label(s, labels) for s in suggestions[:k]) / positives


def _label(suggestion: Suggestion, labels: Mapping[str, bool]) -> bool:
    if suggestion.text not in labels:
        raise KeyError(f"unlabelled sentence: {suggestion.text[:60]!r}")
    return labels[suggestion.text]
