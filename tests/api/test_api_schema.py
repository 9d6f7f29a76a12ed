"""The OpenAPI schema tells the truth, and every problem type is documented."""

import re
from pathlib import Path

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.api.problems import OTHER_PROBLEMS, PROBLEMS

ROOT = Path(__file__).resolve().parents[2]


def test_every_route_is_in_the_schema_with_typed_responses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    routes = [r for r in client.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert len(routes) >= 9
    for route in routes:
        for method in route.methods:
            operation = schema["paths"][route.path_format][method.lower()]
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, f"{method} {route.path}"
            content = operation["responses"][success[0]]["content"]
            assert any("schema" in c and c["schema"] for c in content.values()), route.path
            problems = [c for c in operation["responses"] if c.startswith(("4", "5"))]
            assert problems or route.path == "/health", f"{method} {route.path} has no errors"


def test_uploads_declare_the_four_marc_media_types(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/api/v1/records"]["post"]["requestBody"]["content"]
    assert {
        "application/marc",
        "application/marcxml+xml",
        "application/marc+json",
        "text/x-marc-mnemonic",
    } <= set(body)


def test_every_problem_type_is_documented() -> None:
    documented = set(re.findall(r"^## `([a-z0-9-]+)`", (ROOT / "docs" / "problems.md").read_text(), re.M))
    slugs = {slug for _, slug in PROBLEMS.values()} | set(OTHER_PROBLEMS)
    assert slugs - documented == set()
    assert documented - slugs == set()
