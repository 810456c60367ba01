"""No API route answers 500 to any input: a bounded Schemathesis run against /api/openapi.json.

Every operation of the OpenAPI document gets generated requests that fit the schema and requests
that do not, sent in-process to the Flask app by a token-authenticated reviewer, once with
generated path parameters and once with the ids of an annotation and a claim that exist. The run
is derandomized (the same cases every time) and bounded (FUZZ_EXAMPLES cases per variant).
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from tests.factories import SEED_ID
from tests.functional.helpers import payload, signed_in, token_for

# Per operation, mode and path-parameter variant; READER_FUZZ_EXAMPLES=200 for a longer hunt.
FUZZ_EXAMPLES = int(os.environ.get("READER_FUZZ_EXAMPLES", "12"))
CLAIM = {
    "document": SEED_ID,
    "selector": {
        "type": "TextQuoteSelector",
        "exact": "In 1995, Moscow repudiated its military alliance with the North Koreans.",
    },
    "claim_type": "date_or_event",
    "reason": "The year looks wrong",
}


def _existing_ids(app: Flask) -> tuple[dict[str, str], dict[str, Any]]:
    """Make a reviewer with a token, an annotation and a claim; return headers and their ids."""
    client = signed_in(app, "fuzzer", role="reviewer")
    headers = token_for(app, "fuzzer")
    made = client.post("/api/annotations/", json=payload(body="Fuzz target."))
    assert made.status_code == 201
    claim = client.post("/api/claims", json=CLAIM)
    assert claim.status_code == 201
    ids = {
        "doc_id": SEED_ID,
        "annotation_id": made.get_json()["id"].rsplit("/", 1)[1],
        "claim_id": claim.get_json()["id"],
    }
    return headers, ids


def _fuzz(
    operation: Any, mode: GenerationMode, fixed: dict[str, Any] | None, headers: dict[str, str]
) -> list[str]:
    failures: list[str] = []
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        # Hypothesis seeds the global `random` alike for every example; Whoosh names new index
        # segments with it, so a later write would reuse (and truncate) an earlier segment's
        # files. Real processes never share that state (Python reseeds it after fork).
        state = random.getstate()
        random.seed()
        try:
            response = case.call(headers=headers)
        finally:
            random.setstate(state)
        if response.status_code >= 500:
            failures.append(
                f"{response.status_code} {operation.label} ({mode})\n  {case.as_curl_command()}"
            )

    # Unsatisfiable: nothing in this operation can be made invalid (no parameters, no body).
    with contextlib.suppress(Unsatisfiable):
        run()
    return failures


def test_no_api_operation_answers_500(seeded: Flask) -> None:
    headers, ids = _existing_ids(seeded)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", seeded)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        names = {parameter.name for parameter in operation.path_parameters}
        variants: list[dict[str, Any] | None] = [None]
        if names:
            variants.append({name: ids[name] for name in names})
        for fixed in variants:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += _fuzz(operation, mode, fixed, headers)
    assert operations >= 25
    assert not failures, "\n".join(sorted(set(failures)))
