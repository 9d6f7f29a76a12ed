"""The `catalog` command against a real database (each test its own, since the CLI commits)."""

import gc
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app import marc
from app.cli import app, main
from app.db import migrations

from support import ENGINES, fresh_database_url

runner = CliRunner()


@pytest.fixture(params=ENGINES)
def catalog_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    url = fresh_database_url(request.param, request, tmp_path)
    monkeypatch.setenv("CATALOG_DATABASE_URL", url)
    monkeypatch.setenv("CATALOG_MARC_ORG_CODE", "VN-CLI")
    return url


def test_upgrade_import_show_export(catalog_env: str, corpus: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert migrations.head_revision() is not None

    source = corpus / "iso2709" / "pymarc" / "marc.dat"
    imported = runner.invoke(app, ["import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert "20" in imported.output

    shown = runner.invoke(app, ["show", "1", "--format", "mrk"])
    assert shown.exit_code == 0
    assert shown.stdout.startswith("=LDR  ")
    assert "=001  1\n" in shown.stdout
    assert "=003  VN-CLI" in shown.stdout

    out = tmp_path / "all.mrc"
    exported = runner.invoke(app, ["export", "--format", "mrc", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    records = [r for r in marc.read(out.read_bytes()) if isinstance(r, marc.ParsedRecord)]
    assert len(records) == 20
    assert [r.record["001"].data for r in records] == [str(n) for n in range(1, 21)]


def test_import_reports_rejected_records_and_exits_1(catalog_env: str, corpus: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    damaged = corpus / "malformed" / "pymarc" / "bad_records.mrc"

    result = runner.invoke(app, ["import", str(damaged)])

    assert result.exit_code == 1
    # Records 3 and 4 cannot be read, 6 has no title (245): each is named once, no other.
    named = re.findall(r"bad_records\.mrc, record (\d+):", result.output)
    assert named == ["3", "4", "6"]


def test_import_sets_aside_what_start_up_built(catalog_env: str) -> None:
    samples = Path(__file__).resolve().parents[1] / "sample_records"
    runner.invoke(app, ["db", "upgrade"])
    gc.unfreeze()
    try:
        result = runner.invoke(app, ["import", str(samples / "vietnamese-made-here.mrk")])
        assert result.exit_code == 0, result.output
        # Out of the cycle collector's full passes (app.startup).
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_seed_loads_samples_only_once(catalog_env: str) -> None:
    samples = Path(__file__).resolve().parents[1] / "sample_records"
    runner.invoke(app, ["db", "upgrade"])

    first = runner.invoke(app, ["db", "seed", str(samples)])
    second = runner.invoke(app, ["db", "seed", str(samples)])

    assert first.exit_code in (0, 1), first.output
    assert "already has records" in second.output
    out = runner.invoke(app, ["export", "--format", "json"])
    assert (
        out.stdout.count('"leader"') == 70
    )  # every sample record loads (sample_records/README.md)


def test_show_a_missing_record_exits_1(catalog_env: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["show", "42"])
    assert result.exit_code == 1
    assert "no record 42" in result.output


def test_import_of_a_missing_file_is_a_usage_error(catalog_env: str) -> None:
    result = runner.invoke(app, ["import", "/nonexistent/file.mrc"])
    assert result.exit_code == 2


def test_import_of_an_empty_file_is_a_usage_error(catalog_env: str, tmp_path: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    empty = tmp_path / "export.mrc"
    empty.touch()
    result = runner.invoke(app, ["import", str(empty)])
    assert result.exit_code == 2
    assert "empty file" in result.output
    engine = create_engine(catalog_env)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM import_job")).scalar() == 0
    engine.dispose()


def test_export_a_search_and_rebuild_the_index(catalog_env: str, tmp_path: Path) -> None:
    samples = Path(__file__).resolve().parents[1] / "sample_records" / "vietnamese-made-here.mrk"
    runner.invoke(app, ["db", "upgrade"])
    assert runner.invoke(app, ["import", str(samples)]).exit_code == 0

    out = tmp_path / "kieu.mrk"
    exported = runner.invoke(
        app, ["export", "--q", "kim van kieu", "--format", "mrk", "--output", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    assert out.read_text(encoding="utf-8").count("=LDR  ") == 2
    assert "2/2" in exported.output  # the progress bar knew the total

    refused = runner.invoke(app, ["export", "--q", '"kim van'])
    assert refused.exit_code == 2
    assert "unclosed" in refused.output

    rebuilt = runner.invoke(app, ["search", "reindex"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "19 records indexed" in rebuilt.output
    again = runner.invoke(app, ["export", "--q", "kim van kieu", "--format", "json"])
    assert again.stdout.count('"leader"') == 2


def test_upgrade_builds_a_missing_index(catalog_env: str) -> None:
    samples = Path(__file__).resolve().parents[1] / "sample_records" / "vietnamese-made-here.mrk"
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["import", str(samples)])
    engine = create_engine(catalog_env)
    with engine.begin() as connection:  # as after the migration that created the index
        connection.execute(text("DELETE FROM record_search"))
    engine.dispose()

    upgraded = runner.invoke(app, ["db", "upgrade"])

    assert upgraded.exit_code == 0, upgraded.output
    assert "building it" in upgraded.output
    found = runner.invoke(app, ["export", "--q", "so do", "--format", "json"])
    assert found.stdout.count('"leader"') == 1


def _main_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> str:
    """Run main(), as the installed command does (its messages are main()'s, not the Typer
    app's); it must exit 1. What it printed to stderr, its line breaks undone."""
    monkeypatch.setattr("sys.argv", ["catalog", *argv])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    return " ".join(capsys.readouterr().err.split())


def test_a_database_never_upgraded_is_named_with_what_to_run(
    catalog_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    message = _main_fails(monkeypatch, capsys, "imports")
    assert "none (it is empty)" in message
    assert f"needs {migrations.head_revision()}: run `catalog db upgrade` first" in message
    assert "Traceback" not in message


def test_a_database_newer_than_the_code_is_named_so(
    catalog_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = create_engine(catalog_env)
    with engine.begin() as connection:
        # As a newer version might leave it: a migration this code lacks, a table gone.
        connection.execute(text("UPDATE alembic_version SET version_num = '29991231_future'"))
        connection.execute(text("DROP TABLE import_outcome"))
        connection.execute(text("DROP TABLE import_upload"))
        connection.execute(text("DROP TABLE import_job"))
    engine.dispose()
    message = _main_fails(monkeypatch, capsys, "imports")
    assert "database error: " in message
    assert "import_job" in message
    assert "29991231_future, which this version does not know" in message
    assert "catalog db upgrade" not in message
