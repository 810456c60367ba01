"""Benchmark: re-anchoring 10,000 annotations onto a revised version of a long document.

The document (~200 KB) is the seed article's paragraphs, repeated in shuffled order with a
share of their words swapped so that copies differ; the annotations quote word-aligned spans
of 1-40 words; the revision mixes typo fixes, replaced words, rewritten sentences, inserted,
deleted and reordered paragraphs. Everything comes from one seeded RNG. Prints the time, the
time per annotation, the count of each state and the share that needed approximate matching.

Run:  .venv/bin/python -m bench.reanchor [--annotations 10000] [--size 200000] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from collections import Counter

from annotations.anchoring import quote_context
from annotations.offset_map import OffsetMap
from annotations.reanchor import MIN_SCORE, NewAnchor, OldAnchor, reanchor
from corpus.blocks import segment_document
from corpus.shipped import shipped_documents

SEED_ID = "russian-relations-with-north-korea"
WORD = re.compile(r"\w+(?:['’]\w+)*")
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def seed_paragraphs() -> list[str]:
    """The seed article's body paragraphs (blocks of at least 20 words)."""
    document = next(doc for doc in shipped_documents() if doc.document_id == SEED_ID)
    text = segment_document(document.data.decode("utf-8-sig").replace("\r\n", "\n"), "txt").text
    return [block for block in text.split("\n\n") if len(block.split()) >= 20]


def vary(paragraph: str, rng: random.Random, vocabulary: list[str], share: float) -> str:
    """Swap about `share` of a paragraph's words for others from the article."""
    return WORD.sub(lambda m: rng.choice(vocabulary) if rng.random() < share else m[0], paragraph)


def long_document(rng: random.Random, size: int) -> list[str]:
    """Paragraphs totalling about `size` code points, copies of the seed's, each copy varied."""
    paragraphs = seed_paragraphs()
    vocabulary = sorted({w for p in paragraphs for w in WORD.findall(p) if len(w) > 3})
    out: list[str] = []
    while sum(len(p) + 2 for p in out) < size:
        out.append(vary(rng.choice(paragraphs), rng, vocabulary, 0.08))
    return out


def typo(sentence: str, rng: random.Random) -> str:
    """Swap two adjacent letters of one word (or undo such a swap: the same edit)."""
    words = [m for m in WORD.finditer(sentence) if len(m[0]) > 3]
    if not words:
        return sentence
    word = rng.choice(words)
    i = word.start() + rng.randrange(len(word[0]) - 1)
    return sentence[:i] + sentence[i + 1] + sentence[i] + sentence[i + 2 :]


def revise(paragraphs: list[str], rng: random.Random) -> tuple[list[str], Counter[str]]:
    """A realistic revision: per-paragraph edits, then a few sections moved."""
    vocabulary = sorted({w for p in paragraphs for w in WORD.findall(p) if len(w) > 3})
    out: list[str] = []
    edits: Counter[str] = Counter()
    for paragraph in paragraphs:
        roll = rng.random()
        if roll < 0.02:
            edits["deleted paragraph"] += 1
            continue
        if roll < 0.05:
            edits["inserted paragraph"] += 1
            out.append(vary(rng.choice(paragraphs), rng, vocabulary, 0.5))
        sentences = SENTENCE.split(paragraph)
        for i, sentence in enumerate(sentences):
            roll = rng.random()
            if roll < 0.03:
                edits["typo"] += 1
                sentences[i] = typo(sentence, rng)
            elif roll < 0.05:
                edits["replaced word"] += 1
                sentences[i] = vary(sentence, rng, vocabulary, 0.1)
            elif roll < 0.06:
                edits["rewritten sentence"] += 1
                sentences[i] = vary(sentence, rng, vocabulary, 0.6)
        out.append(" ".join(sentences))
    for _ in range(5):  # move a run of 3-8 paragraphs elsewhere
        start = rng.randrange(len(out) - 8)
        run = out[start : start + rng.randint(3, 8)]
        del out[start : start + len(run)]
        at = rng.randrange(len(out))
        out[at:at] = run
        edits["moved section"] += 1
    return out, edits


def make_anchors(text: str, count: int, rng: random.Random) -> list[OldAnchor]:
    """`count` anchors on word-aligned spans of 1-40 words (mostly short) inside a paragraph."""
    words = [(m.start(), m.end()) for m in WORD.finditer(text)]
    anchors: list[OldAnchor] = []
    while len(anchors) < count:
        length = min(40, int(rng.paretovariate(1.2)) + rng.randint(0, 6))
        first = rng.randrange(len(words) - length)
        start, end = words[first][0], words[first + length - 1][1]
        if "\n" in text[start:end]:
            continue
        prefix, suffix = quote_context(text, start, end)
        key = f"a{len(anchors)}"
        anchors.append(OldAnchor(key, start, end, text[start:end], prefix, suffix))
    return anchors


def report(annotations: int, size: int, seed: int) -> str:
    """Build the data, re-anchor once, and return the figures as printable text."""
    rng = random.Random(seed)
    paragraphs = long_document(rng, size)
    revised, edits = revise(paragraphs, rng)
    old, new = "\n\n".join(paragraphs), "\n\n".join(revised)
    anchors = make_anchors(old, annotations, rng)
    load = os.getloadavg()[0]
    began = time.perf_counter()
    mapping = OffsetMap(old, new)
    diffed, cpu = time.perf_counter(), time.process_time()
    results = reanchor(old, new, anchors)  # builds its own OffsetMap: the diff is included
    total, cpu = time.perf_counter() - diffed, time.process_time() - cpu
    mapped = sum(mapping.equal_span(a.start, a.end) is not None for a in anchors)
    approximate = sum(_is_approximate(r) for r in results)
    states = Counter(r.state for r in results)
    lines = [
        f"old text {len(old):,} code points, new text {len(new):,}; edits: "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(edits.items())),
        f"annotations: {len(anchors):,}; MIN_SCORE {MIN_SCORE}; load average {load:.2f}",
        f"diff alone (OffsetMap): {diffed - began:.3f} s",
        f"reanchor total (diff included): {total:.3f} s = "
        f"{total / len(anchors) * 1e6:,.0f} µs per annotation (CPU time {cpu:.3f} s)",
        "states: "
        + ", ".join(f"{s} {states[s]:,}" for s in ("exact", "moved", "changed", "orphaned")),
        f"through the diff: {mapped:,} ({mapped / len(anchors):.1%}); "
        f"exact search: {len(anchors) - mapped - approximate:,}; "
        f"approximate matching: {approximate:,} ({approximate / len(anchors):.1%})",
        f"load average at the end: {os.getloadavg()[0]:.2f}",
    ]
    return "\n".join(lines)


def _is_approximate(result: NewAnchor) -> bool:
    """Only fuzzy scoring gives a changed or orphaned state, or a moved one below 1.0."""
    return result.state in ("changed", "orphaned") or result.score < 1.0


def main() -> None:
    """Parse arguments and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(report(args.annotations, args.size, args.seed))


if __name__ == "__main__":
    main()
