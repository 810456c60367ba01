"""The search benchmark's fixed query mix: seeded strings of every kind the search box takes."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from bench import corpus_gen
from bench.corpus_gen import Vocabulary

# (kind, how many of every 300 queries)
MIX: tuple[tuple[str, int], ...] = (
    ("common term", 30),
    ("rare term", 25),
    ("two terms", 40),
    ("phrase", 40),
    ("prefix", 30),
    ("tag filter", 30),
    ("user filter", 30),
    ("exclusion", 30),
    ("type:passage", 25),
    ("or", 20),
)


@dataclass(frozen=True)
class Query:
    """One query string of the mix and the kind of query it is."""

    kind: str
    text: str


class _Words:
    """Content words by frequency band (never the function words both engines drop)."""

    def __init__(self, vocab: Vocabulary) -> None:
        def band(low: int, high: int, min_length: int = 4) -> list[str]:
            return [
                w
                for w in vocab.content(low, high)
                if len(w) >= min_length and not corpus_gen.is_stopword(w)
            ]

        self.common = band(0, 150)
        self.middle = band(150, 1500)
        self.rare = band(1500, len(vocab.words))
        self.long = band(0, 1000, 7)


def build_mix(
    seed: int,
    count: int,
    vocab: Vocabulary,
    tags: list[str],
    usernames: list[str],
    phrases: list[str],
) -> list[Query]:
    """count query strings in the MIX proportions, the same for the same inputs."""
    rng = random.Random(seed * 7919 + 1)
    words = _Words(vocab)
    tag_totals = corpus_gen.zipf_totals(len(tags), 1.1)
    usable = [p for p in phrases if sum(not corpus_gen.is_stopword(w) for w in p.split()) >= 2]

    def tag() -> str:
        return tags[corpus_gen.zipf_index(rng, tag_totals)]

    makers: dict[str, Callable[[], str]] = {
        "common term": lambda: rng.choice(words.common),
        "rare term": lambda: rng.choice(words.rare),
        "two terms": lambda: f"{rng.choice(words.common)} {rng.choice(words.middle)}",
        "phrase": lambda: '"' + rng.choice(usable) + '"',
        "prefix": lambda: rng.choice(words.long)[: rng.randint(4, 5)] + "*",
        "tag filter": lambda: (
            f"tag:{tag()} {rng.choice(words.common)}" if rng.random() < 0.7 else f"tag:{tag()}"
        ),
        "user filter": lambda: f"user:{rng.choice(usernames)} {rng.choice(words.common)}",
        "exclusion": lambda: f"{rng.choice(words.common)} -{rng.choice(words.common)}",
        "type:passage": lambda: f"type:passage {rng.choice(words.middle)}",
        "or": lambda: f"{rng.choice(words.rare)} OR {rng.choice(words.middle)}",
    }
    slots = [kind for kind, weight in MIX for _ in range(weight)]
    kinds = [slots[i * len(slots) // count] for i in range(count)]  # the MIX proportions
    rng.shuffle(kinds)
    mix = []
    for kind in kinds:
        text = makers[kind]()
        mix.append(Query(kind, re.sub(r"\s+", " ", text).strip()))
    return mix
