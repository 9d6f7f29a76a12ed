"""A record's history: every version reads back as it was written, though the current one's
text is kept once, in the record (see RecordVersion)."""

from pathlib import Path

from sqlalchemy import select

from app import marc
from app.db.engine import Database
from app.db.models import RecordVersion, StoredRecord
from app.marc.records import subfield
from app.services.records import RecordService

from support import TEST_ORG, SteppingClock

ONE = "iso2709/pymarc/one.dat"


def _stored_texts(database: Database, record_id: int) -> dict[int, str | None]:
    with database.reader() as session:
        rows = session.execute(
            select(RecordVersion.version, RecordVersion.marc_json).where(
                RecordVersion.record_id == record_id
            )
        )
        return dict(rows.all())


def _titled(payload: bytes, title: str) -> bytes:
    record = marc.read_one(payload, None)
    assert isinstance(record, marc.ParsedRecord)
    edited = record.record
    for field in edited.get_fields("245"):
        field.subfields = [subfield("a", title)]
    return marc.write(edited, marc.Format.MRC)


def _title(found_record: marc.Record) -> str | None:
    return marc.summarize(found_record).title


def test_every_version_reads_back_and_only_the_current_one_is_not_copied(
    database: Database, clock: SteppingClock, corpus: Path
) -> None:
    service = RecordService(database, org_code=TEST_ORG, clock=clock)
    original = (corpus / ONE).read_bytes()
    record_id = service.create(_titled(original, "Thư viện một"), None).found.id
    service.replace(record_id, _titled(original, "Thư viện hai"), None, expected_versions=None)
    service.replace(record_id, _titled(original, "Thư viện ba"), None, expected_versions=None)
    service.restore(record_id, version=1, expected_current=3)

    titles = [_title(service.version(record_id, n).record) for n in (1, 2, 3, 4)]
    assert titles == ["Thư viện một", "Thư viện hai", "Thư viện ba", "Thư viện một"]
    assert _title(service.get(record_id).record) == "Thư viện một"
    # Superseded versions hold their own text; the current one reads the record's.
    texts = _stored_texts(database, record_id)
    assert [number for number, text in sorted(texts.items()) if text is None] == [4]
    assert "Thư viện hai" in (texts[2] or "")
    changed = {change.tag for change in service.diff(record_id, 3, 4).changes}
    assert "245" in changed

    service.delete(record_id, expected_versions=frozenset({4}))
    assert _title(service.version(record_id, 4).record) == "Thư viện một"
    assert service.version(record_id, 5).status == "deleted"
    assert [n for n, text in sorted(_stored_texts(database, record_id).items()) if not text] == [5]


def test_a_bulk_loaded_record_has_its_first_version(
    database: Database, clock: SteppingClock, corpus: Path
) -> None:
    service = RecordService(database, org_code=TEST_ORG, clock=clock)
    path = corpus / "iso2709" / "pymarc" / "test.dat"
    with path.open("rb") as source:
        outcome = service.import_file(source, None)
    assert outcome.created > 1
    with database.reader() as session:
        ids = list(session.scalars(select(StoredRecord.id).order_by(StoredRecord.id)))
    first = ids[0]
    assert _stored_texts(database, first) == {1: None}
    assert service.version(first, 1).record.as_marc() == service.get(first).record.as_marc()
    # Replaced, the first version gets the text it had.
    before = service.get(first).record
    payload = _titled(marc.write(before, marc.Format.MRC), "Sách mới")
    service.replace(first, payload, None, expected_versions=frozenset({1}))
    assert _title(service.version(first, 1).record) == _title(before)
    assert _title(service.version(first, 2).record) == "Sách mới"
