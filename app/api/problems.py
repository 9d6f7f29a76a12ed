"""Every error answer is RFC 9457 application/problem+json, rendered here and nowhere else."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import marc
from app.api.auth import Forbidden, NotAuthenticated
from app.api.errors import (
    BadCursor,
    BadQuery,
    NotAcceptable,
    PayloadTooLarge,
    PreconditionRequired,
    UnsupportedMediaType,
)
from app.api.rate_limits import RateLimited
from app.api.request_id import HEADER, request_id_of
from app.api.routes import allowed_methods
from app.cip.service import CipConflict, CipNotFound
from app.imports.options import OptionError
from app.imports.service import ImportNotFound, ImportRefused
from app.services.access import NotAllowed
from app.services.errors import (
    RecordDeleted,
    RecordNotFound,
    VersionMismatch,
    VersionNotFound,
)
from app.services.holdings import HoldingNotFound
from app.services.members import (
    BadInstitutionCode,
    InstitutionExists,
    InstitutionNotFound,
    KeyNotFound,
    KeyRefused,
)

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

PROBLEMS: dict[type[Exception], tuple[int, str]] = {
    marc.UnreadableRecord: (400, "unreadable-record"),
    BadCursor: (400, "bad-cursor"),
    BadQuery: (400, "bad-query"),
    OptionError: (400, "bad-import-option"),
    BadInstitutionCode: (400, "bad-institution-code"),
    NotAuthenticated: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    NotAllowed: (403, "forbidden"),
    RecordNotFound: (404, "record-not-found"),
    VersionNotFound: (404, "version-not-found"),
    ImportNotFound: (404, "import-not-found"),
    InstitutionNotFound: (404, "institution-not-found"),
    KeyNotFound: (404, "key-not-found"),
    HoldingNotFound: (404, "holding-not-found"),
    CipNotFound: (404, "cip-request-not-found"),
    NotAcceptable: (406, "not-acceptable"),
    marc.RecordTooLong: (406, "record-too-long"),
    RecordDeleted: (410, "record-deleted"),
    ImportRefused: (409, "import-conflict"),
    InstitutionExists: (409, "institution-exists"),
    CipConflict: (409, "cip-conflict"),
    marc.NotPrepublication: (409, "not-prepublication"),
    VersionMismatch: (412, "version-mismatch"),
    PayloadTooLarge: (413, "payload-too-large"),
    UnsupportedMediaType: (415, "unsupported-media-type"),
    marc.InvalidRecord: (422, "invalid-record"),
    KeyRefused: (422, "key-refused"),
    marc.InvalidCipData: (422, "invalid-cip-request"),
    PreconditionRequired: (428, "precondition-required"),
    RateLimited: (429, "too-many-requests"),
}

# Problems that do not come from an exception of ours, for the docs and the OpenAPI schema.
OTHER_PROBLEMS: dict[str, int] = {
    "not-found": 404,
    "method-not-allowed": 405,
    "invalid-request": 422,
    "internal-error": 500,
    "service-unavailable": 503,
}


class ProblemItem(BaseModel):
    """One thing wrong with a record, located precisely enough to fix it."""

    code: str
    message: str
    severity: str
    position: int | None = None
    tag: str | None = None

    @classmethod
    def of(cls, problem: marc.MarcProblem) -> "ProblemItem":
        return cls(
            code=problem.code,
            message=problem.message,
            severity=problem.severity,
            position=problem.position,
            tag=problem.tag,
        )


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = None


# Words of problem types that are written in capitals in a title.
_ACRONYMS = {"cip": "CIP", "isbn": "ISBN", "issn": "ISSN", "api": "API", "marc": "MARC"}


def problem_title(slug: str) -> str:
    """The title of a problem type: "cip-request-not-found" → "CIP request not found"."""
    words = [_ACRONYMS.get(word, word) for word in slug.split("-")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def problem(status: int, slug: str, detail: str, **extensions: Any) -> JSONResponse:
    """Render one problem+json answer."""
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": problem_title(slug),
        "status": status,
        "detail": detail,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries saying a route may answer these problems."""
    return {
        status: {
            "description": "A problem (RFC 9457)",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def add_problem_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    """Put Problem (and what it refers to) into an OpenAPI schema's components."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    return schema


def _extensions(error: Exception) -> dict[str, Any]:
    if isinstance(error, marc.InvalidRecord | marc.InvalidCipData):
        return {"errors": [ProblemItem.of(p).model_dump() for p in error.problems]}
    if isinstance(error, marc.UnreadableRecord):
        return {"errors": [ProblemItem.of(error.problem).model_dump()]}
    if isinstance(error, RecordDeleted):
        # The same form pydantic gives every other timestamp of the API.
        return {"deleted_at": error.deleted_at.isoformat().replace("+00:00", "Z")}
    if isinstance(error, BadQuery):
        found = {"parameter": error.parameter, "position": error.position}
        return {name: value for name, value in found.items() if value is not None}
    if isinstance(error, OptionError):
        return {"parameter": error.name}
    if isinstance(error, PayloadTooLarge):
        return {"limit": error.limit}
    if isinstance(error, VersionMismatch) and error.current is not None:
        return {"current_version": error.current, "current_etag": f'"v{error.current}"'}
    return {}


def _detail(error: Exception) -> str:
    if isinstance(error, marc.UnreadableRecord | marc.RecordTooLong):
        return error.problem.message
    if isinstance(error, marc.InvalidRecord):
        errors = [p for p in error.problems if p.severity == "error"]
        return f"The record has {len(errors)} error(s): " + "; ".join(p.message for p in errors)
    return str(error)


def _headers(error: Exception) -> dict[str, str]:
    if isinstance(error, NotAuthenticated):
        return {"WWW-Authenticate": error.challenge}
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after)}
    return {}


def _render_known(_request: Request, error: Exception) -> JSONResponse:
    for kind in type(error).__mro__:
        if kind in PROBLEMS:
            status, slug = PROBLEMS[kind]
            response = problem(status, slug, _detail(error), **_extensions(error))
            response.headers.update(_headers(error))
            return response
    raise error  # pragma: no cover - only registered for the types above


def _render_http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    slugs = {404: "not-found", 405: "method-not-allowed"}
    slug = slugs.get(error.status_code, f"http-{error.status_code}")
    detail = error.detail if isinstance(error.detail, str) else str(error.detail)
    if error.status_code == 404 and detail == "Not Found":
        detail = "There is nothing at this address; the API is described at /docs."
    response = problem(error.status_code, slug, detail)
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    if error.status_code == 405:
        # Starlette names only the first route that matched the path; RFC 9110 wants them all.
        response.headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request.url.path))
    return response


def _render_validation(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    messages = [
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
    ]
    return problem(
        422,
        "invalid-request",
        "The request's parameters are not valid: " + "; ".join(messages),
        invalid_params=[
            {"name": ".".join(str(p) for p in item["loc"]), "reason": item["msg"]}
            for item in error.errors()
        ],
    )


def _render_unexpected(request: Request, error: Exception) -> JSONResponse:
    request_id = request_id_of(request.scope)
    logger.error("unexpected error", exc_info=error, extra={"request_id": request_id})
    response = problem(
        500,
        "internal-error",
        "Something went wrong on our side; it has been logged. Quote the request id if you "
        "report it.",
        request_id=request_id,
    )
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _render_unavailable(request: Request, error: Exception) -> JSONResponse:
    logger.error(
        "database unavailable", exc_info=error, extra={"request_id": request_id_of(request.scope)}
    )
    response = problem(
        503,
        "service-unavailable",
        "The catalogue's database cannot be reached; try again soon.",
        request_id=request_id_of(request.scope),
    )
    response.headers["Retry-After"] = "30"
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error, ours and the framework's, to problem+json."""
    for kind in PROBLEMS:
        app.add_exception_handler(kind, _render_known)
    app.add_exception_handler(StarletteHTTPException, _render_http)
    app.add_exception_handler(RequestValidationError, _render_validation)
    app.add_exception_handler(OperationalError, _render_unavailable)
    app.add_exception_handler(Exception, _render_unexpected)
