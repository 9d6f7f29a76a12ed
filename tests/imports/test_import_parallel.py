"""Records prepared in other processes: the same outcomes, and the same records stored, as when
everything runs in the writer's process."""

import io
import subprocess
import sys
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app import marc
from app.db import migrations
from app.db.engine import Database, create_database
from app.db.models import RecordIdentifier, StoredRecord
from app.imports.options import ImportOptions
from app.imports.prepare import SWITCH_INTERVAL_SECONDS, Context, Preparer, prepare_batch
from app.imports.service import ImportService, JobStatus, Outcome
from app.services.records import RecordService

from support import CORPUS, ENGINES, SAMPLES, TEST_ORG, SteppingClock, fresh_database_url

MALFORMED = CORPUS / "malformed"


def mixed_upload() -> bytes:
    """Good records, Vietnamese ones, duplicates and damaged ones, about 1,400 in all."""
    parts = [(SAMPLES / "traject-manufacturing-consent.mrc").read_bytes()] * 3
    for path in ("pymarc/bad_records.mrc", "marc4j/pride-and-prejudice-with-many-errors.mrc"):
        parts.append((MALFORMED / path).read_bytes())
    for path in sorted((CORPUS / "vietnamese").rglob("*.mrc")):
        parts.append(path.read_bytes())
    parts.append((CORPUS / "iso2709" / "folio" / "5000.mrc").read_bytes()[:1_500_000])
    parts.append((MALFORMED / "marc4j/008008027.mrc").read_bytes())  # ends cut short
    return b"".join(parts)


def load(
    database: Database,
    clock: SteppingClock,
    data: bytes,
    *,
    processes: int,
    writer_prepares: bool = False,
    **options: str | bool,
) -> tuple[JobStatus, list[Outcome]]:
    records = RecordService(database, org_code=TEST_ORG, clock=clock)
    imports = ImportService(
        database,
        records,
        org_code=TEST_ORG,
        clock=clock,
        batch_size=100,
        processes=processes,
        writer_prepares=writer_prepares,
    )
    job = imports.submit(
        io.BytesIO(data),
        filename="mixed.mrc",
        fmt=None,
        options=ImportOptions.parse(**options),  # type: ignore[arg-type]
    )
    assert imports.work_once("test-worker")
    return imports.status(job.id), list(imports.outcomes(job.id))


def reported(outcomes: list[Outcome]) -> list[tuple[object, ...]]:
    return [astuple(outcome) for outcome in outcomes]


@pytest.mark.parametrize("kind", ENGINES)
def test_the_same_outcomes_and_records_with_and_without_other_processes(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    data = mixed_upload() * 2  # the second copy matches the first, batch after batch
    results = []
    # Alone; in two other processes; in one other process and the writer's, as `catalog import`.
    for processes, writer_prepares in ((0, False), (2, False), (1, True)):
        folder = tmp_path / f"{processes}-{writer_prepares}"
        folder.mkdir()
        url = fresh_database_url(kind, request, folder)
        migrations.upgrade(url)
        database = create_database(url)
        try:
            clock = SteppingClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
            job, outcomes = load(
                database,
                clock,
                data,
                processes=processes,
                writer_prepares=writer_prepares,
                action="overlay",
            )
            with database.reader() as session:
                stored = session.execute(
                    select(StoredRecord.id, StoredRecord.version, StoredRecord.marc_json).order_by(
                        StoredRecord.id
                    )
                ).all()
        finally:
            database.engine.dispose()  # type: ignore[union-attr]
        results.append((job, reported(outcomes), [tuple(row) for row in stored]))
    (alone, by_one, stored_alone), *others = results
    assert alone.read > 2000
    assert alone.rejected > 160
    assert alone.unchanged > 900
    for parallel, by_more, stored_parallel in others:
        assert parallel.read == alone.read
        assert by_more == by_one
        assert stored_parallel == stored_alone


def test_records_stored_from_other_processes_are_stored_as_create_stores_them(
    database: Database, clock: SteppingClock, tmp_path: Path
) -> None:
    data = mixed_upload()
    job, outcomes = load(database, clock, data, processes=1, match="isbn")
    assert job.status == "done"
    created = {o.position: o.record_id for o in outcomes if o.outcome == "created"}
    assert len(created) > 1000
    records = RecordService(database, org_code=TEST_ORG, clock=clock)
    parsed = {
        position: item
        for position, item in enumerate(marc.read(data))
        if isinstance(item, marc.ParsedRecord)
    }
    with database.reader() as session:
        rows = {
            row.id: row
            for row in session.scalars(
                select(StoredRecord).where(StoredRecord.id.in_(created.values()))
            )
        }
        keys: dict[int, set[tuple[str, str]]] = {}
        for record_id, scheme, value in session.execute(
            select(RecordIdentifier.record_id, RecordIdentifier.scheme, RecordIdentifier.value)
        ):
            keys.setdefault(record_id, set()).add((scheme, value))
    checked = 0
    for position, record_id in created.items():
        assert record_id is not None
        row = rows[record_id]
        written = records._written(record_id, parsed[position].record, row.updated_at)
        for name, value in written.columns.items():
            assert getattr(row, name) == value, (position, name)
        assert keys[record_id] == set(written.identifiers)
        checked += 1
    assert checked == len(created)


@pytest.mark.parametrize("fmt", [marc.Format.MARCXML, marc.Format.MRK])
def test_records_of_other_formats_are_prepared_alike(fmt: marc.Format) -> None:
    source = (SAMPLES / "vietnamese-made-here.mrk").read_bytes()
    records = [item.record for item in marc.read(source) if isinstance(item, marc.ParsedRecord)]
    data = b"".join(marc.write_collection(records, fmt))
    pieces = list(enumerate(marc.read_pieces(data, fmt)))
    iso = list(
        enumerate(marc.read_pieces(b"".join(marc.write(r, marc.Format.MRC) for r in records)))
    )
    context = Context(org_code=TEST_ORG, match=ImportOptions().match)
    by_format = prepare_batch(pieces, context)
    by_iso = prepare_batch(iso, context)
    assert len(by_format) == len(by_iso) == 19
    for one, other in zip(by_format, by_iso, strict=True):
        assert one.record is not None
        assert other.record is not None
        assert (one.title, one.keys, one.record.form.fingerprint) == (
            other.title,
            other.keys,
            other.record.form.fingerprint,
        )
        assert one.record.form.json("7", "20261125080000.0") == other.record.form.json(
            "7", "20261125080000.0"
        )


def test_a_writer_that_prepares_too_hands_batches_back_in_order() -> None:
    source = (SAMPLES / "vietnamese-made-here.mrk").read_bytes()
    pieces = list(enumerate(marc.read_pieces(source, marc.Format.MRK)))
    context = Context(org_code=TEST_ORG, match=ImportOptions().match)
    batches = [(n, [piece]) for n, piece in enumerate(pieces * 3)]
    with Preparer[int](context, processes=1, ahead=1, share=True) as preparer:
        shared = list(preparer.prepared(iter(batches)))
    assert [tag for tag, _ in shared] == list(range(len(batches)))
    alone = [prepare_batch(batch, context) for _, batch in batches]
    assert [prepared for _, prepared in shared] == alone


def test_preparing_in_other_processes_shortens_the_interpreter_switch_interval() -> None:
    context = Context(org_code=TEST_ORG, match=ImportOptions().match)
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # Python's default
        with Preparer[int](context, processes=0, ahead=1):
            assert sys.getswitchinterval() == 0.005  # nothing crosses a pipe
        with Preparer[int](context, processes=1, ahead=1):
            assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS
    finally:
        sys.setswitchinterval(before)


def _modules_after(statement: str) -> set[str]:
    """The top-level packages and app modules a fresh interpreter holds after a statement."""
    shown = "import sys; print(' '.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", f"{statement}; {shown}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return set(done.stdout.split())


def test_a_preparing_process_holds_no_database_library_nor_the_command_line() -> None:
    # What a process of the pool does first, as multiprocessing's spawn does it: run the script
    # that started its parent (`catalog`) as a module of another name, then import the module
    # of the work it is given.
    script = Path(sys.executable).parent / "catalog"
    held = _modules_after(
        f"import runpy; runpy.run_path({str(script)!r}, run_name='__mp_main__'); "
        "import app.imports.prepare"
    )
    assert "app.imports.prepare" in held
    assert not held & {"sqlalchemy", "psycopg", "fastapi", "uvicorn", "typer", "app.cli"}
