"""The OpenAPI schema tells the truth, and every problem type is documented."""

import re
from pathlib import Path

from fastapi.testclient import TestClient

from app.api.problems import OTHER_PROBLEMS, PROBLEMS
from app.api.routes import api_routes

ROOT = Path(__file__).resolve().parents[2]


def test_every_route_is_in_the_schema_with_typed_responses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    routes = [
        (route.path, method)
        for route in api_routes(client.app.routes)  # type: ignore[attr-defined]
        for method in route.methods
    ]
    assert len(routes) >= 12
    for path, method in routes:
        operation = schema["paths"][path][method.lower()]
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, f"{method} {path}"
        if method == "HEAD" or success == ["204"]:
            continue  # no body to describe
        content = operation["responses"][success[0]]["content"]
        assert any("schema" in c and c["schema"] for c in content.values()), path
        problems = [c for c in operation["responses"] if c.startswith(("4", "5"))]
        assert problems, f"{method} {path} declares no error answers"
        for code in problems:
            if path != "/health":
                media = list(operation["responses"][code]["content"])
                assert media == ["application/problem+json"], f"{method} {path} {code}"


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
    documented = set(
        re.findall(r"^## `([a-z0-9-]+)`", (ROOT / "docs" / "problems.md").read_text(), re.M)
    )
    slugs = {slug for _, slug in PROBLEMS.values()} | set(OTHER_PROBLEMS)
    assert slugs - documented == set()
    assert documented - slugs == set()


def test_guarded_operations_say_how_to_send_the_key(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The API key as a Bearer token",
    }
    assert schemes["apiKey"]["name"] == "X-API-Key"
    assert schemes["basic"]["scheme"] == "basic"
    keyed = [{"bearer": []}, {"apiKey": []}, {"basic": []}]
    upload = schema["paths"]["/api/v1/imports"]["post"]
    assert upload["security"] == keyed
    assert {"401", "403", "429"} <= set(upload["responses"])
    # Reading is open in this deployment (the default): the key is optional, never too weak.
    search = schema["paths"]["/api/v1/records"]["get"]
    assert search["security"] == [*keyed, {}]
    assert {"401", "429"} <= set(search["responses"])
    assert "403" not in search["responses"]
    assert "security" not in schema["paths"]["/health"]["get"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path != "/health":
                assert operation["security"][:3] == keyed, f"{method} {path}"
                assert "401" in operation["responses"], f"{method} {path}"
                problem = operation["responses"]["401"]["content"]
                assert list(problem) == ["application/problem+json"]
