"""The search benchmark's report: each figure with its target, pass/fail and ratio to FTS5."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Row:
    """One reported figure."""

    figure: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None
    vs_fts5: float | None = None  # value / the FTS5 figure for the same thing


def _fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "-"
    if unit == "x":
        return f"{value:.1f}x"
    if unit in ("ms", "s") and value < 10:
        return f"{value:.2f} {unit}"
    if unit in ("ms", "s", "MB"):
        return f"{value:.1f} {unit}"
    return f"{value:,.0f} {unit}".strip()


def table(rows: list[Row]) -> str:
    """A plain-text table."""
    head = ("figure", "value", "target", "result", "vs FTS5")
    lines = [
        (
            row.figure,
            _fmt(row.value, row.unit),
            row.target,
            "" if row.passed is None else ("PASS" if row.passed else "FAIL"),
            "" if row.vs_fts5 is None else f"{row.vs_fts5:.1f}x",
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [head, *lines]) for i in range(len(head))]

    def fmt(cells: tuple[str, ...]) -> str:
        first, *rest = cells
        return "  ".join(
            [first.ljust(widths[0])] + [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
        )

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths), *map(fmt, lines)])


def as_json(rows: list[Row], details: dict[str, Any]) -> dict[str, Any]:
    """The report as JSON-ready data (NaN becomes null)."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean({"figures": [asdict(row) for row in rows], "details": details})
