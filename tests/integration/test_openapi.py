"""The committed OpenAPI document is the contract: it must match the app."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.web import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    current = json.loads(json.dumps(openapi_document()))
    assert current == json.loads(COMMITTED.read_text()), (
        "openapi/openapi.json is stale: run `make openapi` and commit it")


def test_every_operation_has_an_id_and_a_summary() -> None:
    spec = openapi_document()
    ids = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("operationId"), f"{method} {path} has no operationId"
            assert op.get("summary"), f"{method} {path} has no summary"
            ids.append(op["operationId"])
    assert len(ids) == len(set(ids))
