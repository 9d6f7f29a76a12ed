"""`catalog`: serve, db, import, export, show, search, z3950, institutions, keys, audit.

Thin: parse, call, print."""

import csv
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from app import marc
from app.db import migrations
from app.db.engine import create_database
from app.db.models import MAX_KEY
from app.imports.options import ImportOptions, OptionError
from app.imports.service import (
    REPORT_COLUMNS,
    ImportNotFound,
    ImportRefused,
    ImportService,
    JobStatus,
)
from app.imports.worker import ImportWorker, worker_name
from app.log import configure_logging
from app.protocols.z3950 import DEFAULT_DATABASE, gateway_config
from app.search.form import FormError, SearchForm
from app.search.query import Status
from app.search.searcher import EmptyQuery
from app.services.access import Role, command_line_caller
from app.services.errors import RecordDeleted, RecordNotFound, ServiceError
from app.services.members import InstitutionKind, MemberService
from app.services.records import ImportOutcome, RecordService
from app.settings import Settings
from app.startup import set_aside_start_up_objects

logger = logging.getLogger(__name__)

EXIT_REJECTED = 1
EXIT_USAGE = 2

app = typer.Typer(
    help="The shared catalogue: serve it, load it, export from it.", no_args_is_help=True
)
db_app = typer.Typer(help="The database: migrations and first data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
err = Console(stderr=True)

FormatOption = Annotated[
    marc.Format | None,
    typer.Option("--format", "-f", help="Format of the input; detected when left out"),
]


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings)
    return settings


@contextmanager
def _service(settings: Settings) -> Iterator[RecordService]:
    database = create_database(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    try:
        yield RecordService(
            database,
            org_code=settings.marc_org_code,
            clock=lambda: datetime.now(UTC),
            search_count_bound=settings.search_count_bound,
            search_rank_window=settings.search_rank_window,
        )
    finally:
        database.engine.dispose()  # type: ignore[union-attr]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    migrate: Annotated[bool, typer.Option(help="Upgrade the database first")] = True,
) -> None:
    """Serve the HTTP API (upgrading the database to the newest migration first)."""
    settings = _settings()
    if migrate:
        _upgrade(settings)
    uvicorn.run(
        "app.main:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target migration")] = "head",
) -> None:
    """Upgrade the database schema (creates a SQLite file if needed)."""
    settings = _settings()
    _upgrade(settings, revision)
    err.print(f"database at {migrations.head_revision() if revision == 'head' else revision}")


def _upgrade(settings: Settings, revision: str = "head") -> None:
    """Upgrade, then build the search index if the upgrade brought one to existing records."""
    migrations.upgrade(settings.database_url, revision)
    if revision != "head":
        return
    with _service(settings) as service:
        if service.index_needs_rebuild():
            err.print("records without a search index: building it (catalog search reindex)")
            _reindex(service)


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            # A folder of records may carry its README and dotfiles; they are not records.
            found.extend(
                p
                for p in sorted(path.iterdir())
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() != ".md"
            )
        elif path.is_file():
            if not path.stat().st_size:
                # As over HTTP: a job that reads nothing would hide a wrong path or a failed copy.
                err.print(f"[red]empty file: {path}[/red]")
                raise typer.Exit(EXIT_USAGE)
            found.append(path)
        else:
            err.print(f"[red]no such file: {path}[/red]")
            raise typer.Exit(EXIT_USAGE)
    return found


def _import(service: RecordService, files: list[Path], fmt: marc.Format | None) -> int:
    table = Table("file", "read", "stored", "rejected", title="import")
    rejected_any = False
    for path in files:
        with err.status(f"importing {path.name}…"), path.open("rb") as source:
            outcome: ImportOutcome = service.import_file(source, fmt)
        table.add_row(
            path.name, str(outcome.read), str(outcome.created), str(len(outcome.rejected))
        )
        for problem in outcome.rejected[:20]:
            where = f"record {problem.position}" if problem.position is not None else "file"
            err.print(f"[yellow]{path.name}, {where}: {problem.message}[/yellow]")
        if len(outcome.rejected) > 20:
            err.print(f"[yellow]… and {len(outcome.rejected) - 20} more[/yellow]")
        rejected_any = rejected_any or bool(outcome.rejected)
    err.print(table)
    return EXIT_REJECTED if rejected_any else 0


@db_app.command("seed")
def db_seed(
    directory: Annotated[Path, typer.Argument(help="Folder of sample records")],
) -> None:
    """Load a folder of records into a catalogue that has never held any (once only)."""
    settings = _settings()
    with _service(settings) as service:
        if service.has_records():
            err.print("catalogue already has records: samples not loaded again")
            return
        _import(service, _files([directory]), None)


@contextmanager
def _imports(settings: Settings) -> Iterator[ImportService]:
    with _service(settings) as records:
        # Loading is all these commands do from here: what they hold now lives as long.
        set_aside_start_up_objects()
        yield ImportService(
            records.database,
            records,
            org_code=settings.marc_org_code,
            clock=lambda: datetime.now(UTC),
            batch_size=settings.import_batch_size,
            stale_after=timedelta(seconds=settings.import_stale_seconds),
            processes=settings.import_processes,
            # `catalog import` and `catalog worker` do nothing else: no request waits on them.
            writer_prepares=True,
        )


_COUNT_COLUMNS = ("read", "created", "updated", "unchanged", "duplicates", "ambiguous", "rejected")


def _job_row(job: JobStatus) -> list[str]:
    return [str(job.id), job.filename or "", job.status] + [
        f"{getattr(job, name):,}" for name in _COUNT_COLUMNS
    ]


def _jobs_table(title: str) -> Table:
    return Table("job", "file", "status", *_COUNT_COLUMNS, title=title)


@app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="Files (or folders) of MARC records")],
    fmt: FormatOption = None,
    match: Annotated[
        str | None, typer.Option(help="Match points in order: 001, 035, isbn, issn, lccn")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="On a match: skip (default), overlay, merge or add")
    ] = None,
    keep: Annotated[
        str | None, typer.Option(help="Tags a merge keeps from the stored record (9XX)")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Report everything, write nothing")] = False,
) -> None:
    """Load files as import jobs, here and now, with a progress bar and a summary at the end.

    Each record is matched against the catalogue (--match) and created, updated (--action
    overlay or merge), left as it is, or rejected with its position and reason; `catalog
    imports report JOB` lists every record's outcome."""
    settings = _settings()
    try:
        options = ImportOptions.parse(match=match, action=action, keep=keep, dry_run=dry_run)
    except OptionError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_USAGE) from error
    paths = _files(files)
    table = _jobs_table("import (dry run: nothing written)" if dry_run else "import")
    rejected_any = False
    with _imports(settings) as imports:
        for path in paths:
            job = imports.submit_path(path, fmt=fmt, options=options)
            imports.claim_job(job.id, worker_name())
            with _import_progress() as progress:
                task = progress.add_task(path.name, total=max(job.size_bytes, 1), read=0, rate=0)

                def show(now: JobStatus, task: TaskID = task, bar: Progress = progress) -> None:
                    bar.update(
                        task,
                        completed=now.bytes_done,
                        read=now.read,
                        rate=now.records_per_second or 0,
                    )

                done = imports.run(job.id, on_batch=show)
                progress.update(task, completed=max(job.size_bytes, 1))
            table.add_row(*_job_row(done))
            if done.error:
                err.print(f"[red]{path.name}: {done.error}[/red]")
            rejected_any = rejected_any or bool(done.rejected) or done.status == "failed"
            rejected = imports.outcomes(done.id, only="rejected", batch=20) if done.rejected else ()
            for outcome in islice(rejected, 20):
                where = f"{path.name}/{outcome.file}" if outcome.file else path.name
                err.print(
                    f"{where}, record {outcome.position}: {outcome.reason}",
                    style="yellow",
                    markup=False,
                )
    err.print(table)
    raise typer.Exit(EXIT_REJECTED if rejected_any else 0)


def _import_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[read]:,} records"),
        TextColumn("{task.fields[rate]:,.0f} rec/s"),
        TimeRemainingColumn(),
        console=err,
        # The bar moves once a batch: redrawing it more often only takes time from the import.
        refresh_per_second=2,
    )


imports_app = typer.Typer(help="Import jobs: list them, read their reports.", no_args_is_help=False)
app.add_typer(imports_app, name="imports")


@imports_app.callback(invoke_without_command=True)
def imports_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 20,
) -> None:
    """List import jobs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    with _imports(settings) as imports:
        table = _jobs_table("imports")
        for job in imports.jobs(limit=limit):
            table.add_row(*_job_row(job))
    Console().print(table)


@imports_app.command("report")
def imports_report(
    job_id: Annotated[int, typer.Argument(help="The job's number", min=1, max=MAX_KEY)],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of CSV")] = False,
) -> None:
    """Every record's outcome, as CSV (or JSON lines) on standard output."""
    settings = _settings()
    columns = REPORT_COLUMNS
    try:
        with _imports(settings) as imports:
            writer = csv.writer(sys.stdout)
            if not as_json:
                writer.writerow(columns)
            for outcome in imports.outcomes(job_id):
                values = {name: getattr(outcome, name) for name in columns}
                if as_json:
                    sys.stdout.write(json.dumps(values, ensure_ascii=False) + "\n")
                else:
                    writer.writerow(["" if v is None else v for v in values.values()])
    except ImportNotFound as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_REJECTED) from error


@imports_app.command("revert")
def imports_revert(
    job_id: Annotated[int, typer.Argument(help="The job's number", min=1, max=MAX_KEY)],
) -> None:
    """Undo a finished import: its new records become tombstones, its changes are put back."""
    settings = _settings()
    try:
        with _imports(settings) as imports:
            report = imports.revert(job_id)
    except (ImportNotFound, ImportRefused) as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_REJECTED) from error
    err.print(f"{report.deleted} record(s) deleted, {report.restored} put back")
    for undone in report.refused:
        err.print(f"[yellow]record {undone.position} of the file: {undone.reason}[/yellow]")
    raise typer.Exit(EXIT_REJECTED if report.refused else 0)


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Jobs loaded at once by this process")] = 1,
) -> None:
    """Load queued imports until stopped (SIGTERM or Ctrl-C ends after the current batch)."""
    settings = _settings()
    with _imports(settings) as imports:
        workers = [ImportWorker(imports, name=worker_name(n)) for n in range(threads)]
        for each in workers:
            each.start()
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        err.print(f"loading imports with {threads} worker(s); Ctrl-C stops")
        with suppress(KeyboardInterrupt):
            stopped.wait()
        for each in workers:
            each.stop()


@app.command()
def export(
    fmt: Annotated[marc.Format, typer.Option("--format", "-f", help="Output format")] = (
        marc.Format.MRC
    ),
    q: Annotated[str | None, typer.Option("--q", "-q", help="Words to find, as in ?q=")] = None,
    title: Annotated[str | None, typer.Option(help="Words of the title")] = None,
    author: Annotated[str | None, typer.Option(help="Words of an author")] = None,
    subject: Annotated[str | None, typer.Option(help="Words of a subject")] = None,
    publisher: Annotated[str | None, typer.Option(help="Words of the publisher")] = None,
    isbn: Annotated[str | None, typer.Option(help="ISBN-10 or -13")] = None,
    ddc: Annotated[str | None, typer.Option(help="Dewey class number prefix")] = None,
    language: Annotated[str | None, typer.Option(help="MARC language code, e.g. vie")] = None,
    year_from: Annotated[int | None, typer.Option(help="Published in or after")] = None,
    year_to: Annotated[int | None, typer.Option(help="Published in or before")] = None,
    material: Annotated[
        str | None, typer.Option("--type", help="book, serial, map, music, video, …")
    ] = None,
    status: Annotated[Status, typer.Option(help="active, deleted or any")] = Status.ACTIVE,
    updated_since: Annotated[
        datetime | None, typer.Option(help="Only records changed since (UTC if no zone)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; stdout when left out")
    ] = None,
) -> None:
    """Write every record a search finds (every record, without one) to stdout or a file."""
    settings = _settings()
    since = (
        updated_since.replace(tzinfo=UTC)
        if updated_since and not updated_since.tzinfo
        else updated_since
    )
    form = SearchForm(
        q=q,
        title=title,
        author=author,
        subject=subject,
        publisher=publisher,
        isbn=isbn,
        ddc=ddc,
        language=language,
        year_from=year_from,
        year_to=year_to,
        material=material,
        status=status,
        updated_since=since,
    )
    try:
        query = form.query()
    except FormError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_USAGE) from error
    with _service(settings) as service, _progress() as progress:
        try:
            total, exact = service.count(query)
        except EmptyQuery as error:
            err.print(f"[red]{error}[/red]")
            raise typer.Exit(EXIT_USAGE) from error
        task = progress.add_task("exporting", total=total if exact else None)
        chunks = service.export(query, fmt, on_record=lambda: progress.advance(task))
        sink = output.open("wb") if output is not None else sys.stdout.buffer
        try:
            for chunk in chunks:
                sink.write(chunk)
        finally:
            if output is not None:
                sink.close()
            else:
                sink.flush()


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.0f} rec/s")


def _progress() -> Progress:
    """A progress bar on stderr (records, rate, time left), so stdout stays the data."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


search_app = typer.Typer(help="The search index.", no_args_is_help=True)
app.add_typer(search_app, name="search")


def _reindex(service: RecordService) -> int:
    with _progress() as progress:
        task = progress.add_task("indexing", total=service.count_records())
        return service.reindex(on_progress=lambda done: progress.update(task, completed=done))


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index (and the sort columns) of every record, for recovery."""
    settings = _settings()
    with _service(settings) as service:
        done = _reindex(service)
    err.print(f"{done} records indexed")


@app.command()
def show(
    record_id: Annotated[int, typer.Argument(help="Record number (its 001)", min=1, max=MAX_KEY)],
    fmt: Annotated[marc.Format, typer.Option("--format", "-f", help="Output format")] = (
        marc.Format.MRK
    ),
) -> None:
    """Print one record in a format (mnemonic by default)."""
    settings = _settings()
    try:
        with _service(settings) as service:
            found = service.get(record_id)
    except (RecordNotFound, RecordDeleted) as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_REJECTED) from error
    try:
        sys.stdout.buffer.write(marc.write(found.record, fmt))
    except marc.RecordTooLong as error:
        err.print(f"[red]{error.problem.message}[/red]")
        raise typer.Exit(EXIT_REJECTED) from error
    sys.stdout.buffer.flush()


z3950_app = typer.Typer(
    help="Z39.50 for systems that speak nothing else, through Index Data's Simple2ZOOM gateway "
    "(Debian package libnet-z3950-simple2zoom-perl) in front of /sru.",
    no_args_is_help=True,
)
app.add_typer(z3950_app, name="z3950")
SruUrlOption = Annotated[
    str, typer.Option("--sru-url", help="The API's SRU address, as the gateway reaches it")
]
DatabaseOption = Annotated[
    str, typer.Option("--database", help="Z39.50 database name clients connect to")
]


@z3950_app.command("config")
def z3950_config(
    sru_url: SruUrlOption = "http://127.0.0.1:8000/sru",
    database: DatabaseOption = DEFAULT_DATABASE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; standard output if none")
    ] = None,
) -> None:
    """Write the gateway's configuration: Bib-1 use attributes mapped to our CQL indexes."""
    config = gateway_config(sru_url, database=database)
    if output is None:
        sys.stdout.buffer.write(config)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(config)


@z3950_app.command("serve")
def z3950_serve(
    port: Annotated[int, typer.Option(help="Port Z39.50 clients connect to")] = 2100,
    host: Annotated[str, typer.Option(help="Address to listen on (empty: every address)")] = "",
    sru_url: SruUrlOption = "http://127.0.0.1:8000/sru",
    database: DatabaseOption = DEFAULT_DATABASE,
) -> None:
    """Run the Z39.50 gateway in the foreground, configured for this catalogue."""
    gateway = shutil.which("simple2zoom")
    if gateway is None:
        err.print(
            "[red]simple2zoom is not installed: apt-get install libnet-z3950-simple2zoom-perl[/red]"
        )
        raise typer.Exit(EXIT_USAGE)
    config = _gateway_config_file(gateway_config(sru_url, database=database))
    err.print(f"Z39.50 on {host or '*'}:{port}, database {database!r}, searching {sru_url}")
    # The gateway takes over this process, so a service manager's signals reach it directly.
    listener = f"tcp:{host}:{port}" if host else f"@:{port}"
    os.execv(gateway, [gateway, "-c", config, "--", listener])  # noqa: S606


def _gateway_config_file(config: bytes) -> str:
    """A path the gateway reads its configuration from for as long as it runs.

    Simple2ZOOM reads the file again at every connection, and once it has taken over this
    process nobody is left to delete a file written for it: on Linux the configuration lives in
    an anonymous in-memory file the gateway inherits, gone when the gateway stops; elsewhere a
    temporary file stays behind.
    """
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create("simple2zoom.xml", 0)
        os.write(descriptor, config)
        os.set_inheritable(descriptor, True)
        return f"/proc/self/fd/{descriptor}"
    path = Path(tempfile.mkdtemp(prefix="catalog-z3950-")) / "simple2zoom.xml"
    path.write_bytes(config)
    return str(path)


def main() -> None:
    """Entry point of the `catalog` command."""
    try:
        app()
    except DBAPIError as error:
        logger.debug("database error", exc_info=error)
        err.print(f"database error: {error.orig}", style="red", markup=False)
        # On a new machine the usual cause is a database never upgraded: say what to run.
        if hint := _schema_hint():
            err.print(hint, style="red", markup=False)
        raise SystemExit(EXIT_REJECTED) from None


def _schema_hint() -> str | None:
    if sys.argv[1:3] == ["db", "upgrade"]:
        return None  # the upgrade itself failed: its error is the news
    try:
        behind = migrations.behind_by(Settings().database_url)
    except DBAPIError:
        return None
    if behind is None:
        return None
    current, head = behind
    if current is not None and not migrations.is_known(current):
        return (
            f"the database is at migration {current}, which this version does not know: it was "
            "upgraded by a newer version of shared-catalog; run that one"
        )
    return (
        f"the database is at migration {current or 'none (it is empty)'}, this version needs "
        f"{head}: run `catalog db upgrade` first"
    )


# -- members: institutions, keys, audit ---------------------------------------------------------


@contextmanager
def _members() -> Iterator[MemberService]:
    settings = _settings()
    database = create_database(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    try:
        yield MemberService(database, clock=lambda: datetime.now(UTC))
    except ServiceError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_REJECTED) from error
    finally:
        database.engine.dispose()  # type: ignore[union-attr]


institutions_app = typer.Typer(help="Member institutions: list, add, change.")
app.add_typer(institutions_app, name="institutions")


@institutions_app.callback(invoke_without_command=True)
def institutions_list(ctx: typer.Context) -> None:
    """List member institutions."""
    if ctx.invoked_subcommand is not None:
        return
    with _members() as members:
        table = Table("code", "name", "kind", "province", title="institutions")
        for info in members.institutions():
            table.add_row(info.code, info.name, info.kind.value, info.province or "")
    Console().print(table)


@institutions_app.command("add")
def institutions_add(
    code: Annotated[str, typer.Argument(help="MARC organization code or ISIL, e.g. VN-NLV")],
    name: Annotated[str, typer.Option(help="The institution's name")],
    kind: Annotated[InstitutionKind, typer.Option(help="What kind of institution")],
    province: Annotated[str | None, typer.Option(help="Its province or city")] = None,
) -> None:
    """Register a member institution."""
    with _members() as members:
        info = members.create_institution(
            code=code, name=name, kind=kind, province=province, by=command_line_caller()
        )
    err.print(f"institution {info.code} registered")


@institutions_app.command("update")
def institutions_update(
    code: Annotated[str, typer.Argument(help="The institution's code")],
    name: Annotated[str | None, typer.Option(help="A new name")] = None,
    kind: Annotated[InstitutionKind | None, typer.Option(help="A new kind")] = None,
    province: Annotated[str | None, typer.Option(help="A new province; '' clears it")] = None,
) -> None:
    """Change a member institution's name, kind or province."""
    with _members() as members:
        members.update_institution(
            code, name=name, kind=kind, province=province, by=command_line_caller()
        )
    err.print(f"institution {code} changed")


keys_app = typer.Typer(help="API keys: list, create, change role, revoke.")
app.add_typer(keys_app, name="keys")


@keys_app.callback(invoke_without_command=True)
def keys_list(
    ctx: typer.Context,
    institution: Annotated[str | None, typer.Option(help="Only this institution's keys")] = None,
) -> None:
    """List API keys (never their secrets)."""
    if ctx.invoked_subcommand is not None:
        return
    now = datetime.now(UTC)
    with _members() as members:
        table = Table("id", "institution", "role", "prefix", "label", "expires", "state")
        for key in members.keys(institution):
            state = "active" if key.active(now) else ("revoked" if key.revoked_at else "expired")
            expires = key.expires_at.date().isoformat() if key.expires_at else "never"
            table.add_row(
                str(key.id), key.institution, key.role.value, key.prefix, key.label or "",
                expires, state,
            )  # fmt: skip
    Console().print(table)


@keys_app.command("create")
def keys_create(
    institution: Annotated[str, typer.Option(help="Code of the institution the key is for")],
    role: Annotated[Role, typer.Option(help="What the key may do")],
    label: Annotated[str | None, typer.Option(help="What it is for, e.g. 'Koha'")] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days until it expires; never when left out")
    ] = None,
) -> None:
    """Make a key; its secret is printed once, on standard output, and never shown again."""
    expires_at = datetime.now(UTC) + timedelta(days=days) if days else None
    with _members() as members:
        made = members.create_key(
            institution=institution,
            role=role,
            label=label,
            expires_at=expires_at,
            by=command_line_caller(),
        )
    err.print(
        f"key {made.key.id} ({made.key.role.value}) for {made.key.institution}; "
        "store the secret now, it is not kept:"
    )
    typer.echo(made.secret)


@keys_app.command("role")
def keys_role(
    key_id: Annotated[int, typer.Argument(help="The key's number", min=1, max=MAX_KEY)],
    role: Annotated[Role, typer.Argument(help="Its new role")],
) -> None:
    """Give a key another role."""
    with _members() as members:
        members.change_role(key_id, role, by=command_line_caller())
    err.print(f"key {key_id} is now {role.value}")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="The key's number", min=1, max=MAX_KEY)],
) -> None:
    """Stop a key from working, at once and for good."""
    with _members() as members:
        members.revoke_key(key_id, by=command_line_caller())
    err.print(f"key {key_id} revoked")


@app.command("audit")
def audit(limit: Annotated[int, typer.Option(min=1, help="How many, newest first")] = 50) -> None:
    """Who created, changed or revoked keys and institutions, and when."""
    with _members() as members:
        table = Table("when", "who", "action", "subject", "detail", title="audit")
        for entry in members.audit(limit=limit):
            detail = ", ".join(f"{k}={v}" for k, v in entry.detail.items() if v is not None)
            table.add_row(
                entry.at.isoformat(timespec="seconds"), entry.actor, entry.action, entry.subject,
                detail,
            )  # fmt: skip
    Console().print(table)
