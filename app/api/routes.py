"""The application's API routes as plain data: for Allow headers, and for checks over all routes."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from re import Pattern

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, compile_path

from app.settings import Settings

API_BASE = "/api/v1"


def api_base_url(settings: Settings) -> str:
    """Where links in answers start: the public base URL (or nothing) and /api/v1."""
    return settings.public_base_url.rstrip("/") + API_BASE


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """One route: its full path template, its methods, and a pattern that matches its paths."""

    path: str
    methods: frozenset[str]
    pattern: Pattern[str]


def api_routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[ApiRoute]:
    """Every API route, also those inside routers included with a prefix."""
    for route in routes:
        if isinstance(route, APIRoute):
            path = prefix + route.path_format
            pattern, _, _ = compile_path(path)
            yield ApiRoute(path=path, methods=frozenset(route.methods or ()), pattern=pattern)
            continue
        # FastAPI keeps an included router whole (with its prefix) rather than copying routes.
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:
            yield from api_routes(included.routes, prefix + context.prefix)


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """The methods some route serves at this path, sorted, for a 405's Allow header."""
    methods: set[str] = set()
    for route in api_routes(routes):
        if route.pattern.match(path):
            methods |= route.methods
    return sorted(methods)
