"""`catalog`: serve, db upgrade/seed, import, export, show. Thin: parse, call a use-case, print."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from app import marc
from app.db import migrations
from app.db.engine import create_database
from app.db.models import MAX_KEY
from app.log import configure_logging
from app.services.errors import RecordDeleted, RecordNotFound
from app.services.records import ImportOutcome, RecordQuery, RecordService
from app.settings import Settings

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
            database, org_code=settings.marc_org_code, clock=lambda: datetime.now(UTC)
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
        migrations.upgrade(settings.database_url)
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
    migrations.upgrade(settings.database_url, revision)
    err.print(f"database at {migrations.head_revision() if revision == 'head' else revision}")


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


@app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="Files (or folders) of MARC records")],
    fmt: FormatOption = None,
) -> None:
    """Store every record of the files as a new record; report the ones rejected."""
    settings = _settings()
    paths = _files(files)
    with _service(settings) as service:
        code = _import(service, paths, fmt)
    raise typer.Exit(code)


@app.command()
def export(
    fmt: Annotated[marc.Format, typer.Option("--format", "-f", help="Output format")] = (
        marc.Format.MRC
    ),
    updated_since: Annotated[
        datetime | None, typer.Option(help="Only records changed since (UTC if no zone)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; stdout when left out")
    ] = None,
) -> None:
    """Write every record (or those changed since a time) to stdout or a file."""
    settings = _settings()
    since = (
        updated_since.replace(tzinfo=UTC)
        if updated_since and not updated_since.tzinfo
        else updated_since
    )
    with _service(settings) as service:
        chunks = service.export(RecordQuery(updated_since=since), fmt)
        if output is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        with output.open("wb") as sink:
            for chunk in chunks:
                sink.write(chunk)


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


def main() -> None:
    """Entry point of the `catalog` command."""
    app()
