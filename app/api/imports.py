"""Imports over HTTP: upload a file (202 at once), follow its job, read its report."""

import json
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from app import marc
from app.api.auth import require
from app.api.csv_files import CSV_MEDIA_TYPE, csv_chunks
from app.api.deps import ImportServiceDep, SettingsDep
from app.api.problems import problem_responses
from app.api.routes import api_base_url
from app.api.schemas import ImportJobOut, ImportList, ImportOutcomeOut, RevertOut
from app.db.models import MAX_KEY
from app.imports.options import ImportOptions
from app.imports.service import REPORT_COLUMNS, ImportService, Outcome
from app.services.access import Permission

router = APIRouter(prefix="/imports", tags=["imports"])

CONTRIBUTE = Depends(require(Permission.CONTRIBUTE))
PATH = "/imports"
SPOOL_BYTES = 8 * 1024 * 1024  # a request body past this goes to a temporary file, not memory
JobId = Annotated[int, Path(ge=1, le=MAX_KEY, description="The import's number")]


async def _spooled_body(request: Request) -> tuple[BinaryIO, str | None]:
    """The uploaded file, whether multipart (field `file`) or the raw body, and its name."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=SPOOL_BYTES)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise marc.UnreadableRecord(
                marc.MarcProblem("no-file", "a multipart upload needs its file in the field `file`")
            )
        if upload.size == 0:
            await form.close()
            raise _empty_upload()
        return upload.file, upload.filename
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by caller
    async for chunk in request.stream():
        spool.write(chunk)
    if not spool.tell():
        spool.close()
        raise _empty_upload()
    spool.seek(0)
    return spool, None  # type: ignore[return-value]


def _empty_upload() -> marc.UnreadableRecord:
    # Most likely a wrong path given to curl: a job that reads nothing would hide it.
    return marc.UnreadableRecord(marc.MarcProblem("empty-upload", "the upload is empty"))


@router.post(
    "",
    dependencies=[CONTRIBUTE],
    status_code=202,
    summary="Upload a file to import",
    response_model=ImportJobOut,
    responses=problem_responses(400, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file: raw (any Content-Type), or multipart/form-data in the field "
            "`file`. ISO 2709, MARCXML, MARC-in-JSON or .mrk, also gzip- or zip-compressed.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def submit_import(
    request: Request,
    response: Response,
    imports: ImportServiceDep,
    settings: SettingsDep,
    match: Annotated[
        str | None, Query(description="Match points in order: 001, 035, isbn, issn, lccn")
    ] = None,
    action: Annotated[
        str | None, Query(description="On a match: skip (default), overlay, merge or add")
    ] = None,
    keep: Annotated[
        str | None, Query(description="Tags a merge keeps from the stored record (default 9XX)")
    ] = None,
    dry_run: Annotated[bool, Query(description="Report everything, write nothing")] = False,
    fmt: Annotated[
        marc.Format | None,
        Query(alias="format", description="The file's format; detected if left out"),
    ] = None,
    filename: Annotated[str | None, Query(max_length=500)] = None,
) -> ImportJobOut:
    """Queue a file for import and answer at once with the job; a worker loads it."""
    options = ImportOptions.parse(match=match, action=action, keep=keep, dry_run=dry_run)
    source, uploaded_name = await _spooled_body(request)
    try:
        job = await run_in_threadpool(
            imports.submit,
            source,
            filename=filename or uploaded_name,
            fmt=fmt,
            options=options,
        )
    finally:
        source.close()
    body = ImportJobOut.of(job, base=api_base_url(settings))
    response.headers["Location"] = body.links.self
    return body


@router.get(
    "",
    dependencies=[CONTRIBUTE],
    summary="List imports",
    response_model=ImportList,
    name="list_imports",
    responses=problem_responses(422),
)
def list_imports(
    request: Request,
    imports: ImportServiceDep,
    settings: SettingsDep,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_KEY, description="Older than this job")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ImportList:
    """Imports, newest first."""
    base = api_base_url(settings)
    jobs = imports.jobs(before=before, limit=limit)
    following = None
    if len(jobs) == limit:
        following = f"{base}{PATH}?before={jobs[-1].id}&limit={limit}"
    return ImportList(items=[ImportJobOut.of(job, base=base) for job in jobs], next=following)


@router.get(
    "/{job_id}",
    dependencies=[CONTRIBUTE],
    summary="An import's status",
    response_model=ImportJobOut,
    responses=problem_responses(404, 422),
)
def get_import(
    request: Request, job_id: JobId, imports: ImportServiceDep, settings: SettingsDep
) -> ImportJobOut:
    """Status, counts, records/s and time left of one import."""
    return ImportJobOut.of(imports.status(job_id), base=api_base_url(settings))


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    return ImportOutcomeOut(
        position=outcome.position,
        byte_offset=outcome.byte_offset,
        control_number=outcome.control_number,
        isbn=outcome.isbn,
        title=outcome.title,
        outcome=outcome.outcome,
        reason=outcome.reason,
        record_id=outcome.record_id,
        previous_version=outcome.previous_version,
        new_version=outcome.new_version,
        file=outcome.file,
    ).model_dump()


def _json_report(imports: ImportService, job_id: int) -> Iterator[bytes]:
    yield b"["
    separator = b"\n"
    for outcome in imports.outcomes(job_id):
        yield separator + json.dumps(_outcome_json(outcome), ensure_ascii=False).encode()
        separator = b",\n"
    yield b"\n]\n"


def _csv_report(imports: ImportService, job_id: int) -> Iterator[bytes]:
    rows = (
        [getattr(outcome, name) for name in REPORT_COLUMNS] for outcome in imports.outcomes(job_id)
    )
    return csv_chunks(REPORT_COLUMNS, rows)


@router.get(
    "/{job_id}/report",
    dependencies=[CONTRIBUTE],
    summary="What became of every record",
    response_model=list[ImportOutcomeOut],
    responses={
        **problem_responses(404, 422),
        200: {
            "description": "One outcome per record, in file order, as JSON or CSV",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    },
)
def import_report(
    job_id: JobId,
    imports: ImportServiceDep,
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> StreamingResponse:
    """Every record's outcome: position in the file, byte offset, 001, ISBN, title, outcome,
    reason, and the record it created or changed. Streamed, whatever the file's size."""
    imports.status(job_id)
    if fmt == "csv":
        return StreamingResponse(
            _csv_report(imports, job_id),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="import-{job_id}.csv"'},
        )
    return StreamingResponse(_json_report(imports, job_id), media_type="application/json")


@router.get(
    "/{job_id}/rejected.mrc",
    dependencies=[CONTRIBUTE],
    summary="The rejected records, to fix and send again",
    response_class=StreamingResponse,
    responses={
        **problem_responses(404, 422),
        200: {
            "description": "The rejected records as ISO 2709 (those too damaged to write are "
            "only in the report)",
            "content": {"application/marc": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
def rejected_records(job_id: JobId, imports: ImportServiceDep) -> StreamingResponse:
    """The import's rejected records in one .mrc file."""
    imports.status(job_id)
    return StreamingResponse(
        imports.rejected_records(job_id),
        media_type="application/marc",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-rejected.mrc"'},
    )


@router.post(
    "/{job_id}/revert",
    dependencies=[CONTRIBUTE],
    summary="Undo a finished import",
    response_model=RevertOut,
    responses=problem_responses(404, 409, 422),
)
def revert_import(job_id: JobId, imports: ImportServiceDep) -> RevertOut:
    """Tombstone the records the import created and put the records it changed back to their
    version before it; a record changed since is kept as it is and listed in `refused`."""
    return RevertOut.of(imports.revert(job_id))
