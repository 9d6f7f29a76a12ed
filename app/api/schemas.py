"""Request and response bodies of the JSON API (pydantic lives here, at the edge)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app import marc
from app.api.problems import ProblemItem
from app.cip.service import CipInfo, CipStatus
from app.imports.service import JobStatus, RevertReport
from app.search.searcher import FacetCount, Facets
from app.services.access import Permission, Role
from app.services.holdings import HoldingInfo
from app.services.members import AuditEntry, InstitutionInfo, InstitutionKind, KeyInfo
from app.services.records import FoundRecord, RecordPage, ValidationReport, VersionInfo
from app.services.usage import GroupBy


class MarcJson(BaseModel):
    """A record in MARC-in-JSON, the code4lib serialisation pymarc and MarcEdit speak."""

    leader: str = Field(examples=["01142cam  2200301 a 4500"])
    fields: list[dict[str, Any]] = Field(
        examples=[[{"001": "42"}, {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "…"}]}}]]
    )


class Summary(BaseModel):
    """The parts of a record libraries ask for first, read from its fields."""

    title: str | None
    responsibility: str | None
    main_entry: str | None
    edition: str | None
    place: str | None
    publisher: str | None
    year: int | None
    extent: str | None
    language: str | None
    isbns: list[str] = Field(description="ISBN-13, digits only")
    issns: list[str]
    lccn: str | None
    control_numbers: list[str] = Field(description="035 $a, e.g. (OCoLC)12345")
    ddc: str | None
    subjects: list[str]
    record_type: str = Field(description="leader/06-07, e.g. am = book")
    type: str = Field(description="Kind of material: book, serial, map, music, video, …")

    @classmethod
    def of(cls, summary: marc.RecordSummary) -> "Summary":
        return cls(
            title=summary.title,
            responsibility=summary.responsibility,
            main_entry=summary.main_entry,
            edition=summary.edition,
            place=summary.place,
            publisher=summary.publisher,
            year=summary.year,
            extent=summary.extent,
            language=summary.language,
            isbns=list(summary.isbns),
            issns=list(summary.issns),
            lccn=summary.lccn,
            control_numbers=list(summary.control_numbers),
            ddc=summary.ddc,
            subjects=list(summary.subjects),
            record_type=summary.record_type,
            type=summary.material,
        )


class RecordLinks(BaseModel):
    """Where to fetch this record in each format, and its history."""

    # "json" would shadow BaseModel.json; the field keeps the format's name on the wire.
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    self: str
    json_: str = Field(alias="json")
    marcxml: str
    mrc: str
    mrk: str
    versions: str


def record_links(base: str, record_id: int, version: int | None = None) -> RecordLinks:
    """Links of a record (or of one of its versions) under an API base such as /api/v1."""
    path = f"{base}/records/{record_id}"
    self_path = path if version is None else f"{path}/versions/{version}"
    return RecordLinks(
        self=self_path,
        json_=f"{self_path}?format=json",
        marcxml=f"{self_path}?format=marcxml",
        mrc=f"{self_path}?format=mrc",
        mrk=f"{self_path}?format=mrk",
        versions=f"{path}/versions",
    )


class RecordEnvelope(BaseModel):
    """A record with what the catalogue knows about it."""

    id: int
    version: int
    status: Literal["active", "deleted"] | str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    summary: Summary
    links: RecordLinks
    record: MarcJson
    warnings: list[ProblemItem] = Field(
        default_factory=list, description="Problems that did not stop the record being stored"
    )

    @classmethod
    def of(
        cls,
        found: FoundRecord,
        *,
        base: str,
        warnings: tuple[marc.MarcProblem, ...] = (),
        of_version: bool = False,
    ) -> "RecordEnvelope":
        return cls(
            id=found.id,
            version=found.version,
            status=found.status,
            created_at=found.created_at,
            updated_at=found.updated_at,
            deleted_at=found.deleted_at,
            summary=Summary.of(found.summary),
            links=record_links(base, found.id, found.version if of_version else None),
            record=MarcJson.model_validate(marc.to_json(found.record)),
            warnings=[ProblemItem.of(w) for w in warnings],
        )


class RecordListItem(BaseModel):
    """One record in a listing: its summary and links, not the whole record."""

    id: int
    version: int
    status: str
    updated_at: datetime
    deleted_at: datetime | None
    summary: Summary
    links: RecordLinks

    @classmethod
    def of(cls, found: FoundRecord, *, base: str) -> "RecordListItem":
        return cls(
            id=found.id,
            version=found.version,
            status=found.status,
            updated_at=found.updated_at,
            deleted_at=found.deleted_at,
            summary=Summary.of(found.summary),
            links=record_links(base, found.id),
        )


class FacetValue(BaseModel):
    """One value of a facet and how many results have it."""

    value: str
    count: int


class FacetCounts(BaseModel):
    """Counts of the results by language, type of material, decade and status (top 20 each)."""

    language: list[FacetValue]
    type: list[FacetValue]
    decade: list[FacetValue] = Field(description="1990 stands for 1990-1999")
    status: list[FacetValue]

    @classmethod
    def of(cls, facets: Facets) -> "FacetCounts":
        def values(counts: tuple[FacetCount, ...]) -> list[FacetValue]:
            return [FacetValue(value=c.value, count=c.count) for c in counts]

        return cls(
            language=values(facets.language),
            type=values(facets.type),
            decade=values(facets.decade),
            status=values(facets.status),
        )


class RecordList(BaseModel):
    """One page of records; follow `next` until it is null."""

    items: list[RecordListItem]
    next: str | None = Field(description="URL of the next page, or null on the last one")
    total: int | None = Field(
        default=None, description="How many records match (when counted: searches by default)"
    )
    total_exact: bool | None = Field(
        default=None,
        description="false when more records match than are counted: total is then a lower "
        "bound, and facets count the newest `total` matches only",
    )
    facets: FacetCounts | None = None

    @classmethod
    def of(cls, page: RecordPage, *, base: str, next_link: str | None) -> "RecordList":
        return cls(
            items=[RecordListItem.of(found, base=base) for found in page.items],
            next=next_link,
            total=page.total,
            total_exact=page.total_exact if page.total is not None else None,
            facets=FacetCounts.of(page.facets) if page.facets is not None else None,
        )


class Tombstone(BaseModel):
    """What is left of a deleted record: its number, the version that deleted it, and when."""

    id: int
    version: int
    status: str
    deleted_at: datetime


class VersionEntry(BaseModel):
    """One version in a record's history."""

    version: int
    status: str
    change: Literal["create", "update", "delete"] | str
    created_at: datetime
    created_by: str | None
    links: RecordLinks

    @classmethod
    def of(cls, info: VersionInfo, *, base: str, record_id: int) -> "VersionEntry":
        return cls(
            version=info.version,
            status=info.status,
            change=info.change,
            created_at=info.created_at,
            created_by=info.created_by,
            links=record_links(base, record_id, info.version),
        )


class VersionList(BaseModel):
    """A record's history, oldest first."""

    record_id: int
    versions: list[VersionEntry]


class FieldChangeOut(BaseModel):
    """A field added, removed or changed between two versions, in MARC mnemonic form."""

    change: Literal["added", "removed", "changed"]
    tag: str
    old: str | None
    new: str | None


class RecordDiff(BaseModel):
    """The field-by-field difference between two versions of a record."""

    record_id: int
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]


class ValidationResult(BaseModel):
    """What validation found; nothing was stored."""

    valid: bool
    problems: list[ProblemItem]
    summary: Summary | None

    @classmethod
    def of(cls, report: ValidationReport) -> "ValidationResult":
        return cls(
            valid=report.valid,
            problems=[ProblemItem.of(p) for p in report.problems],
            summary=Summary.of(report.summary) if report.summary else None,
        )


class Health(BaseModel):
    """Whether this process can serve: database reachable, schema at the newest migration."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    dialect: str
    migration_current: str | None
    migration_head: str | None


class ImportCounts(BaseModel):
    """What became of the records read so far (a dry run counts what would have)."""

    read: int
    created: int
    updated: int
    unchanged: int
    duplicates: int = Field(description="matched a stored record and left it as it is (skip)")
    ambiguous: int = Field(description="matched several stored records: nothing was changed")
    rejected: int


class ImportLinks(BaseModel):
    self: str
    report: str = Field(description="every record's outcome as JSON; add ?format=csv for CSV")
    rejected: str = Field(description="the rejected records as one .mrc, to fix and send again")


class ImportJobOut(BaseModel):
    """An import: where it stands, what it did, and where its report is."""

    id: int
    status: Literal["queued", "running", "interrupted", "done", "failed", "reverted"]
    filename: str | None
    format: str | None = Field(
        description="mrc, marcxml, json or mrk: as given, or as found once reading began; "
        "null until then, and for a zip (each of its files is read in its own format)"
    )
    match: list[str] = Field(description="match points, the first that finds a record decides")
    action: Literal["skip", "overlay", "merge", "add"]
    keep: list[str] = Field(description="tags of the stored record that a merge keeps")
    dry_run: bool
    size_bytes: int
    counts: ImportCounts
    records_per_second: float | None
    seconds_left: float | None = Field(description="an estimate, while the job runs")
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = Field(description="why a failed job failed")
    links: ImportLinks

    @classmethod
    def of(cls, job: JobStatus, *, base: str) -> "ImportJobOut":
        url = f"{base}/imports/{job.id}"
        return cls(
            id=job.id,
            status=job.status,
            filename=job.filename,
            format=job.format,
            match=[point.value for point in job.options.match],
            action=job.options.action.value,
            keep=list(job.options.keep),
            dry_run=job.options.dry_run,
            size_bytes=job.size_bytes,
            counts=ImportCounts(
                read=job.read,
                created=job.created,
                updated=job.updated,
                unchanged=job.unchanged,
                duplicates=job.duplicates,
                ambiguous=job.ambiguous,
                rejected=job.rejected,
            ),
            records_per_second=job.records_per_second,
            seconds_left=job.seconds_left,
            submitted_at=job.submitted_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            error=job.error,
            links=ImportLinks(self=url, report=f"{url}/report", rejected=f"{url}/rejected.mrc"),
        )


class ImportList(BaseModel):
    """Imports, newest first; follow `next` for older ones."""

    items: list[ImportJobOut]
    next: str | None


class ImportOutcomeOut(BaseModel):
    """What became of one record of an upload."""

    position: int = Field(
        description="the record's place in the upload, from 0, counting on through a zip's files"
    )
    byte_offset: int | None = Field(
        description="where the record starts in its file, in bytes (MARCXML: its <record> "
        "start tag; null in a UTF-16 document)"
    )
    control_number: str | None = Field(description="its 001 as it came")
    isbn: str | None
    title: str | None
    outcome: Literal["created", "updated", "unchanged", "duplicate", "ambiguous", "rejected"]
    reason: str | None
    record_id: int | None = Field(description="the catalogue record it created or changed")
    previous_version: int | None
    new_version: int | None
    file: str | None = Field(
        description="the record's file inside an uploaded zip; null for the upload itself"
    )


class UndoneOut(BaseModel):
    position: int
    record_id: int
    reason: str


class RevertOut(BaseModel):
    """What a revert did; `refused` are the records changed since the import, kept as they are."""

    job_id: int
    deleted: int = Field(description="records the import created, now tombstones")
    restored: int = Field(description="records the import changed, back to their version before")
    refused: list[UndoneOut]

    @classmethod
    def of(cls, report: RevertReport) -> "RevertOut":
        return cls(
            job_id=report.job_id,
            deleted=report.deleted,
            restored=report.restored,
            refused=[
                UndoneOut(position=u.position, record_id=u.record_id, reason=u.reason)
                for u in report.refused
            ],
        )


# -- members: institutions, keys, audit, holdings, statistics ----------------------------------


class InstitutionIn(BaseModel):
    """A member to register."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=16,
        description="MARC organization code or ISIL",
        examples=["VN-NLV"],
    )
    name: str = Field(min_length=1, max_length=500, examples=["Thư viện Quốc gia Việt Nam"])
    kind: InstitutionKind
    province: str | None = Field(None, max_length=100, examples=["Hà Nội"])


class InstitutionChange(BaseModel):
    """What to change of a member; what is left out stays."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=500)
    kind: InstitutionKind | None = None
    province: str | None = Field(None, max_length=100, description="Empty to clear it")


class InstitutionOut(BaseModel):
    code: str
    name: str
    kind: InstitutionKind
    province: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, info: InstitutionInfo) -> "InstitutionOut":
        return cls(
            code=info.code,
            name=info.name,
            kind=info.kind,
            province=info.province,
            created_at=info.created_at,
            updated_at=info.updated_at,
        )


class InstitutionList(BaseModel):
    items: list[InstitutionOut]


class KeyIn(BaseModel):
    """A key to make for an institution."""

    model_config = ConfigDict(extra="forbid")

    institution: str = Field(min_length=1, max_length=40, examples=["VN-NLV"])
    role: Role
    label: str | None = Field(None, max_length=200, examples=["Koha production"])
    expires_at: datetime | None = Field(None, description="When it stops working; none: never")


class KeyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class KeyOut(BaseModel):
    """A key as listed: its prefix tells it apart; the secret is never shown again."""

    id: int
    institution: str
    role: Role
    prefix: str = Field(examples=["sc_Ab3dE9xQ"])
    label: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, info: KeyInfo, now: datetime) -> "KeyOut":
        return cls(
            id=info.id,
            institution=info.institution,
            role=info.role,
            prefix=info.prefix,
            label=info.label,
            created_at=info.created_at,
            created_by=info.created_by,
            expires_at=info.expires_at,
            revoked_at=info.revoked_at,
            active=info.active(now),
        )


class NewKeyOut(KeyOut):
    secret: str = Field(description="The key itself: shown this once, stored only as a hash")


class KeyList(BaseModel):
    items: list[KeyOut]


class CallerOut(BaseModel):
    """Who the key in this request belongs to."""

    institution: str | None
    role: Role | None
    key_id: int | None
    name: str
    permissions: list[Permission]


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(examples=["VN-NLV key 1", "cli:root"])
    action: str = Field(examples=["key-created", "key-revoked", "key-role-changed"])
    subject: str = Field(examples=["key 7", "VN-HCM"])
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> "AuditEntryOut":
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            subject=entry.subject,
            detail=entry.detail,
        )


class AuditList(BaseModel):
    items: list[AuditEntryOut]
    next: str | None = Field(None, description="The next (older) page")


class HoldingIn(BaseModel):
    """The calling institution's copy: its own call number and a note, both optional."""

    model_config = ConfigDict(extra="forbid")

    call_number: str | None = Field(None, max_length=200, examples=["027.0597 NG-H"])
    note: str | None = Field(None, max_length=1000, examples=["Kho mượn, tầng 2"])


class HoldingOut(BaseModel):
    record_id: int
    institution: str
    institution_name: str
    call_number: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, info: HoldingInfo) -> "HoldingOut":
        return cls(
            record_id=info.record_id,
            institution=info.institution,
            institution_name=info.institution_name,
            call_number=info.call_number,
            note=info.note,
            created_at=info.created_at,
            updated_at=info.updated_at,
        )


class HoldingList(BaseModel):
    items: list[HoldingOut]


class StatsRowOut(BaseModel):
    key: str | None = Field(
        description="The group: an institution code, a month (2026-11) or a format; null for "
        "anonymous downloads, or for contributions and holdings under group_by=format"
    )
    contributed: int = Field(description="Record versions written (created or changed)")
    downloaded: int = Field(description="Records sent: single downloads, exports, SRU, OAI-PMH")
    holdings: int = Field(description="Holdings set (and still held)")


class StatsOut(BaseModel):
    from_: str = Field(alias="from")
    to: str
    group_by: GroupBy
    items: list[StatsRowOut]
    totals: StatsRowOut


# -- cataloguing in publication ---------------------------------------------------------------


class ContributorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300, examples=["Nguyễn Thị Hường"])
    role: Literal["author", "editor", "translator", "illustrator"] = "author"


class CipRequestIn(BaseModel):
    """What a publisher knows of a book before it is printed."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=1000, examples=["Lịch sử Thư viện Việt Nam"])
    subtitle: str | None = Field(None, max_length=1000, examples=["từ khởi thủy đến năm 1945"])
    parallel_title: str | None = Field(None, max_length=1000)
    contributors: list[ContributorIn] = Field(default_factory=list, max_length=50)
    edition: str | None = Field(None, max_length=200, examples=["Tái bản lần thứ 2"])
    series: str | None = Field(None, max_length=500)
    series_number: str | None = Field(None, max_length=50)
    publisher: str | None = Field(None, max_length=500, examples=["Nxb. Đại học Quốc gia Hà Nội"])
    place: str | None = Field(None, max_length=200, examples=["Hà Nội"])
    expected_date: str = Field(
        pattern=r"^\d{4}(-\d{2})?$",
        description="Expected month of publication",
        examples=["2027-03"],
    )
    isbns: list[str] = Field(default_factory=list, max_length=10, examples=[["978-604-0-00000-0"]])
    pages: int | None = Field(None, ge=1, le=100000, description="Expected number of pages")
    size_cm: int | None = Field(None, ge=1, le=500, description="Expected height in cm")
    languages: list[str] = Field(default_factory=lambda: ["vie"], min_length=1, max_length=10)
    summary: str | None = Field(None, max_length=5000)
    keywords: list[str] = Field(default_factory=list, max_length=30)
    audience: str | None = Field(
        None, max_length=500, description="Its readers, e.g. Thiếu nhi (coded in 008/22)"
    )
    original_language: str | None = Field(
        None,
        pattern=r"^[a-z]{3}$",
        description="Of a translation: the original's MARC language code (041 $h)",
        examples=["eng"],
    )

    def data(self) -> marc.CipData:
        return marc.CipData(
            title=self.title,
            subtitle=self.subtitle,
            parallel_title=self.parallel_title,
            contributors=tuple(marc.Contributor(c.name, c.role) for c in self.contributors),
            edition=self.edition,
            series=self.series,
            series_number=self.series_number,
            publisher=self.publisher,
            place=self.place,
            expected_date=self.expected_date,
            isbns=tuple(self.isbns),
            pages=self.pages,
            size_cm=self.size_cm,
            languages=tuple(self.languages),
            summary=self.summary,
            keywords=tuple(self.keywords),
            audience=self.audience,
            original_language=self.original_language,
        )


class CipLinks(BaseModel):
    self: str
    history: str
    block: str | None = Field(description="The CIP block to print, once approved")
    record: str | None = Field(description="The catalogue record, once approved")


class CipRequestOut(BaseModel):
    id: int
    status: CipStatus
    institution: str | None = Field(description="The publisher that sent it")
    title: str
    expected_date: str
    request: dict[str, Any] = Field(description="The request as last sent")
    record: MarcJson = Field(description="The prepublication record as it stands")
    message: str | None = Field(description="Why it was returned, for the publisher")
    warnings: list[ProblemItem] = Field(
        default_factory=list,
        description="What to check, though nothing stops the request: no ISBN, an ISBN "
        "outside 978-604 or already in the catalogue, an expected month already past, …",
    )
    record_id: int | None
    record_status: str | None = Field(description="cip until the book is out, then active")
    version: int
    created_at: datetime
    updated_at: datetime
    links: CipLinks

    @classmethod
    def of(cls, info: CipInfo, *, base: str) -> "CipRequestOut":
        path = f"{base}/cip-requests/{info.id}"
        return cls(
            id=info.id,
            status=info.status,
            institution=info.institution,
            title=info.title,
            expected_date=info.expected_date,
            request=info.data,
            record=MarcJson.model_validate(marc.to_json(info.record)),
            message=info.message,
            warnings=[ProblemItem.of(w) for w in info.warnings],
            record_id=info.record_id,
            record_status=info.record_status,
            version=info.version,
            created_at=info.created_at,
            updated_at=info.updated_at,
            links=CipLinks(
                self=path,
                history=f"{path}/history",
                block=f"{path}/block" if info.record_id else None,
                record=f"{base}/records/{info.record_id}" if info.record_id else None,
            ),
        )


class CipList(BaseModel):
    items: list[CipRequestOut]
    next: str | None = None


class CipStepOut(BaseModel):
    at: datetime
    actor: str
    action: str = Field(examples=["submitted", "changed", "catalogued", "returned", "approved"])
    status: CipStatus
    request: dict[str, Any]
    record: MarcJson
    message: str | None


class CipHistory(BaseModel):
    steps: list[CipStepOut]


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=5000, examples=["Xin bổ sung ISBN."])


class PublicationIn(BaseModel):
    """The facts of the printed book."""

    model_config = ConfigDict(extra="forbid")

    date: datetime | int = Field(description="Date or year of publication", examples=[2027])
    pages: int = Field(ge=1, le=100000)
    height_cm: int = Field(ge=1, le=500)
    isbns: list[str] = Field(default_factory=list, max_length=10)
