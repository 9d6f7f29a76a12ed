"""Usage statistics: contributions, downloads and holdings, per institution, month or format."""

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.auth import require
from app.api.csv_files import CSV_MEDIA_TYPE, csv_chunks
from app.api.deps import ClockDep, StatsServiceDep
from app.api.errors import BadQuery
from app.api.problems import problem_responses
from app.api.schemas import StatsOut, StatsRowOut
from app.services.access import Permission
from app.services.usage import GroupBy

router = APIRouter(tags=["statistics"])

MAX_DAYS = 3660


@router.get(
    "/stats",
    dependencies=[Depends(require(Permission.ADMINISTER))],
    response_model=StatsOut,
    responses={
        200: {
            "description": "JSON, or CSV with ?format=csv or Accept: text/csv",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **problem_responses(400, 401, 403, 422, 429),
    },
    summary="How the shared catalogue is used: contributed, downloaded, holdings",
)
def read_stats(
    request: Request,
    stats: StatsServiceDep,
    clock: ClockDep,
    from_: Annotated[
        date | None, Query(alias="from", description="First day (UTC); default: 30 days ago")
    ] = None,
    to: Annotated[date | None, Query(description="Last day, included; default: today")] = None,
    group_by: Annotated[GroupBy, Query()] = GroupBy.INSTITUTION,
    fmt: Annotated[Literal["json", "csv"] | None, Query(alias="format")] = None,
) -> StatsOut | Response:
    """Downloads are counted in each API process and stored every few seconds."""
    last = to or clock().date()
    first = from_ or last - timedelta(days=30)
    if first > last:
        raise BadQuery("from is later than to", parameter="from")
    if (last - first).days > MAX_DAYS:
        raise BadQuery(f"ask for at most {MAX_DAYS} days at a time", parameter="from")
    rows = [
        StatsRowOut(
            key=r.key, contributed=r.contributed, downloaded=r.downloaded, holdings=r.holdings
        )
        for r in stats.stats(first=first, last=last, group_by=group_by)
    ]
    totals = StatsRowOut(
        key=None,
        contributed=sum(r.contributed for r in rows),
        downloaded=sum(r.downloaded for r in rows),
        holdings=sum(r.holdings for r in rows),
    )
    if fmt == "csv" or (fmt is None and "text/csv" in request.headers.get("accept", "")):
        table = ([row.key, row.contributed, row.downloaded, row.holdings] for row in rows)
        header = [group_by.value, "contributed", "downloaded", "holdings"]
        name = f"stats-{group_by.value}-{first}-{last}.csv"
        return Response(
            b"".join(csv_chunks(header, table)),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return StatsOut.model_validate(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "group_by": group_by,
            "items": rows,
            "totals": totals,
        }
    )
