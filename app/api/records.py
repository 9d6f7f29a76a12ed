"""The record API: upload, fetch in four formats, replace, delete, history, look-up."""

from collections.abc import Callable, Iterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app import marc
from app.api.auth import CallerDep, require
from app.api.body import raw_body
from app.api.cursor import decode_cursor, encode_cursor
from app.api.deps import RecordServiceDep, SettingsDep, UsageMeterDep
from app.api.errors import BadCursor, BadQuery
from app.api.negotiation import body_format, media_type, negotiate
from app.api.preconditions import etag, expected_versions
from app.api.problems import problem_responses
from app.api.routes import api_base_url
from app.api.schemas import (
    FieldChangeOut,
    MarcJson,
    RecordDiff,
    RecordEnvelope,
    RecordList,
    Tombstone,
    ValidationResult,
    VersionEntry,
    VersionList,
)
from app.api.search_params import search_query
from app.db.models import MAX_KEY
from app.search.form import is_search
from app.search.query import SearchQuery
from app.search.searcher import EmptyQuery, InvalidCursor, Sort
from app.services.access import ANONYMOUS, Permission
from app.services.records import FoundRecord, RecordPage, RecordService
from app.settings import Settings

MAX_VERSION = 2**31 - 1

router = APIRouter(prefix="/records", tags=["records"])

READ = Depends(require(Permission.READ))
CONTRIBUTE = Depends(require(Permission.CONTRIBUTE))
# The role allows editing; whether this record may be edited is the service's to say.
EDIT = Depends(require(Permission.EDIT_OWN))

_TEXT_SCHEMA = {"type": "string"}
_MARC_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One MARC 21 record. The format is taken from Content-Type, or detected "
        "from the bytes when none (or application/octet-stream) is given.",
        "content": {
            "application/marc": {"schema": {"type": "string", "format": "binary"}},
            "application/marcxml+xml": {"schema": _TEXT_SCHEMA},
            "application/xml": {"schema": _TEXT_SCHEMA},
            "text/xml": {"schema": _TEXT_SCHEMA},
            "application/marc+json": {"schema": {"$ref": "#/components/schemas/MarcJson"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/MarcJson"}},
            "text/x-marc-mnemonic": {"schema": _TEXT_SCHEMA},
            "text/plain": {"schema": _TEXT_SCHEMA},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The JSON envelope, or the record in the format asked for by ?format= "
        "or Accept",
        "content": {
            "application/marc+json": {"schema": {"$ref": "#/components/schemas/MarcJson"}},
            "application/marcxml+xml": {"schema": _TEXT_SCHEMA},
            "application/marc": {"schema": {"type": "string", "format": "binary"}},
            "text/x-marc-mnemonic": {"schema": _TEXT_SCHEMA},
        },
        "headers": {"ETag": {"schema": _TEXT_SCHEMA}},
    },
    304: {"description": "Not modified: If-None-Match holds the current ETag"},
}

RecordId = Annotated[int, Path(ge=1, le=MAX_KEY, description="The record's number (its 001)")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version, from 1")]

FormatParam = Annotated[
    marc.Format | None,
    Query(alias="format", description="Download format; without it, Accept decides"),
]


def _not_modified(if_none_match: str | None, version: int) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag(version) in tags


def _file_name(found: FoundRecord, fmt: marc.Format, *, of_version: bool) -> str:
    suffix = f"-v{found.version}" if of_version else ""
    return f"record-{found.id}{suffix}.{fmt.extension}"


def _render(found: FoundRecord, fmt: marc.Format) -> bytes:
    if fmt is marc.Format.MRC and found.iso2709 is not None:
        return found.iso2709
    return marc.write(found.record, fmt)  # raises RecordTooLong for an oversize .mrc


Counter = Callable[[str, int], None]


def _download_counter(request: Request, usage: UsageMeterDep) -> Counter:
    """Counts records sent to the caller, by format (HEAD sends none)."""
    caller = getattr(request.state, "caller", ANONYMOUS)

    def count(fmt: str, records: int) -> None:
        if request.method != "HEAD":
            usage.downloaded(caller, fmt, records)

    return count


CounterDep = Annotated[Counter, Depends(_download_counter)]


def _answer(
    found: FoundRecord,
    *,
    fmt_param: marc.Format | None,
    accept: str | None,
    if_none_match: str | None,
    settings: Settings,
    of_version: bool,
    count: Counter,
) -> Response | RecordEnvelope:
    too_long = frozenset({marc.Format.MRC}) if found.iso2709 is None else frozenset()
    fmt = negotiate(fmt_param, accept, unavailable=too_long)
    headers = {"ETag": etag(found.version), "Vary": "Accept"}
    if _not_modified(if_none_match, found.version):
        return Response(status_code=304, headers=headers)
    count(fmt.value if fmt is not None else "json", 1)
    if fmt is None:
        envelope = RecordEnvelope.of(found, base=api_base_url(settings), of_version=of_version)
        return Response(envelope.model_dump_json(), media_type="application/json", headers=headers)
    name = _file_name(found, fmt, of_version=of_version)
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(_render(found, fmt), media_type=media_type(fmt), headers=headers)


@router.post(
    "",
    dependencies=[CONTRIBUTE],
    status_code=201,
    responses={
        201: {
            "description": "Stored",
            "headers": {
                "Location": {"description": "The new record's address", "schema": _TEXT_SCHEMA},
                "ETag": {"description": 'The version, e.g. "v1"', "schema": _TEXT_SCHEMA},
            },
        },
        **problem_responses(400, 413, 415, 422),
    },
    openapi_extra=_MARC_BODY,
    summary="Upload a record",
)
def create_record(
    request: Request,
    response: Response,
    payload: Annotated[bytes, Depends(raw_body)],
    records: RecordServiceDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> RecordEnvelope:
    """Store a new record in any of the four formats; it gets its number in 001, and the
    caller's institution in 040."""
    saved = records.create(payload, body_format(request.headers.get("content-type")), author=caller)
    base = api_base_url(settings)
    response.headers["Location"] = f"{base}/records/{saved.found.id}"
    response.headers["ETag"] = etag(saved.found.version)
    return RecordEnvelope.of(saved.found, base=base, warnings=saved.warnings)


@router.post(
    "/validate",
    dependencies=[READ],
    responses=problem_responses(413, 415),
    openapi_extra=_MARC_BODY,
    summary="Check a record without storing it",
)
def validate_record(
    request: Request,
    payload: Annotated[bytes, Depends(raw_body)],
    records: RecordServiceDep,
) -> ValidationResult:
    """Report every problem of a record (errors block storing, warnings do not)."""
    report = records.validate(payload, body_format(request.headers.get("content-type")))
    return ValidationResult.of(report)


def _search_page(
    records: RecordService,
    query: SearchQuery,
    *,
    sort: Sort | None,
    cursor: str | None,
    limit: int,
    totals: bool,
) -> RecordPage:
    after = decode_cursor(cursor) if cursor else None
    try:
        return records.search(query, sort=sort, after=after, limit=limit, totals=totals)
    except InvalidCursor as error:
        raise BadCursor() from error
    except EmptyQuery as error:
        raise BadQuery(str(error), parameter="q") from error


@router.get(
    "",
    dependencies=[READ],
    responses=problem_responses(400, 422),
    summary="Search the catalogue, look records up by standard number, or list them",
)
def list_records(
    request: Request,
    records: RecordServiceDep,
    settings: SettingsDep,
    query: Annotated[SearchQuery, Depends(search_query)],
    sort: Annotated[
        Sort | None,
        Query(
            description="relevance (the default with words to find), year, title (Vietnamese "
            "alphabetical order), updated (the default without); a leading - reverses"
        ),
    ] = None,
    facets: Annotated[
        bool | None,
        Query(description="Count results and facets (default: yes when searching, no to list)"),
    ] = None,
    cursor: Annotated[str | None, Query(description="From the previous page's next link")] = None,
    limit: Annotated[int | None, Query(ge=1, description="Records per page")] = None,
) -> RecordList:
    """Find records: words and fields, filters, a sort order; one page at a time."""
    size = min(limit or settings.page_size, settings.max_page_size)
    # Counting costs up to count_bound rows: the first page of a search has it, or who asks.
    totals = facets if facets is not None else is_search(query) and cursor is None
    page = _search_page(records, query, sort=sort, cursor=cursor, limit=size, totals=totals)
    base = api_base_url(settings)
    next_link = None
    if page.next_key is not None:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        params.append(("cursor", encode_cursor(page.next_key)))
        next_link = f"{base}/records?{urlencode(params)}"
    return RecordList.of(page, base=base, next_link=next_link)


_EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every record found, streamed: a JSON array, a MARCXML collection, "
        "concatenated ISO 2709, or .mrk records separated by blank lines",
        "content": {
            "application/marc+json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/MarcJson"}}
            },
            "application/marcxml+xml": {"schema": _TEXT_SCHEMA},
            "application/marc": {"schema": {"type": "string", "format": "binary"}},
            "text/x-marc-mnemonic": {"schema": _TEXT_SCHEMA},
        },
    },
}


def _coalesced(chunks: Iterator[bytes], size: int = 256 * 1024) -> Iterator[bytes]:
    """Join a record-at-a-time stream into larger writes: one ASGI send per record is slow."""
    buffer: list[bytes] = []
    held = 0
    for chunk in chunks:
        buffer.append(chunk)
        held += len(chunk)
        if held >= size:
            yield b"".join(buffer)
            buffer, held = [], 0
    if buffer:
        yield b"".join(buffer)


def _counted(chunks: Iterator[bytes], done: Callable[[], None]) -> Iterator[bytes]:
    """The chunks, then `done()`: also when the client goes away in the middle."""
    try:
        yield from chunks
    finally:
        done()


@router.get(
    "/export",
    dependencies=[READ],
    response_class=StreamingResponse,
    responses={**_EXPORTS, **problem_responses(400, 422)},
    summary="Download every record a search finds, as one file",
)
def export_records(
    records: RecordServiceDep,
    count: CounterDep,
    query: Annotated[SearchQuery, Depends(search_query)],
    fmt: Annotated[
        marc.Format, Query(alias="format", description="File format (default: mrc)")
    ] = marc.Format.MRC,
) -> StreamingResponse:
    """Stream the whole result of a search in record number order, in constant memory.

    A record too long for ISO 2709 is left out of a .mrc file (fetch it as MARCXML)."""
    sent = [0]

    def one_more() -> None:
        sent[0] += 1

    try:
        chunks = records.export(query, fmt, on_record=one_more)
    except EmptyQuery as error:
        raise BadQuery(str(error), parameter="q") from error
    return StreamingResponse(
        _counted(_coalesced(chunks), lambda: count(fmt.value, sent[0])),
        media_type=media_type(fmt),
        headers={"Content-Disposition": f'attachment; filename="records.{fmt.extension}"'},
    )


@router.get(
    "/{record_id}",
    dependencies=[READ],
    response_model=RecordEnvelope,
    responses={**_DOWNLOADS, **problem_responses(400, 404, 406, 410, 422)},
    summary="Fetch a record",
)
@router.head(
    "/{record_id}",
    dependencies=[READ],
    response_model=RecordEnvelope,
    responses={**_DOWNLOADS, **problem_responses(400, 404, 406, 410, 422)},
    summary="The headers of a record download (ETag, type, file name), without the body",
)
def read_record(
    record_id: RecordId,
    records: RecordServiceDep,
    settings: SettingsDep,
    count: CounterDep,
    fmt: FormatParam = None,
    accept: Annotated[str | None, Header()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response | RecordEnvelope:
    """The current version: a JSON envelope, or the record as .mrc, MARCXML, .mrk or JSON."""
    return _answer(
        records.get(record_id),
        fmt_param=fmt,
        accept=accept,
        if_none_match=if_none_match,
        settings=settings,
        of_version=False,
        count=count,
    )


@router.put(
    "/{record_id}",
    dependencies=[EDIT],
    responses=problem_responses(400, 404, 410, 412, 413, 415, 422, 428),
    openapi_extra=_MARC_BODY,
    summary="Replace a record with a new version",
)
def replace_record(
    record_id: RecordId,
    request: Request,
    response: Response,
    payload: Annotated[bytes, Depends(raw_body)],
    records: RecordServiceDep,
    settings: SettingsDep,
    caller: CallerDep,
    if_match: Annotated[
        str | None, Header(description='The ETag you read the record with, e.g. "v3"')
    ] = None,
) -> RecordEnvelope:
    """Write a new version; If-Match must hold the ETag of the version it replaces."""
    expected = expected_versions(if_match, required=True)
    saved = records.replace(
        record_id,
        payload,
        body_format(request.headers.get("content-type")),
        expected_versions=expected,
        author=caller,
    )
    response.headers["ETag"] = etag(saved.found.version)
    return RecordEnvelope.of(saved.found, base=api_base_url(settings), warnings=saved.warnings)


@router.delete(
    "/{record_id}",
    dependencies=[EDIT],
    responses=problem_responses(404, 410, 412, 422),
    summary="Delete a record, leaving a tombstone",
)
def delete_record(
    record_id: RecordId,
    records: RecordServiceDep,
    caller: CallerDep,
    if_match: Annotated[
        str | None, Header(description="Optional: delete only this version")
    ] = None,
) -> Tombstone:
    """Tombstone the record: it answers 410 from now on and its history is kept."""
    found = records.delete(
        record_id, expected_versions=expected_versions(if_match, required=False), author=caller
    )
    assert found.deleted_at is not None
    return Tombstone(
        id=found.id, version=found.version, status=found.status, deleted_at=found.deleted_at
    )


@router.get(
    "/{record_id}/versions",
    dependencies=[READ],
    responses=problem_responses(404, 422),
    summary="A record's history",
)
def list_versions(
    record_id: RecordId, records: RecordServiceDep, settings: SettingsDep
) -> VersionList:
    """Every version of the record, oldest first, deletions included."""
    base = api_base_url(settings)
    return VersionList(
        record_id=record_id,
        versions=[
            VersionEntry.of(info, base=base, record_id=record_id)
            for info in records.versions(record_id)
        ],
    )


@router.get(
    "/{record_id}/versions/{version}",
    dependencies=[READ],
    response_model=RecordEnvelope,
    responses={**_DOWNLOADS, **problem_responses(400, 404, 406, 422)},
    summary="Fetch one version of a record",
)
@router.head(
    "/{record_id}/versions/{version}",
    dependencies=[READ],
    response_model=RecordEnvelope,
    responses={**_DOWNLOADS, **problem_responses(400, 404, 406, 422)},
    summary="The headers of a version download, without the body",
)
def read_version(
    record_id: RecordId,
    version: VersionNumber,
    records: RecordServiceDep,
    settings: SettingsDep,
    count: CounterDep,
    fmt: FormatParam = None,
    accept: Annotated[str | None, Header()] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response | RecordEnvelope:
    """The record as it was at that version, in any format."""
    return _answer(
        records.version(record_id, version),
        fmt_param=fmt,
        accept=accept,
        if_none_match=if_none_match,
        settings=settings,
        of_version=True,
        count=count,
    )


@router.get(
    "/{record_id}/diff",
    dependencies=[READ],
    responses=problem_responses(400, 404, 422),
    summary="Compare two versions field by field",
)
def diff_versions(
    record_id: RecordId,
    records: RecordServiceDep,
    from_version: Annotated[
        int | None,
        Query(alias="from", ge=1, le=MAX_VERSION, description="Default: the one before `to`"),
    ] = None,
    to_version: Annotated[
        int | None, Query(alias="to", ge=1, le=MAX_VERSION, description="Default: latest")
    ] = None,
) -> RecordDiff:
    """Fields added, removed and changed from one version to another."""
    diff = records.diff(record_id, from_version, to_version)
    return RecordDiff(
        record_id=record_id,
        from_version=diff.from_version,
        to_version=diff.to_version,
        changes=[
            FieldChangeOut(change=c.change, tag=c.tag, old=c.old, new=c.new) for c in diff.changes
        ],
    )


__all__ = ["MarcJson", "router"]
