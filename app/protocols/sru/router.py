"""SRU at /sru: explain and searchRetrieve over GET and POST, versions 1.1, 1.2 and 2.0.

Whatever goes wrong is answered as an SRU diagnostic inside a normal SRU response (HTTP 200),
since that is what SRU clients read; nothing here answers with an HTTP error page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.protocols.openapi import problem
from app.protocols.sru.compile import compile_cql
from app.protocols.sru.diagnostics import Code, Diagnostic
from app.protocols.sru.request import (
    Operation,
    SruRequest,
    read_request,
    version_of,
)
from app.protocols.sru.responses import (
    ResultRecord,
    ServerInfo,
    explain_response,
    failed_search_response,
    search_response,
)
from app.search.searcher import EmptyQuery
from app.services.access import ANONYMOUS
from app.services.records import RecordService
from app.services.usage import UsageMeter
from app.settings import Settings

logger = logging.getLogger(__name__)
router = APIRouter(tags=["SRU"])
PATH = "/sru"

_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("version", "1.1, 1.2 or 2.0. Without it: 1.2 when `operation` is given, else 2.0."),
    ("operation", "SRU 1.x: explain or searchRetrieve (2.0 infers it from `query`)."),
    ("query", 'A CQL query, e.g. dc.title all "thư viện" and dc.date >= 2000.'),
    ("startRecord", "Position of the first record to return, from 1."),
    ("maximumRecords", "How many records to return (0: only count them)."),
    ("recordSchema", "marcxml (default; info:srw/schema/1/marcxml-v1.1) or dc."),
    ("recordPacking", "SRU 1.x: xml (default) or string. SRU 2.0: packed."),
    ("recordXMLEscaping", "SRU 2.0: xml (default) or string."),
    ("httpAccept", "SRU 2.0: application/sru+xml (default), application/xml or text/xml."),
)
_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": description,
        }
        for name, description in _PARAMETERS
    ],
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An SRU explainResponse or searchRetrieveResponse; problems are SRU "
        "diagnostics inside it.",
        "content": {
            media_type: {"schema": {"type": "string"}}
            for media_type in ("text/xml", "application/sru+xml")
        },
    },
    500: problem("A fault before the request reached SRU (RFC 9457 problem)"),
}
_POST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_RESPONSES,
    413: problem("The form body is over the size limit (RFC 9457 problem)"),
}


def _server_info(request: Request, settings: Settings) -> ServerInfo:
    base = urlsplit(settings.public_base_url) if settings.public_base_url else request.url
    default_port = 443 if base.scheme == "https" else 80
    return ServerInfo(
        title=settings.repository_name,
        description="MARC 21 records of the shared catalogue, searchable with CQL.",
        host=base.hostname or "localhost",
        port=base.port or default_port,
        database=PATH.lstrip("/"),
        default_records=min(settings.sru_default_records, settings.sru_max_records),
        max_records=settings.sru_max_records,
    )


def _xml(body: bytes, media_type: str) -> Response:
    return Response(body, media_type=f"{media_type}; charset=utf-8")


def _is_explain(params: list[tuple[str, str]]) -> bool:
    names = {name for name, _ in params}
    operations = {value for name, value in params if name == "operation"}
    return "query" not in names and operations <= {"explain"}


def _answer(request: Request, params: list[tuple[str, str]]) -> Response:
    settings: Settings = request.app.state.settings
    version = version_of(params)
    media_type = "application/sru+xml" if version == "2.0" else "text/xml"
    try:
        sru = read_request(params)
    except Diagnostic as diagnostic:
        if _is_explain(params):
            info = _server_info(request, settings)
            return _xml(explain_response(version, info, diagnostics=[diagnostic]), media_type)
        return _xml(failed_search_response(version, diagnostic), media_type)
    try:
        if sru.operation is Operation.EXPLAIN:
            info = _server_info(request, settings)
            return _xml(explain_response(version, info, escaping=sru.escaping), sru.media_type)
        return _xml(_search(request, sru, settings), sru.media_type)
    except Diagnostic as diagnostic:
        return _xml(failed_search_response(version, diagnostic), sru.media_type)
    except Exception:
        # An SRU client cannot read an HTTP error page; say it the SRU way, and log it.
        logger.exception("SRU request failed")
        failure = Diagnostic(Code.GENERAL_SYSTEM_ERROR, None, "the server failed; it is logged")
        return _xml(failed_search_response(version, failure), sru.media_type)


def _search(request: Request, sru: SruRequest, settings: Settings) -> bytes:
    assert sru.query is not None
    compiled = compile_cql(sru.query)
    wanted = settings.sru_default_records if sru.maximum_records is None else sru.maximum_records
    wanted = min(wanted, settings.sru_max_records)
    total = 0
    records: list[ResultRecord] = []
    if compiled.query is not None:
        service: RecordService = request.app.state.records
        try:
            found = service.search_slice(
                compiled.query, sort=compiled.sort, offset=sru.start_record - 1, limit=wanted
            )
        except EmptyQuery as error:
            raise Diagnostic(Code.EMPTY_TERM, None, str(error)) from error
        total = found.total
        records = [
            ResultRecord(item.record, sru.start_record + i) for i, item in enumerate(found.items)
        ]
        usage: UsageMeter = request.app.state.usage
        usage.downloaded(getattr(request.state, "caller", ANONYMOUS), "sru", len(records))
    if total and sru.start_record > total:
        raise Diagnostic(
            Code.FIRST_RECORD_OUT_OF_RANGE,
            str(sru.start_record),
            f"startRecord {sru.start_record} is past the last of {total} records",
        )
    following = sru.start_record + len(records)
    return search_response(
        sru.version,
        total=total,
        records=records,
        schema=sru.schema,
        escaping=sru.escaping,
        next_position=following if records and following <= total else None,
    )


@router.get(
    PATH,
    summary="SRU: explain and searchRetrieve",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_OPENAPI,
)
def sru_get(request: Request) -> Response:
    """SRU over HTTP GET (the usual way): parameters in the query string."""
    return _answer(request, list(request.query_params.multi_items()))


@router.post(
    PATH,
    summary="SRU over POST (form-encoded parameters)",
    response_class=Response,
    responses=_POST_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {name: {"type": "string"} for name, _ in _PARAMETERS},
                    }
                }
            },
        }
    },
)
async def sru_post(request: Request) -> Response:
    """SRU over HTTP POST: the same parameters, form-encoded in the body."""
    body = (await request.body()).decode("utf-8", errors="replace")
    params = parse_qsl(body, keep_blank_values=True)
    return await run_in_threadpool(_answer, request, params)
