"""Holdings: who holds a book; each institution sets and unsets its own."""

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse

from app.api.auth import require
from app.api.deps import HoldingServiceDep
from app.api.problems import problem_responses
from app.api.schemas import HoldingIn, HoldingList, HoldingOut
from app.db.models import MAX_KEY
from app.services.access import Caller, Permission

router = APIRouter(tags=["holdings"])

READ = Depends(require(Permission.READ))
Holder = Annotated[Caller, Depends(require(Permission.HOLD))]
RecordId = Annotated[int, Path(ge=1, le=MAX_KEY, description="The record's number (its 001)")]
Code = Annotated[str, Path(max_length=40, description="The institution's code, e.g. VN-NLV")]
_AUTH = problem_responses(401, 403, 422, 429)


class HoldingsFormat(StrEnum):
    JSON = "json"
    MRC = "mrc"


@router.put(
    "/records/{record_id}/holdings",
    responses={
        200: {"description": "The holding was there and is now as sent"},
        201: {
            "description": "The holding is new",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HoldingOut"}}
            },
        },
        **_AUTH,
        **problem_responses(404, 410, 422),
    },
    summary="Say your institution holds this book",
)
def set_holding(
    record_id: RecordId,
    holdings: HoldingServiceDep,
    caller: Holder,
    response: Response,
    body: HoldingIn | None = None,
) -> HoldingOut:
    """Sets the calling institution's holding, with an optional call number and note."""
    body = body or HoldingIn()
    info, created = holdings.set(record_id, caller, call_number=body.call_number, note=body.note)
    if created:
        response.status_code = 201
    return HoldingOut.of(info)


@router.delete(
    "/records/{record_id}/holdings",
    status_code=204,
    responses={**_AUTH, **problem_responses(404)},
    summary="Say your institution no longer holds this book",
)
def unset_holding(record_id: RecordId, holdings: HoldingServiceDep, caller: Holder) -> Response:
    holdings.unset(record_id, caller)
    return Response(status_code=204)


@router.get(
    "/records/{record_id}/holdings",
    dependencies=[READ],
    responses={**_AUTH, **problem_responses(404)},
    summary="Which institutions hold this book",
)
def list_holdings(record_id: RecordId, holdings: HoldingServiceDep) -> HoldingList:
    return HoldingList(items=[HoldingOut.of(h) for h in holdings.of_record(record_id)])


def _json_lines(items: Iterator[HoldingOut]) -> Iterator[bytes]:
    # A JSON array written as it is read: an institution may hold a million records.
    yield b'{"items": ['
    for number, item in enumerate(items):
        yield (b"," if number else b"") + item.model_dump_json().encode("utf-8")
    yield b"]}"


@router.get(
    "/institutions/{code}/holdings",
    dependencies=[READ],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The holdings as JSON, or the held records as .mrc with an 852 each",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HoldingList"}},
                "application/marc": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **_AUTH,
        **problem_responses(404, 422),
    },
    summary="Everything an institution holds, as a list or as a .mrc file",
)
def institution_holdings(
    code: Code,
    holdings: HoldingServiceDep,
    fmt: Annotated[HoldingsFormat, Query(alias="format")] = HoldingsFormat.JSON,
) -> StreamingResponse:
    """Streams in record number order, whatever the size, in constant memory."""
    if fmt is HoldingsFormat.MRC:
        return StreamingResponse(
            holdings.export(code),
            media_type="application/marc",
            headers={"Content-Disposition": f'attachment; filename="holdings-{code}.mrc"'},
        )
    items = holdings.of_institution(code)
    first = next(items, None)  # raises InstitutionNotFound before the answer starts

    def listed() -> Iterator[HoldingOut]:
        if first is not None:
            yield HoldingOut.of(first)
            for item in items:
                yield HoldingOut.of(item)

    return StreamingResponse(_json_lines(listed()), media_type="application/json")
