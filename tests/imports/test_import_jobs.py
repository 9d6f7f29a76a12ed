"""Import jobs on real files, on both engines: matching, actions, dry run, damage, resuming."""

import csv
import gzip
import io
import re
import time
import zipfile
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app import marc
from app.db.engine import Database
from app.db.identifiers import TITLED_NUMBER, titled_number
from app.db.models import ImportJob
from app.imports import prepare as preparing
from app.imports.options import ImportOptions
from app.imports.service import ImportRefused, ImportService, JobStatus
from app.marc.records import control_field, copy_record, data_field, insert_in_tag_order
from app.search.query import SearchQuery, Text
from app.services.records import RecordService

from support import CORPUS, SAMPLES, TEST_ORG, SteppingClock

VIETNAMESE = SAMPLES / "vietnamese-made-here.mrk"
MALFORMED = CORPUS / "malformed"
LC = CORPUS / "iso2709" / "pymarc" / "test.dat"


class Catalogue:
    """A record service and an import service over the test's database; batches of 4."""

    def __init__(self, database: Database, clock: SteppingClock) -> None:
        self.records = RecordService(database, org_code=TEST_ORG, clock=clock)
        self.imports = ImportService(
            database, self.records, org_code=TEST_ORG, clock=clock, batch_size=4
        )

    def load(self, data: bytes, name: str = "upload", **options: str | bool) -> JobStatus:
        job = self.imports.submit(
            io.BytesIO(data),
            filename=name,
            fmt=None,
            options=ImportOptions.parse(**options),  # type: ignore[arg-type]
        )
        assert job.status == "queued"
        assert self.imports.work_once("test-worker")
        return self.imports.status(job.id)

    def outcomes(self, job: JobStatus) -> list[str]:
        return [outcome.outcome for outcome in self.imports.outcomes(job.id)]


@pytest.fixture
def catalogue(database: Database, clock: SteppingClock) -> Catalogue:
    return Catalogue(database, clock)


def counts(job: JobStatus) -> dict[str, int]:
    names = ("read", "created", "updated", "unchanged", "duplicates", "ambiguous", "rejected")
    return {name: getattr(job, name) for name in names if getattr(job, name)}


def test_a_file_loads_in_batches_and_is_searchable_when_done(catalogue: Catalogue) -> None:
    job = catalogue.load(VIETNAMESE.read_bytes(), "vietnamese-made-here.mrk")
    assert job.status == "done"
    assert counts(job) == {"read": 19, "created": 19}
    assert job.records_per_second is not None
    outcomes = list(catalogue.imports.outcomes(job.id))
    assert [o.position for o in outcomes] == list(range(19))
    assert outcomes[0].title == "Kim Vân Kiều truyện"
    assert all(o.record_id is not None and o.new_version == 1 for o in outcomes)
    page = catalogue.records.search(
        SearchQuery(text=Text(("cam", "nang", "nghe"))), limit=5, totals=True
    )
    assert [found.summary.title for found in page.items] == ["Cẩm nang nghề thư viện"]


def test_the_rate_and_time_left_count_the_time_spent_preparing_records(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = preparing.prepare

    def slowly(*args: Any) -> preparing.Prepared:
        time.sleep(0.02)
        return prepared(*args)

    monkeypatch.setattr(preparing, "prepare", slowly)
    job = catalogue.load(VIETNAMESE.read_bytes())
    assert counts(job) == {"read": 19, "created": 19}
    # Preparing alone took 19 x 20 ms: no more than 50 records a second, whatever writing took.
    assert job.records_per_second is not None
    assert job.records_per_second < 50


def test_the_rate_and_time_left_count_the_time_spent_committing_records(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch's report is written in the transaction that writes its records, so its commit
    # (a fifth of an import's time at a million records on SQLite) comes after the report.
    applied = catalogue.records.apply

    def then_slowly(*args: Any, **options: Any) -> None:
        applied(*args, **options)
        time.sleep(0.1)

    monkeypatch.setattr(catalogue.records, "apply", then_slowly)
    job = catalogue.load(VIETNAMESE.read_bytes())
    assert counts(job) == {"read": 19, "created": 19}
    # Five batches of 4: the commits of the first four alone took 4 x 100 ms.
    assert job.records_per_second is not None
    assert job.records_per_second < 19 / 0.4


def test_the_same_file_again_adds_nothing_and_reports_every_record_unchanged(
    catalogue: Catalogue,
) -> None:
    first = catalogue.load(VIETNAMESE.read_bytes())
    again = catalogue.load(VIETNAMESE.read_bytes())
    assert counts(again) == {"read": 19, "unchanged": 19}
    assert catalogue.records.count_records() == 19
    ids = [o.record_id for o in catalogue.imports.outcomes(first.id)]
    assert [o.record_id for o in catalogue.imports.outcomes(again.id)] == ids


def lc_records() -> str:
    """Ten Library of Congress records (001 and 003 IMchF, ISBNs) as .mrk text."""
    with LC.open("rb") as source:
        records = [item.record for item in marc.read(source, marc.Format.MRC)]
    return b"".join(marc.write(record, marc.Format.MRK) for record in records).decode()


def edited(old: str, new: str) -> bytes:
    text = lc_records()
    assert text.count(old) == 1
    return text.replace(old, new).encode()


DBI = "$aProgramming the Perl DBI /"


def test_actions_on_a_changed_record(catalogue: Catalogue) -> None:
    catalogue.load(lc_records().encode())
    changed = edited(DBI, "$aProgramming the Perl DBI :$bsecond edition /")
    skipped = catalogue.load(changed, action="skip")
    assert counts(skipped) == {"read": 10, "unchanged": 9, "duplicates": 1}
    overlaid = catalogue.load(changed, action="overlay", match="isbn")
    assert counts(overlaid) == {"read": 10, "unchanged": 9, "updated": 1}
    (updated,) = [o for o in catalogue.imports.outcomes(overlaid.id) if o.outcome == "updated"]
    assert (updated.previous_version, updated.new_version) == (1, 2)
    assert updated.record_id is not None
    found = catalogue.records.get(updated.record_id)
    assert found.summary.title == "Programming the Perl DBI : second edition"
    history = catalogue.records.versions(updated.record_id)
    assert [(v.version, v.change) for v in history] == [(1, "create"), (2, "import")]
    assert catalogue.records.count_records() == 10
    # Matched on its 001/003, kept as 035 (IMchF)fol05754809 when it was first stored.
    assert counts(catalogue.load(changed, match="001", action="overlay")) == {
        "read": 10,
        "unchanged": 10,
    }


def test_merge_keeps_the_stored_records_local_fields(catalogue: Catalogue) -> None:
    first = catalogue.load(lc_records().encode())
    target = next(
        o for o in catalogue.imports.outcomes(first.id) if o.title == "Programming the Perl DBI"
    )
    assert target.record_id is not None
    record = catalogue.records.get(target.record_id).record
    insert_in_tag_order(record, data_field("910", " ", " ", [("a", "Kho A")]))
    catalogue.records.replace(
        target.record_id,
        marc.write(record, marc.Format.MRC),
        marc.Format.MRC,
        expected_versions=None,
    )
    changed = edited(DBI, "$aProgramming the Perl DBI :$bsecond edition /")
    merged = catalogue.load(changed, action="merge", keep="9XX")
    assert counts(merged) == {"read": 10, "unchanged": 9, "updated": 1}
    stored = catalogue.records.get(target.record_id)
    assert [f.subfields[0].value for f in stored.record.fields if f.tag == "910"] == ["Kho A"]
    assert stored.summary.title == "Programming the Perl DBI : second edition"
    # The same merge again finds nothing to change: the kept field is already there.
    assert counts(catalogue.load(changed, action="merge")) == {"read": 10, "unchanged": 10}
    # An overlay replaces the record whole, local field and all.
    overlaid = catalogue.load(changed, action="overlay")
    assert counts(overlaid) == {"read": 10, "unchanged": 9, "updated": 1}
    stored = catalogue.records.get(target.record_id)
    assert not [f for f in stored.record.fields if f.tag == "910"]


def test_a_record_matching_several_stored_records_changes_nothing(catalogue: Catalogue) -> None:
    source = (SAMPLES / "traject-manufacturing-consent.mrc").read_bytes()
    catalogue.load(source, action="add")
    catalogue.load(source, action="add")
    assert catalogue.records.count_records() == 2
    job = catalogue.load(source, match="isbn", action="overlay")
    assert counts(job) == {"read": 1, "ambiguous": 1}
    (outcome,) = catalogue.imports.outcomes(job.id)
    assert outcome.reason is not None
    assert outcome.reason.startswith("matches records ")
    assert outcome.isbn == "9780375714498"
    assert [
        v.version for v in catalogue.records.versions(1 if False else outcome_ids(catalogue)[0])
    ] == [1]


def outcome_ids(catalogue: Catalogue) -> list[int]:
    return sorted(
        o.record_id
        for job in catalogue.imports.jobs()
        for o in catalogue.imports.outcomes(job.id)
        if o.record_id is not None
    )


def test_a_dry_run_reports_everything_and_writes_nothing(catalogue: Catalogue) -> None:
    job = catalogue.load(VIETNAMESE.read_bytes(), dry_run=True)
    assert job.options.dry_run
    assert counts(job) == {"read": 19, "created": 19}
    assert catalogue.records.count_records() == 0
    assert all(o.record_id is None for o in catalogue.imports.outcomes(job.id))


def test_the_same_record_twice_in_one_file_is_stored_once(catalogue: Catalogue) -> None:
    one = (SAMPLES / "traject-manufacturing-consent.mrc").read_bytes()
    job = catalogue.load(one * 6)  # two batches of 4: within a batch and across them
    # Within its batch the copies are duplicates of the first; later batches find it stored.
    assert catalogue.outcomes(job) == ["created"] + ["duplicate"] * 3 + ["unchanged"] * 2
    reasons = [o.reason for o in catalogue.imports.outcomes(job.id)]
    # Positions count from 0 in the reason as in the report's own column.
    assert reasons[1:4] == ["the same record as the one at position 0 of this file"] * 3
    assert catalogue.records.count_records() == 1


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pymarc/bad_records.mrc", {3: "bad-directory", 4: "bad-directory"}),
        ("marc4j/008008027.mrc", {18: "truncated-record"}),
        ("marc4j/bad_hathi_records.mrc", {3: "no-record-terminator"}),
    ],
)
def test_damaged_records_are_rejected_with_their_position_and_the_others_load(
    catalogue: Catalogue, path: str, expected: dict[int, str]
) -> None:
    data = (MALFORMED / path).read_bytes()
    job = catalogue.load(data, path)
    assert job.status == "done"
    outcomes = list(catalogue.imports.outcomes(job.id))
    rejected = {o.position: o.reason for o in outcomes if o.outcome == "rejected"}
    assert set(expected) <= set(rejected)
    assert all(reason for reason in rejected.values())
    kinds = Counter(o.outcome for o in outcomes)
    assert kinds["created"] + kinds["unchanged"] + kinds["duplicate"] == len(outcomes) - len(
        rejected
    )
    assert job.rejected == len(rejected)
    assert catalogue.records.count_records() == kinds["created"]


def test_a_file_that_cannot_be_read_fails_the_job(catalogue: Catalogue) -> None:
    job = catalogue.load(b"this is not MARC at all, just a note\n" * 10)
    assert job.status == "failed"
    assert job.error is not None
    assert "not a MARC format" in job.error


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("iso2709/pymarc/test.dat", "mrc"),
        ("marcxml/marc-perl/batch.xml", "marcxml"),
        ("json/pymarc/batch.json", "json"),
        ("mnemonic/marc-perl/camel.mrk", "mrk"),
    ],
)
def test_a_job_says_which_format_its_upload_was_found_in(
    catalogue: Catalogue, name: str, fmt: str
) -> None:
    job = catalogue.load((CORPUS / name).read_bytes(), name.rsplit("/", 1)[-1], dry_run=True)
    assert (job.status, job.format) == ("done", fmt)
    assert job.read > 0


@pytest.mark.parametrize("packing", ["gzip", "zip"])
def test_compressed_uploads(catalogue: Catalogue, packing: str) -> None:
    data = VIETNAMESE.read_bytes()
    if packing == "gzip":
        packed = gzip.compress(data)
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("records/vietnamese.mrk", data)
            archive.writestr("records/README.txt", "Records from our library, November 2026.\n")
            archive.writestr(
                "records/more.mrc", (SAMPLES / "traject-nature-serial.mrc").read_bytes()
            )
        packed = buffer.getvalue()
    job = catalogue.load(packed)
    outcomes = list(catalogue.imports.outcomes(job.id))
    # The format found is the job's, for one file; a zip's files each have their own.
    assert job.format == ("mrk" if packing == "gzip" else None)
    if packing == "gzip":
        assert counts(job) == {"read": 19, "created": 19}
        assert {o.file for o in outcomes} == {None}
        return
    assert counts(job) == {"read": 21, "created": 20, "rejected": 1}
    (readme,) = [o for o in outcomes if o.outcome == "rejected"]
    assert readme.position == 19
    assert readme.reason is not None
    assert readme.reason.startswith("records/README.txt: not a MARC format")
    # Positions count on through the zip; each record is found by its file and offset in it.
    assert [o.file for o in outcomes] == [
        *["records/vietnamese.mrk"] * 19,
        "records/README.txt",
        "records/more.mrc",
    ]
    assert (outcomes[20].position, outcomes[20].byte_offset) == (20, 0)


def test_an_interrupted_job_resumes_where_it_stopped_without_duplicates(
    catalogue: Catalogue, database: Database, clock: SteppingClock
) -> None:
    job = catalogue.imports.submit(
        io.BytesIO(VIETNAMESE.read_bytes()),
        filename=None,
        fmt=None,
        options=ImportOptions(),
    )
    assert catalogue.imports.claim("first") == job.id
    batches = iter(range(100))
    # The first worker does two batches of 4, then its process "dies" mid-job.
    catalogue.imports.run(job.id, stopping=lambda: next(batches) >= 2)
    with database.writer.begin() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id)
            .values(status="running", heartbeat_at=clock.now - timedelta(minutes=5))
        )
    assert catalogue.imports.status(job.id).status == "interrupted"
    assert catalogue.imports.status(job.id).read == 8
    assert catalogue.imports.work_once("second")
    done = catalogue.imports.status(job.id)
    assert done.status == "done"
    assert counts(done) == {"read": 19, "created": 19}
    assert [o.position for o in catalogue.imports.outcomes(job.id)] == list(range(19))
    assert catalogue.records.count_records() == 19


def test_rejected_records_come_back_as_one_mrc(catalogue: Catalogue, tmp_path: Path) -> None:
    data = (MALFORMED / "pymarc/bad_records.mrc").read_bytes()
    starts = [0, *[i + 1 for i, byte in enumerate(data) if byte == 0x1D]]
    job = catalogue.load(data)
    rejected = {
        o.position: o for o in catalogue.imports.outcomes(job.id) if o.outcome == "rejected"
    }
    assert sorted(rejected) == [3, 4, 6]
    assert [rejected[n].byte_offset for n in (3, 4, 6)] == [starts[3], starts[4], starts[6]]
    written = b"".join(catalogue.imports.rejected_records(job.id))
    # Records 3 and 4 cannot be read at all and stay in the report only; record 6 can be read
    # (it lacks a 245), so it comes back as a record to fix.
    reread = list(marc.read(written, marc.Format.MRC))
    assert len(reread) == 1
    assert isinstance(reread[0], marc.ParsedRecord)
    assert reread[0].record.get("245") is None


def malformed_iso2709() -> list[str]:
    """The damaged ISO 2709 files of the corpus, by the manifest."""
    with (CORPUS / "manifest.tsv").open(newline="") as manifest:
        rows = csv.DictReader(manifest, delimiter="\t")
        return sorted(
            row["local_path"].removeprefix("malformed/")
            for row in rows
            if row["local_path"].startswith("malformed/") and row["format"] == "ISO 2709"
        )


def test_the_corpus_has_damaged_iso_2709_files() -> None:
    assert len(malformed_iso2709()) == 47


@pytest.mark.parametrize("path", malformed_iso2709())
def test_the_report_says_where_each_unreadable_record_starts(
    catalogue: Catalogue, path: str
) -> None:
    data = (MALFORMED / path).read_bytes()
    expected = {
        item.position: item.offset
        for item in marc.read(data, marc.Format.MRC)
        if isinstance(item, marc.MarcProblem)
    }
    job = catalogue.load(data, path, dry_run=True)
    assert job.status == "done"
    found = {
        o.position: o.byte_offset
        for o in catalogue.imports.outcomes(job.id)
        if o.outcome == "rejected" and o.position in expected
    }
    assert found == expected
    assert all(offset is not None for offset in found.values())


def test_the_report_of_marcxml_says_where_each_record_starts(catalogue: Catalogue) -> None:
    # MARC::Record's ten records, the fourth's 001 without its tag: rejected, and found at its
    # offset like the others.
    data = (CORPUS / "marcxml" / "marc-perl" / "batch-ns.xml").read_bytes()
    starts = [m.start() for m in re.finditer(rb"<marc:record[\s>]", data)]
    assert len(starts) == 10
    fourth = data.index(b'<marc:controlfield tag="001">', starts[3])
    broken = data[:fourth] + data[fourth:].replace(b' tag="001"', b"", 1)
    job = catalogue.load(broken, "batch-ns.xml", dry_run=True)
    assert (job.status, job.rejected) == ("done", 1)
    outcomes = list(catalogue.imports.outcomes(job.id))
    assert [o.byte_offset for o in outcomes] == [
        start - (len(data) - len(broken)) * (n > 3) for n, start in enumerate(starts)
    ]
    assert [o.outcome for o in outcomes].index("rejected") == 3


def test_revert_puts_changed_records_back_and_tombstones_new_ones(catalogue: Catalogue) -> None:
    first = catalogue.load(lc_records().encode())
    changed = edited(DBI, "$aProgramming the Perl DBI :$bsecond edition /")
    overlay = catalogue.load(changed, action="overlay")
    (updated,) = [o for o in catalogue.imports.outcomes(overlay.id) if o.outcome == "updated"]
    assert updated.record_id is not None

    report = catalogue.imports.revert(overlay.id)
    assert (report.deleted, report.restored, report.refused) == (0, 1, ())
    found = catalogue.records.get(updated.record_id)
    assert found.summary.title == "Programming the Perl DBI"
    assert [v.change for v in catalogue.records.versions(updated.record_id)] == [
        "create",
        "import",
        "revert",
    ]
    assert catalogue.imports.status(overlay.id).status == "reverted"

    # Someone edits one of the first job's records; reverting that job keeps it and says why.
    (kept,) = [o for o in catalogue.imports.outcomes(first.id) if o.record_id == updated.record_id]
    report = catalogue.imports.revert(first.id)
    assert report.deleted == 9
    assert [(u.record_id, u.position) for u in report.refused] == [(kept.record_id, kept.position)]
    assert "changed since the import" in report.refused[0].reason
    assert catalogue.records.count_records() == 10  # tombstones stay
    page = catalogue.records.search(SearchQuery(), limit=20)
    assert [found.id for found in page.items] == [updated.record_id]


def test_only_a_finished_real_import_can_be_reverted(catalogue: Catalogue) -> None:
    dry = catalogue.load(lc_records().encode(), dry_run=True)
    with pytest.raises(ImportRefused, match="dry run"):
        catalogue.imports.revert(dry.id)
    again = catalogue.load(lc_records().encode())
    catalogue.imports.revert(again.id)
    with pytest.raises(ImportRefused, match="reverted"):
        catalogue.imports.revert(again.id)


FOLIO = CORPUS / "json" / "folio" / "ChalmersFOLIOExamples.json"


def folio_records() -> list[marc.Record]:
    # FOLIO's examples: 62 different books, each with 001 "FOLIOstorage" and no 003.
    return [p.record for p in marc.read(FOLIO.read_bytes()) if isinstance(p, marc.ParsedRecord)]


def test_a_001_without_003_matches_only_a_record_of_the_same_title(catalogue: Catalogue) -> None:
    first = catalogue.load(FOLIO.read_bytes())
    assert counts(first) == {"read": 62, "created": 62}
    assert counts(catalogue.load(FOLIO.read_bytes())) == {"read": 62, "unchanged": 62}

    one, other = folio_records()[:2]
    assert one["001"].data == other["001"].data == "FOLIOstorage"
    insert_in_tag_order(one, data_field("500", " ", " ", [("a", "Bản sửa.")]))
    # The same title: that 001 is this record's, sent again with a note added.
    overlaid = catalogue.load(marc.write(one, marc.Format.MRC), match="001", action="overlay")
    assert counts(overlaid) == {"read": 1, "updated": 1}
    # Another title under the same bare number is another book, not a match of record 1.
    other["245"]["a"] = "Sách khác"
    added = catalogue.load(marc.write(other, marc.Format.MRC), match="001", action="overlay")
    assert counts(added) == {"read": 1, "created": 1}
    assert catalogue.records.count_records() == 63


def test_a_001_without_003_is_looked_up_with_its_title_not_alone(catalogue: Catalogue) -> None:
    catalogue.load(FOLIO.read_bytes())
    # The database is asked for that number with that title: one record, not the 62 sharing it.
    titled = titled_number("FOLIOstorage", "Pålslagning")
    assert titled == "FOLIOstorage\x1fpalslagning"
    assert len(catalogue.records.lookup({(TITLED_NUMBER, titled)}).records) == 1


def test_a_001_without_003_and_without_a_title_to_tell_it_apart_matches_nothing(
    catalogue: Catalogue,
) -> None:
    one, other, third = folio_records()[:3]
    one["245"]["a"], other["245"]["a"], third["245"]["a"] = "...", "[?]", "—"
    assert (
        counts(catalogue.load(b"".join(marc.write(r, marc.Format.MRC) for r in (one, other))))[
            "created"
        ]
        == 2
    )
    overlaid = catalogue.load(marc.write(third, marc.Format.MRC), match="001", action="overlay")
    assert counts(overlaid) == {"read": 1, "created": 1}


def test_the_same_001_without_003_and_title_twice_in_a_file_is_one_record(
    catalogue: Catalogue,
) -> None:
    one = folio_records()[0]
    again = folio_records()[0]
    insert_in_tag_order(again, data_field("500", " ", " ", [("a", "Bản sửa.")]))
    data = marc.write(one, marc.Format.MRC) + marc.write(again, marc.Format.MRC)
    job = catalogue.load(data, match="001")
    assert catalogue.outcomes(job) == ["created", "duplicate"]


JAZZ = CORPUS / "iso2709" / "evergreen" / "jazz_1k.mrc"


def oclc_record() -> marc.Record:
    # A real record with 035 $a "(Sirsi) a337241" and "(OCoLC)ocm43327883", and no ISBN.
    for parsed in marc.read(JAZZ.read_bytes()):
        assert isinstance(parsed, marc.ParsedRecord)
        if "(OCoLC)ocm43327883" in [f.value() for f in parsed.record.get_fields("035")]:
            return parsed.record
    raise AssertionError("the jazz record with OCLC number 43327883 is gone from the corpus")


def with_numbers(record: marc.Record, *numbers: str, note: str) -> bytes:
    changed = copy_record(record)
    changed.remove_fields("001", "003", "035")
    for number in numbers:
        insert_in_tag_order(changed, data_field("035", " ", " ", [("a", number)]))
    insert_in_tag_order(changed, data_field("500", " ", " ", [("a", note)]))
    return marc.write(changed, marc.Format.MRC)


@pytest.mark.parametrize("written", ["(OCoLC)43327883", "(OCoLC) ocm43327883", "ocm43327883"])
def test_an_oclc_number_matches_however_it_is_written(catalogue: Catalogue, written: str) -> None:
    record = oclc_record()
    assert counts(catalogue.load(marc.write(record, marc.Format.MRC))) == {"read": 1, "created": 1}
    again = catalogue.load(
        with_numbers(record, written, note="Bản sửa."), match="035", action="overlay"
    )
    assert counts(again) == {"read": 1, "updated": 1}
    assert catalogue.records.count_records() == 1


def test_an_oclc_number_in_001_and_003_matches_the_035_it_became(catalogue: Catalogue) -> None:
    record = oclc_record()
    catalogue.load(with_numbers(record, "(OCoLC)00043327883", note="Bản đầu."))
    from_oclc = copy_record(record)
    from_oclc.remove_fields("001", "003", "035")
    insert_in_tag_order(from_oclc, control_field("001", "ocm43327883"))
    insert_in_tag_order(from_oclc, control_field("003", "OCoLC"))
    insert_in_tag_order(from_oclc, data_field("035", " ", " ", [("a", "(OCoLC)43327883")]))
    again = catalogue.load(marc.write(from_oclc, marc.Format.MRC), match="001", action="overlay")
    assert counts(again) == {"read": 1, "updated": 1}
    # Numbered here, its 001 is not kept in a second 035 beside the one of the same number.
    (stored,) = catalogue.records.search(SearchQuery(), limit=2).items
    numbers = [f.value() for f in catalogue.records.get(stored.id).record.get_fields("035")]
    assert numbers == ["(OCoLC)43327883"]


def test_a_bare_035_number_matches_only_a_record_of_the_same_title(catalogue: Catalogue) -> None:
    record = oclc_record()
    catalogue.load(with_numbers(record, "a337241", note="Bản đầu."))
    same = catalogue.load(
        with_numbers(record, "a337241", note="Bản sửa."), match="035", action="overlay"
    )
    assert counts(same) == {"read": 1, "updated": 1}
    other = copy_record(record)
    other["245"]["a"] = "Nhạc jazz Việt Nam"
    added = catalogue.load(
        with_numbers(other, "a337241", note="Sách khác."), match="035", action="overlay"
    )
    assert counts(added) == {"read": 1, "created": 1}
