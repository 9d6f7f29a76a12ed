"""OAI-PMH 2.0 at /oai: GET with a query string, POST with a form body, same answers.

Protocol errors are OAI-PMH documents with HTTP 200, as section 3.1.2.1 asks; only what is not
OAI-PMH at all (a body over the size limit, a fault on our side) is problem+json.
"""

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from app.protocols.oai import responses
from app.protocols.oai.arguments import ErrorCode, OaiFailure, failure, parse_arguments
from app.protocols.oai.provider import DataProvider, RepositorySettings
from app.protocols.openapi import problem
from app.services.access import ANONYMOUS
from app.services.harvest import HarvestService
from app.services.usage import UsageMeter
from app.settings import Settings

PATH = "/oai"
FORM = "application/x-www-form-urlencoded"

router = APIRouter(tags=["OAI-PMH"])


class OaiXmlResponse(Response):
    """An OAI-PMH document: text/xml; charset=utf-8 (Starlette adds the charset)."""

    media_type = "text/xml"


_ARGUMENTS: dict[str, str] = {
    "verb": "What to do: Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords "
    "or GetRecord.",
    "identifier": "A record's OAI identifier, oai:<repository identifier>:<record number> "
    "(GetRecord; optional in ListMetadataFormats).",
    "metadataPrefix": "The format of the records: marc21 (MARCXML) or oai_dc (simple Dublin "
    "Core). Required by GetRecord, ListIdentifiers and ListRecords.",
    "from": "Only records changed at or after this moment (UTC): YYYY-MM-DD or "
    "YYYY-MM-DDThh:mm:ssZ.",
    "until": "Only records changed at or before this moment (UTC), its whole day or second "
    "included: YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, the same granularity as from.",
    "set": "Only the records of one set, by its setSpec from ListSets (e.g. type:book).",
    "resumptionToken": "The token of the previous part of an incomplete list; it comes with "
    "verb alone.",
}
_VERBS = [
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "ListIdentifiers",
    "ListRecords",
    "GetRecord",
]


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": _ARGUMENTS[name]}
    if name == "verb":
        schema["enum"] = _VERBS
    return schema


_QUERY: dict[str, Any] = {
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": name == "verb",
            "description": description,
            "schema": {k: v for k, v in _schema(name).items() if k != "description"},
        }
        for name, description in _ARGUMENTS.items()
    ]
}
_FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The same arguments as GET takes, form-encoded.",
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["verb"],
                    "properties": {name: _schema(name) for name in _ARGUMENTS},
                }
            }
        },
    }
}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An OAI-PMH 2.0 response document (OAI-PMH.xsd): the verb's answer, or "
        "<error> elements with the protocol's error codes (badArgument, badResumptionToken, "
        "badVerb, cannotDisseminateFormat, idDoesNotExist, noRecordsMatch, noSetHierarchy).",
        "content": {"text/xml": {"schema": {"type": "string"}}},
    },
    500: problem("A fault on our side (RFC 9457 problem)"),
    503: problem("The database cannot be reached (RFC 9457 problem)"),
}
_POST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_RESPONSES,
    413: problem("The form body is over the size limit (RFC 9457 problem)"),
}


def _provider(request: Request) -> DataProvider:
    settings: Settings = request.app.state.settings
    harvest: HarvestService = request.app.state.harvest
    return DataProvider(
        harvest,
        RepositorySettings(
            repository_name=settings.repository_name,
            admin_email=settings.admin_email,
            repository_identifier=settings.oai_repository_identifier,
            page_size=settings.oai_page_size,
        ),
    )


def _base_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + PATH
    return str(request.url.replace(query="", fragment=""))


def _answer(request: Request, arguments: tuple[tuple[str, str], ...] | OaiFailure) -> Response:
    document = _provider(request).respond(arguments, base_url=_base_url(request))
    usage: UsageMeter = request.app.state.usage
    usage.downloaded(
        getattr(request.state, "caller", ANONYMOUS), "oai", responses.records_sent(document)
    )
    return OaiXmlResponse(responses.serialize(document))


def _query_arguments(request: Request) -> tuple[tuple[str, str], ...] | OaiFailure:
    try:
        return parse_arguments(request.scope["query_string"])
    except OaiFailure as error:
        return error


@router.get(
    PATH,
    name="oai",
    summary="OAI-PMH 2.0 request (GET)",
    response_class=OaiXmlResponse,
    responses=_RESPONSES,
    openapi_extra=_QUERY,
)
def oai_get(request: Request) -> Response:
    """Harvest the catalogue with OAI-PMH 2.0: the arguments are in the query string.

    Formats marc21 and oai_dc; sets type, type:book, type:serial, …; datestamps to the second,
    in UTC; deleted records kept (persistent). See docs/oai-pmh.md."""
    return _answer(request, _query_arguments(request))


@router.post(
    PATH,
    name="oai_post",
    summary="OAI-PMH 2.0 request (POST)",
    response_class=OaiXmlResponse,
    responses=_POST_RESPONSES,
    openapi_extra=_FORM_BODY,
)
async def oai_post(request: Request) -> Response:
    """Harvest the catalogue with OAI-PMH 2.0: the arguments are a form-encoded body."""
    body = await request.body()
    arguments: tuple[tuple[str, str], ...] | OaiFailure
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.scope["query_string"]:
        arguments = failure(
            ErrorCode.BAD_ARGUMENT,
            f"a POST request carries its arguments in a {FORM} body, not in the URL",
        )
    elif body and media_type != FORM:
        arguments = failure(ErrorCode.BAD_ARGUMENT, f"the body of a POST request must be {FORM}")
    else:
        try:
            arguments = parse_arguments(body)
        except OaiFailure as error:
            arguments = error
    # The database work is synchronous: off the event loop, like the plain-def routes.
    return await run_in_threadpool(_answer, request, arguments)
