"""The typed ORM models: records and their versions, imports, member libraries and their use."""

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite stores none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite compares the stored text: one fixed format keeps keyset pages in time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# 64-bit keys on PostgreSQL for a catalogue meant to last; SQLite's INTEGER PRIMARY KEY is already
# 64-bit and must stay spelled INTEGER to be the rowid.
Key = BigInteger().with_variant(Integer, "sqlite")
MAX_KEY = 2**63 - 1


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so Alembic can name every constraint."""

    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        }
    )


class StoredRecord(Base):
    """The current version of a catalogue record; every version, this one too, is in RecordVersion.

    The record is kept twice on purpose: `marc_json` (MARC-in-JSON) is canonical and holds any
    record; `marc` (ISO 2709) is a copy for fast .mrc downloads, NULL when the record is too long
    for ISO 2709's 99,999 bytes.
    """

    __tablename__ = "record"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), index=True)
    marc_json: Mapped[str] = mapped_column(Text)
    marc: Mapped[bytes | None] = mapped_column(LargeBinary)
    title: Mapped[str | None] = mapped_column(String(2000))
    main_entry: Mapped[str | None] = mapped_column(String(1000))
    year: Mapped[int | None] = mapped_column(index=True)
    language: Mapped[str | None] = mapped_column(String(3), index=True)
    publisher: Mapped[str | None] = mapped_column(String(1000))
    ddc: Mapped[str | None] = mapped_column(String(100), index=True)
    # Shown, never searched by (the filter "type" is `material`): no index to keep up.
    record_type: Mapped[str] = mapped_column(String(2))
    # "book", "serial", "map", … from leader/06-07 (app.marc.material): the search filter "type".
    material: Mapped[str] = mapped_column(String(20), index=True, server_default="other")
    # ICU `vi` sort key of the filing title: bytewise order is Vietnamese alphabetical order.
    title_key: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The member library that created the record: a contributor may edit only its own.
    institution_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("institution.id"), index=True
    )

    identifiers: Mapped[list["RecordIdentifier"]] = relationship(
        back_populates="record", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_record_updated_at_id", "updated_at", "id"),
        # What a search filters and counts by, for each matched id, without reading the row:
        # rows hold the record twice (some 5 KB, past SQLite's overflow pages), so counting
        # 2,000 matches from the rows reads megabytes; from this index, a few pages.
        Index("ix_record_filters", "id", "deleted_at", "status", "language", "material", "year"),
    )
    # Optimistic concurrency across processes: every UPDATE says "WHERE version = <as read>", so a
    # writer that lost the race fails instead of overwriting. The service sets the new number.
    __mapper_args__ = {  # noqa: RUF012 - SQLAlchemy reads this mapping; it is never mutated
        "version_id_col": version,
        "version_id_generator": False,
    }


class RecordIdentifier(Base):
    """One standard number or control number of a record, normalised for exact look-up."""

    __tablename__ = "record_identifier"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    record_id: Mapped[int] = mapped_column(
        Key, ForeignKey("record.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))

    record: Mapped[StoredRecord] = relationship(back_populates="identifiers")

    __table_args__ = (Index("ix_record_identifier_scheme_value", "scheme", "value"),)


class RecordVersion(Base):
    """One version of a record as it was written, the current one included.

    The current version's `marc_json` is NULL: its text is the record's own (StoredRecord.
    marc_json), not stored a second time (a third of what a new record writes). A version is
    given its text when the next one supersedes it, and is never changed after that. Versions
    written before 20261205_current_version_json hold theirs all along."""

    __tablename__ = "record_version"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    # RESTRICT: history outlives any attempt to remove a record outright.
    record_id: Mapped[int] = mapped_column(Key, ForeignKey("record.id", ondelete="RESTRICT"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    change: Mapped[str] = mapped_column(String(20))
    marc_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str | None] = mapped_column(String(200))  # for people: "VN-NLV key 3"
    institution_id: Mapped[int | None] = mapped_column(Key, ForeignKey("institution.id"))
    api_key_id: Mapped[int | None] = mapped_column(Key, ForeignKey("api_key.id"))

    __table_args__ = (UniqueConstraint("record_id", "version", name="uq_record_version_record_id"),)


class ImportJob(Base):
    """One uploaded file being (or having been) loaded; any API or worker process reads it.

    `next_position` is how many records of the file are done and committed with their outcomes:
    a job resumed after a crash starts there, so no record is written twice. `heartbeat_at` is
    refreshed by the process working on it; a running job whose heartbeat is old was
    interrupted, and another process may take it over."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    filename: Mapped[str | None] = mapped_column(String(500))
    # A file `catalog import` reads where it lies (not copied into import_upload); only a
    # process on that machine can work on such a job.
    source_path: Mapped[str | None] = mapped_column(String(1000))
    format: Mapped[str | None] = mapped_column(String(10))
    options: Mapped[str] = mapped_column(Text)  # JSON: match points, action, kept tags
    dry_run: Mapped[bool] = mapped_column(default=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)  # of the upload, for the ETA
    next_position: Mapped[int] = mapped_column(default=0)
    read: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    ambiguous: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Seconds spent working, summed over every process that worked on it (for records/s).
    busy_seconds: Mapped[float] = mapped_column(default=0.0)
    institution_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("institution.id"), index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(Key, ForeignKey("api_key.id"))


class ImportUpload(Base):
    """The uploaded file, in pieces, so any process can read it and a restart loses nothing."""

    __tablename__ = "import_upload"

    job_id: Mapped[int] = mapped_column(
        Key, ForeignKey("import_job.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportOutcome(Base):
    """What became of one record of an import: its place in the file, what it was, what happened."""

    __tablename__ = "import_outcome"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    job_id: Mapped[int] = mapped_column(Key, ForeignKey("import_job.id", ondelete="CASCADE"))
    position: Mapped[int]
    byte_offset: Mapped[int | None] = mapped_column(BigInteger)
    control_number: Mapped[str | None] = mapped_column(String(300))
    isbn: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    record_id: Mapped[int | None] = mapped_column(Key)
    previous_version: Mapped[int | None]
    new_version: Mapped[int | None]
    # The record's file inside an uploaded zip (byte_offset counts from its start); NULL when
    # the upload is the file itself.
    file: Mapped[str | None] = mapped_column(String(1000))
    # The record as ISO 2709, kept for rejected records so they can be fixed and sent again.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("job_id", "position", name="uq_import_outcome_job_id"),)


class Institution(Base):
    """A member library (or publisher) of the shared catalogue."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    # A MARC organization code or an ISIL-style code, as written to 040 and 852.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    province: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiKey(Base):
    """A key an institution's systems send; only a hash of its secret is kept."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        Key, ForeignKey("institution.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    # The secret's first characters, shown in lists so people can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditEvent(Base):
    """Who changed access to the catalogue, and when; never changed."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[int | None] = mapped_column(Key)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)  # JSON


class Holding(Base):
    """An institution holds a copy of the book a record describes."""

    __tablename__ = "holding"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    record_id: Mapped[int] = mapped_column(Key, ForeignKey("record.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(
        Key, ForeignKey("institution.id", ondelete="RESTRICT"), index=True
    )
    call_number: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("record_id", "institution_id", name="uq_holding_record_id"),)


class UsageCount(Base):
    """How many times something happened, per day, institution, event and format.

    Each API process counts in memory and adds its counts here every few seconds, so a
    download never waits for this write. "" stands for anonymous clients and for no format."""

    __tablename__ = "usage_count"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    institution: Mapped[str] = mapped_column(String(40), primary_key=True)
    event: Mapped[str] = mapped_column(String(20), primary_key=True)
    format: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class CipRequest(Base):
    """A publisher's cataloguing-in-publication request and the record made from it.

    `data` is the request as the publisher last sent it (JSON), `marc_json` the prepublication
    record as the cataloguers last left it; every step is also kept in CipEvent."""

    __tablename__ = "cip_request"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    institution_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("institution.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(2000))
    expected_date: Mapped[str] = mapped_column(String(10))  # "YYYY-MM" or "YYYY"
    data: Mapped[str] = mapped_column(Text)
    marc_json: Mapped[str] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)  # why it was returned, for the publisher
    # The catalogue record once approved: the same record, upgraded after publication.
    record_id: Mapped[int | None] = mapped_column(
        Key, ForeignKey("record.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CipEvent(Base):
    """One step of a CIP request, with who took it and everything as it then stood."""

    __tablename__ = "cip_event"

    id: Mapped[int] = mapped_column(Key, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        Key, ForeignKey("cip_request.id", ondelete="RESTRICT"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[int | None] = mapped_column(Key)
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    data: Mapped[str] = mapped_column(Text)
    marc_json: Mapped[str] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
