"""What the protocol routers declare in the OpenAPI schema besides their XML answers."""

from typing import Any


def problem(description: str) -> dict[str, Any]:
    """An error answer given as an RFC 9457 problem (the API's Problem schema)."""
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
