"""Who is calling and what they may do: API keys from the request, roles checked per route.

Every route of the app declares its permission with `Depends(require(...))`, or is listed in
PUBLIC_PATHS; `check_every_route_is_guarded` refuses to build an app where one does neither."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.errors import HttpRefusal
from app.api.rate_limits import RateLimiter
from app.services.access import ANONYMOUS, Caller, Permission
from app.services.members import InvalidKey, MemberService
from app.settings import Settings

# Routes anyone may call, key or not, whatever the settings: health checks and the API's docs.
PUBLIC_PATHS = frozenset({"/health"})
KEY_HEADER = "X-API-Key"
_CHALLENGE = 'Bearer realm="shared-catalog", Basic realm="shared-catalog"'


class NotAuthenticated(HttpRefusal):
    """No usable key (401); `challenge` is the WWW-Authenticate header to send."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.challenge = _CHALLENGE


class Forbidden(HttpRefusal):
    """A key whose role does not allow this (403)."""


def _secret(request: Request) -> str | None:
    """The key a request carries: Bearer, X-API-Key, or the password of HTTP Basic.

    Basic is for clients that know no other way, such as Koha's Z39.50/SRU server settings and
    most OAI-PMH harvesters: any user name, the key as password."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise NotAuthenticated("The Basic credentials are not valid base64.") from None
            return decoded.partition(":")[2] or None
        raise NotAuthenticated(f"Authorization scheme {scheme!r} is not one this service reads.")
    return request.headers.get(KEY_HEADER) or None


def _caller(request: Request) -> Caller:
    members: MemberService = request.app.state.members
    limiter: RateLimiter = request.app.state.rate_limiter
    address = request.client.host if request.client else "unknown"
    secret = _secret(request)
    if secret is None:
        limiter.check_anonymous(address)
        caller = ANONYMOUS
    else:
        try:
            caller = members.authenticate(secret)
        except InvalidKey as error:
            # Wrong keys spend the address's allowance: guessing is slow and cheap for us.
            limiter.check_anonymous(address)
            raise NotAuthenticated(str(error)) from error
        limiter.check_key(caller)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]


def require(permission: Permission) -> Callable[..., Caller]:
    """A dependency that lets the request through only if the caller has `permission`.

    Reading is open to anonymous callers when the deployment allows it (and then to every key,
    whatever its role, since a key should never make a client worse off than none)."""

    def guard(request: Request, caller: CallerDep) -> Caller:
        settings: Settings = request.app.state.settings
        if permission is Permission.READ and settings.allow_anonymous_read:
            return caller
        if caller.anonymous:
            raise NotAuthenticated(
                "This needs an API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key'."
            )
        if not caller.may(permission):
            raise Forbidden(
                f"A {caller.role} key may not do this; it needs the permission {permission}."
            )
        return caller

    guard.required_permission = permission  # type: ignore[attr-defined]
    return guard


@dataclass(frozen=True, slots=True)
class GuardedRoute:
    """A route of the app with its full path, its methods and the permission it needs."""

    path: str
    methods: frozenset[str]
    permission: Permission | None


def _permission_of(calls: Iterable[object]) -> Permission | None:
    for call in calls:
        found = getattr(call, "required_permission", None)
        if isinstance(found, Permission):
            return found
    return None


def guarded_routes(
    routes: Sequence[BaseRoute], prefix: str = "", inherited: tuple[object, ...] = ()
) -> Iterator[GuardedRoute]:
    """Every API route with the permission its own or its router's dependencies ask for."""
    for route in routes:
        if isinstance(route, APIRoute):
            calls = (*inherited, *(d.call for d in route.dependant.dependencies))
            yield GuardedRoute(
                path=prefix + route.path_format,
                methods=frozenset(route.methods or ()),
                permission=_permission_of(calls),
            )
            continue
        # FastAPI keeps an included router whole, with its prefix and its dependencies.
        included = getattr(route, "original_router", None)
        context = getattr(route, "include_context", None)
        if included is not None and context is not None:
            calls = (*inherited, *(d.dependency for d in context.dependencies))
            yield from guarded_routes(included.routes, prefix + context.prefix, calls)


def check_every_route_is_guarded(routes: Sequence[BaseRoute]) -> None:
    """Refuse to start an app with a route that neither declares a permission nor is public."""
    unguarded = sorted(
        route.path
        for route in guarded_routes(routes)
        if route.path not in PUBLIC_PATHS and route.permission is None
    )
    if unguarded:
        raise RuntimeError(f"routes without a permission: {', '.join(unguarded)}")
