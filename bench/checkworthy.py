"""Benchmark: suggested claims on the seed article against hand labels.

Prints precision@10 and @20, the base rate (the precision of a random ranking), recall@20,
and the top suggestions with their reasons and labels. The labels are the test fixture
tests/fixtures/checkworthy_seed.json; the article is the shipped copy of the seed.

Run:  .venv/bin/python -m bench.checkworthy [--top 20]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from annotations.checkworthy import Suggestion, suggest_claims
from annotations.checkworthy_eval import base_rate, load_labels, precision_at, recall_at
from corpus.blocks import segment_document
from corpus.shipped import shipped_documents

SEED_ID = "russian-relations-with-north-korea"
LABELS = Path(__file__).resolve().parents[1] / "tests/fixtures/checkworthy_seed.json"


def seed_suggestions() -> list[Suggestion]:
    """Rank every paragraph sentence of the shipped seed article."""
    document = next(doc for doc in shipped_documents() if doc.document_id == SEED_ID)
    text = document.data.decode("utf-8-sig").replace("\r\n", "\n")
    seg = segment_document(text, "txt")
    return suggest_claims(seg.text, [(b.id, b.kind, b.start, b.end) for b in seg.blocks])


def report(top: int) -> str:
    """Return the evaluation as printable text."""
    labels = load_labels(LABELS)
    ranked = seed_suggestions()
    lines = [
        f"sentences ranked: {len(ranked)}, labelled: {len(labels)}, "
        f"check-worthy: {sum(labels.values())}",
        f"base rate (random precision): {base_rate(labels):.3f}",
        f"precision@10: {precision_at(ranked, labels, 10):.3f}",
        f"precision@20: {precision_at(ranked, labels, 20):.3f}",
        f"recall@20:    {recall_at(ranked, labels, 20):.3f}",
        "",
        f"top {top} (Y = labelled check-worthy):",
    ]
    for rank, suggestion in enumerate(ranked[:top], 1):
        mark = "Y" if labels[suggestion.text] else "-"
        lines.append(f"{rank:>3}. [{mark}] {suggestion.score:5.2f}  {suggestion.text}")
        lines.extend(
            f"        {r.feature:<12} {r.weight:+.2f}  {r.evidence}" for r in suggestion.reasons
        )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--top", type=int, default=20, help="suggestions to list (default 20)")
    print(report(parser.parse_args().top))


if __name__ == "__main__":
    main()
