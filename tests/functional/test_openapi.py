"""The OpenAPI 3.1 description: complete (every /api route and method), well formed, truthful."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from tests.functional.helpers import payload, signed_in

SPEC_PATH = Path(__file__).resolve().parents[2] / "reader" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Flask adds HEAD and OPTIONS to every route; they must be documented where the Protocol uses them
PROTOCOL_PATHS = {
    "/api/annotations/",
    "/api/documents/{doc_id}/annotations/",
    "/api/annotations/{annotation_id}",
}
# Just enough of the OpenAPI 3.1 structure to catch a malformed hand edit.
STRUCTURE = {
    "type": "object",
    "required": ["openapi", "info", "paths", "components"],
    "properties": {
        "openapi": {"type": "string", "pattern": r"^3\.1\.\d+$"},
        "info": {
            "type": "object",
            "required": ["title", "version"],
            "properties": {"title": {"type": "string"}, "version": {"type": "string"}},
        },
        "paths": {
            "type": "object",
            "propertyNames": {"pattern": "^/"},
            "additionalProperties": {
                "type": "object",
                "propertyNames": {"enum": [*sorted(METHODS), "parameters", "summary"]},
                "additionalProperties": {"$ref": "#/$defs/operation"},
                "properties": {"parameters": {"type": "array"}},
            },
        },
    },
    "$defs": {
        "operation": {
            "type": "object",
            "required": ["responses", "operationId", "summary"],
            "properties": {
                "responses": {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": "^[1-5][0-9][0-9]$"},
                    "additionalProperties": {
                        "anyOf": [
                            {"type": "object", "required": ["$ref"]},
                            {"type": "object", "required": ["description"]},
                        ]
                    },
                },
                "parameters": {"type": "array"},
                "security": {"type": "array"},
            },
        }
    },
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods or ():
                if method not in ("HEAD", "OPTIONS"):
                    found.add((_openapi_path(rule.rule), method.lower()))
    return found


def _documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }


def node_ref(ref: str) -> list[str]:
    assert ref.startswith("#/"), ref
    return ref[2:].split("/")


def _deref(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node_ref(node["$ref"]):
            target = target[part]
        node = target
    return node


def test_every_api_route_and_method_is_documented(app: Flask, spec: dict[str, Any]) -> None:
    missing = sorted(_routes(app) - _documented(spec))
    assert missing == [], f"undocumented in reader/openapi.json: {missing}"


def test_nothing_documented_that_does_not_exist(app: Flask, spec: dict[str, Any]) -> None:
    documented = {(p, m) for p, m in _documented(spec) if m not in ("head", "options")}
    assert sorted(documented - _routes(app)) == []


def test_protocol_routes_document_head_and_options(spec: dict[str, Any]) -> None:
    for path in PROTOCOL_PATHS:
        assert {"head", "options"} <= set(spec["paths"][path]), path


def test_structure_is_openapi_31(spec: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(STRUCTURE)
    errors = sorted(Draft202012Validator(STRUCTURE).iter_errors(spec), key=str)
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []
    operation_ids = [
        op["operationId"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in METHODS
    ]
    assert len(operation_ids) == len(set(operation_ids))
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)  # raises SchemaError, naming the problem
        assert name[0].isupper()


def test_every_ref_resolves_and_every_path_parameter_is_declared(spec: dict[str, Any]) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                _deref(spec, node)  # raises KeyError when dangling
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    for path, item in spec["paths"].items():
        wanted = set(re.findall(r"{([a-z_]+)}", path))
        shared = [_deref(spec, p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method not in METHODS:
                continue
            params = shared + [_deref(spec, p) for p in op.get("parameters", [])]
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == wanted, (path, method)
            for scheme in op.get("security", []):
                assert set(scheme) <= set(spec["components"]["securitySchemes"])


def _validator(spec: dict[str, Any], schema_name: str) -> Draft202012Validator:
    root = dict(spec)
    root["$ref"] = f"#/components/schemas/{schema_name}"
    return Draft202012Validator(root)


def test_real_responses_match_the_documented_shapes(seeded: Flask, spec: dict[str, Any]) -> None:
    served = seeded.test_client().get("/api/openapi.json")
    assert served.status_code == 200
    assert served.get_json() == spec
    alice = signed_in(seeded, "alice")
    created = alice.post("/api/annotations/", json=payload()).get_json()
    _validator(spec, "Annotation").validate(created)
    _validator(spec, "AnnotationCollection").validate(alice.get("/api/annotations/").get_json())
    _validator(spec, "AnnotationPage").validate(alice.get("/api/annotations/?page=0").get_json())
    document = alice.get("/api/documents/russian-relations-with-north-korea").get_json()
    _validator(spec, "DocumentDetail").validate(document)
    for bad in (
        alice.post("/api/annotations/", json={"target": 1}),
        alice.put("/api/annotations/0000000000000000", json={}),
        seeded.test_client().get("/api/me"),
        alice.put(
            created["id"].replace("http://localhost", ""), json={}, headers={"If-Match": '"stale"'}
        ),
    ):
        assert bad.status_code >= 400
        _validator(spec, "Error").validate(bad.get_json())
