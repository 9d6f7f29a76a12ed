"""How to send a key, in the OpenAPI schema: its schemes, and on each guarded operation.

Generated from the routes' own permissions (auth.guarded_routes), so that the schema cannot say
a route is open when it is not: Swagger UI's "Authorize" and client generators then send the
key, and every guarded operation lists the 401, 403 and 429 problems it may answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute

from app.api.auth import KEY_HEADER, guarded_routes
from app.api.problems import problem_responses
from app.services.access import Permission

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "The API key as a Bearer token"},
    "apiKey": {"type": "apiKey", "in": "header", "name": KEY_HEADER},
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "Any user name, the API key as password (Koha, OAI-PMH harvesters)",
    },
}


def add_security(
    schema: dict[str, Any], routes: Sequence[BaseRoute], *, anonymous_read: bool
) -> dict[str, Any]:
    """Declare the key's schemes and, on every guarded operation, that it takes one."""
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for route in guarded_routes(routes):
        if route.permission is None:
            continue
        operations = schema.get("paths", {}).get(route.path, {})
        optional = route.permission is Permission.READ and anonymous_read
        # Open reading lets any key through (a wrong one is still a 401), so never a 403.
        statuses = (401, 429) if optional else (401, 403, 429)
        for method in route.methods:
            operation = operations.get(method.lower())
            if operation is None:
                continue
            operation["security"] = [{name: []} for name in SECURITY_SCHEMES] + (
                [{}] if optional else []
            )
            responses = operation.setdefault("responses", {})
            for status, answer in problem_responses(*statuses).items():
                responses.setdefault(str(status), answer)
    return schema
