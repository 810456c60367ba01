"""Output shapes for claims: schema.org ClaimReview JSON-LD and the fact-check report."""

from __future__ import annotations

from typing import Any

from annotations.claims import Claim, Evidence
from annotations.presenters import iso

ORG_NAME = "Annotated Reader"


def claim_url(base: str, claim: Claim) -> str:
    """The public page of a claim."""
    return f"{base}/claims/{claim.id}"


def passage_url(base: str, claim: Claim) -> str:
    """The reader, opened at the claim's passage."""
    return f"{base}/documents/{claim.document_id}#claim-{claim.id}"


def claim_review(claim: Claim, base: str, document_title: str) -> dict[str, Any]:
    """One schema.org ClaimReview for a claim with a verdict in force (or retracted)."""
    verdict = claim.published_verdict or _last_published(claim)
    if verdict is None:
        raise ValueError(f"claim {claim.id} has no published verdict")
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": verdict.scale.label}
    if verdict.scale.value is not None:
        rating |= {"ratingValue": verdict.scale.value, "bestRating": 5, "worstRating": 1}
    first = claim.first_published_at or verdict.published_at
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": claim_url(base, claim),
        "claimReviewed": claim.exact,
        "reviewRating": rating,
        "author": {"@type": "Organization", "name": ORG_NAME, "url": base + "/"},
        "datePublished": iso(first) if first else None,
        "reviewBody": verdict.summary_markdown,
        "itemReviewed": {
            "@type": "Claim",
            "appearance": {
                "@type": "CreativeWork",
                "url": passage_url(base, claim),
                "name": document_title,
                "isBasedOn": f"{base}/documents/{claim.document_id}/original",
            },
        },
    }
    if verdict.published_at and first and verdict.published_at > first:
        data["dateModified"] = iso(verdict.published_at)
    if claim.state == "retracted":
        data["reviewRating"] = {"@type": "Rating", "alternateName": "Retracted"}
    return data


def _last_published(claim: Claim) -> Any:
    published = [v for v in claim.verdicts if v.published_at is not None]
    return published[-1] if published else None


def evidence_by_stance(claim: Claim) -> dict[str, list[Evidence]]:
    """Evidence grouped as supports, refutes, context (each in the order added)."""
    groups: dict[str, list[Evidence]] = {"supports": [], "refutes": [], "context": []}
    for item in claim.evidence:
        groups.setdefault(item.stance, []).append(item)
    return groups


def report_markdown(document_title: str, document_url: str, claims: list[Claim], base: str) -> str:
    """A document's fact-check report in Markdown: passage, verdict, summary, numbered sources."""
    lines = [f"# Fact-check report: {document_title}", "", f"Source document: <{document_url}>", ""]
    if not claims:
        lines.append("No claims in this document have a published verdict yet.")
    for number, claim in enumerate(claims, start=1):
        verdict = claim.published_verdict
        if verdict is None:
            continue
        lines += [
            f"## {number}. {verdict.scale.label}",
            "",
            "> " + claim.exact.replace("\n", "\n> "),
            "",
            f"Verdict: **{verdict.scale.label}** (scale {verdict.scale_version}); "
            f"published {iso(verdict.published_at) if verdict.published_at else ''}; "
            f"<{claim_url(base, claim)}>",
            "",
            verdict.summary_markdown.strip(),
            "",
            "Sources:",
            "",
        ]
        for index, item in enumerate(claim.evidence, start=1):
            excerpt = item.excerpt.replace("\n", " ")
            lines.append(
                f"{index}. [{item.source.title}]({item.source.url}) ({item.stance}): “{excerpt}”"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
