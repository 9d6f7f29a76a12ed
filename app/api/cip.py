"""Cataloguing in publication: publishers' requests, review, the CIP block, the upgrade."""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from app import marc
from app.api.auth import require
from app.api.body import raw_body
from app.api.deps import CipServiceDep, SettingsDep
from app.api.negotiation import body_format, media_type, negotiate
from app.api.preconditions import etag, expected_versions
from app.api.problems import problem_responses
from app.api.routes import api_base_url
from app.api.schemas import (
    CipHistory,
    CipList,
    CipRequestIn,
    CipRequestOut,
    CipStepOut,
    MarcJson,
    PublicationIn,
    RecordEnvelope,
    ReturnIn,
)
from app.cip.block import block_html, block_pdf, block_text
from app.cip.service import CipStatus
from app.db.models import MAX_KEY
from app.services.access import Caller, Permission

router = APIRouter(tags=["cip"])

Requester = Annotated[Caller, Depends(require(Permission.CIP_REQUEST))]
Reviewer = Annotated[Caller, Depends(require(Permission.CIP_REVIEW))]
RequestId = Annotated[int, Path(ge=1, le=MAX_KEY, description="The request's number")]
_AUTH = problem_responses(401, 403, 422, 429)
_TEXT = {"type": "string"}
_MARC_CONTENT: dict[str, Any] = {
    "text/x-marc-mnemonic": {"schema": _TEXT},
    "application/marcxml+xml": {"schema": _TEXT},
    "application/marc+json": {"schema": {"$ref": "#/components/schemas/MarcJson"}},
    "application/marc": {"schema": {"type": "string", "format": "binary"}},
}
_MARC_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The prepublication record in any of the four MARC formats",
        "content": _MARC_CONTENT,
    }
}


class BlockFormat(StrEnum):
    TEXT = "text"
    HTML = "html"
    PDF = "pdf"


IfMatchRequired = Annotated[
    str | None,
    Header(description='The ETag you read the request with, e.g. "v3" (required)'),
]
IfMatchOptional = Annotated[
    str | None, Header(description="Optional: only if the request is still at this ETag")
]


def _out(request: Request, info: Any) -> CipRequestOut:
    return CipRequestOut.of(info, base=api_base_url(request.app.state.settings))


def _answer(request: Request, info: Any, response: Response) -> CipRequestOut:
    """One request, with its ETag: what a later change sends back as If-Match."""
    response.headers["ETag"] = etag(info.version)
    return _out(request, info)


@router.post(
    "/cip-requests",
    status_code=201,
    responses={**_AUTH, **problem_responses(400)},
    summary="Send a CIP request for a book about to be printed",
)
def submit_request(
    body: CipRequestIn, request: Request, cip: CipServiceDep, caller: Requester, response: Response
) -> CipRequestOut:
    """The request becomes a prepublication record in the cataloguers' queue (cip-pending)."""
    out = _answer(request, cip.submit(body.data(), author=caller), response)
    response.headers["Location"] = out.links.self
    return out


@router.get(
    "/cip-requests",
    responses=_AUTH,
    summary="CIP requests: a publisher's own, or all for cataloguers",
)
def list_requests(
    request: Request,
    cip: CipServiceDep,
    caller: Requester,
    settings: SettingsDep,
    status: Annotated[CipStatus | None, Query()] = None,
    overdue: Annotated[
        bool,
        Query(description="Approved, expected month passed, and not yet upgraded after printing"),
    ] = False,
    before: Annotated[int | None, Query(ge=1, le=MAX_KEY, description="From the next link")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CipList:
    found = cip.requests(viewer=caller, status=status, overdue=overdue, before=before, limit=limit)
    following = None
    if len(found) == limit:
        kept = {"status": status.value if status else None, "overdue": "true" if overdue else None}
        following = f"{api_base_url(settings)}/cip-requests?" + urlencode(
            {
                **{name: value for name, value in kept.items() if value is not None},
                "before": found[-1].id,
                "limit": limit,
            }
        )
    return CipList(items=[_out(request, info) for info in found], next=following)


@router.get(
    "/cip-requests/{request_id}",
    responses={**_AUTH, **problem_responses(404)},
    summary="One CIP request, with its record as it stands",
)
def get_request(
    request_id: RequestId,
    request: Request,
    cip: CipServiceDep,
    caller: Requester,
    response: Response,
) -> CipRequestOut:
    return _answer(request, cip.get(request_id, viewer=caller), response)


@router.put(
    "/cip-requests/{request_id}",
    responses={**_AUTH, **problem_responses(400, 404, 409, 412, 428)},
    summary="Change a request while it waits for review, or after it was returned",
)
def change_request(
    request_id: RequestId,
    body: CipRequestIn,
    request: Request,
    cip: CipServiceDep,
    caller: Requester,
    response: Response,
    if_match: IfMatchRequired = None,
) -> CipRequestOut:
    """The whole request again; If-Match must hold the ETag it was read with, so a change
    made meanwhile (by a cataloguer, or another of the publisher's staff) is not lost."""
    expected = expected_versions(if_match, required=True)
    changed = cip.change(request_id, body.data(), author=caller, expected_versions=expected)
    return _answer(request, changed, response)


@router.get(
    "/cip-requests/{request_id}/history",
    responses={**_AUTH, **problem_responses(404)},
    summary="Every step of a request: who, when, and all of it as it then stood",
)
def request_history(request_id: RequestId, cip: CipServiceDep, caller: Requester) -> CipHistory:
    return CipHistory(
        steps=[
            CipStepOut(
                at=step.at,
                actor=step.actor,
                action=step.action,
                status=step.status,
                request=step.data,
                record=MarcJson.model_validate(marc.to_json(step.record)),
                message=step.message,
            )
            for step in cip.history(request_id, viewer=caller)
        ]
    )


@router.put(
    "/cip-requests/{request_id}/record",
    responses={**_AUTH, **problem_responses(400, 404, 409, 412, 413, 415, 428)},
    openapi_extra=_MARC_BODY,
    summary="A cataloguer's version of the prepublication record (082, 650, headings)",
)
def catalogue_request(
    request_id: RequestId,
    request: Request,
    payload: Annotated[bytes, Depends(raw_body)],
    cip: CipServiceDep,
    caller: Reviewer,
    response: Response,
    if_match: IfMatchRequired = None,
) -> CipRequestOut:
    """If-Match must hold the ETag of the request (or of its record, the same) as read: a
    publisher's change since then would otherwise be overwritten by the older record."""
    expected = expected_versions(if_match, required=True)
    parsed = marc.read_one(payload, body_format(request.headers.get("content-type")))
    reviewed = cip.catalogue(request_id, parsed.record, author=caller, expected_versions=expected)
    return _answer(request, reviewed, response)


@router.get(
    "/cip-requests/{request_id}/record",
    response_class=Response,
    responses={
        200: {
            "description": "The request's record as it stands, to edit and PUT back",
            "content": _MARC_CONTENT,
        },
        **_AUTH,
        **problem_responses(404, 406),
    },
    summary="The request's record in a MARC format (mnemonic by default), to edit",
)
def request_record(
    request_id: RequestId,
    cip: CipServiceDep,
    caller: Requester,
    fmt: Annotated[
        marc.Format | None,
        Query(alias="format", description="MARC format; without it, Accept, then mnemonic"),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """What a cataloguer edits before PUT …/record: the prepublication record until approval,
    then the record as approved (the catalogue's copy is GET /records/{record_id})."""
    info = cip.get(request_id, viewer=caller)
    chosen = negotiate(fmt, accept) or marc.Format.MRK
    return Response(
        marc.write(info.record, chosen),
        media_type=media_type(chosen),
        headers={
            "Content-Disposition": f'inline; filename="cip-{request_id}.{chosen.extension}"',
            "ETag": etag(info.version),
        },
    )


@router.post(
    "/cip-requests/{request_id}/return",
    responses={**_AUTH, **problem_responses(404, 409, 412)},
    summary="Send a request back to its publisher with a message",
)
def return_request(
    request_id: RequestId,
    body: ReturnIn,
    request: Request,
    cip: CipServiceDep,
    caller: Reviewer,
    response: Response,
    if_match: IfMatchOptional = None,
) -> CipRequestOut:
    expected = expected_versions(if_match, required=False)
    returned = cip.send_back(request_id, body.message, author=caller, expected_versions=expected)
    return _answer(request, returned, response)


@router.post(
    "/cip-requests/{request_id}/approve",
    responses={**_AUTH, **problem_responses(404, 409, 412)},
    summary="Approve: the record joins the catalogue as a CIP record (status cip)",
)
def approve_request(
    request_id: RequestId,
    request: Request,
    cip: CipServiceDep,
    caller: Reviewer,
    response: Response,
    if_match: IfMatchOptional = None,
) -> CipRequestOut:
    """If-Match (optional): approve only the request as the cataloguer last saw it."""
    expected = expected_versions(if_match, required=False)
    approved = cip.approve(request_id, author=caller, expected_versions=expected)
    return _answer(request, approved, response)


@router.get(
    "/cip-requests/{request_id}/block",
    response_class=Response,
    responses={
        200: {
            "description": "The CIP block to print on the book's verso",
            "content": {
                "text/plain": {"schema": _TEXT},
                "text/html": {"schema": _TEXT},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **_AUTH,
        **problem_responses(404, 409),
    },
    summary="The CIP block of an approved request, as text, HTML or PDF",
)
def request_block(
    request_id: RequestId,
    cip: CipServiceDep,
    caller: Requester,
    fmt: Annotated[BlockFormat, Query(alias="format")] = BlockFormat.TEXT,
) -> Response:
    block = cip.block(request_id, viewer=caller)
    if fmt is BlockFormat.PDF:
        return Response(
            block_pdf(block),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="cip-{request_id}.pdf"'},
        )
    if fmt is BlockFormat.HTML:
        return Response(block_html(block, document=True), media_type="text/html; charset=utf-8")
    return Response(block_text(block), media_type="text/plain; charset=utf-8")


@router.post(
    "/records/{record_id}/publish",
    responses={**_AUTH, **problem_responses(404, 409, 410, 412)},
    summary="Upgrade a CIP record once the book is printed: a new version, same number",
)
def publish_record(
    record_id: Annotated[int, Path(ge=1, le=MAX_KEY)],
    body: PublicationIn,
    cip: CipServiceDep,
    settings: SettingsDep,
    caller: Reviewer,
    response: Response,
    if_match: Annotated[
        str | None, Header(description='Optional: upgrade only this version, e.g. "v2"')
    ] = None,
) -> RecordEnvelope:
    """leader/17 blank, 263 removed, 264 and 300 from the facts, 020 from the ISBNs given;
    libraries that took the CIP version find the upgrade with updated_since or OAI-PMH."""
    published: date | int = body.date if isinstance(body.date, int) else body.date.date()
    facts = marc.PublicationFacts(
        date=published, pages=body.pages, height_cm=body.height_cm, isbns=tuple(body.isbns)
    )
    found = cip.publish(
        record_id,
        facts,
        author=caller,
        expected_versions=expected_versions(if_match, required=False),
    )
    response.headers["ETag"] = etag(found.version)
    return RecordEnvelope.of(found, base=api_base_url(settings))
