"""The `catalog` command against a real database (each test its own, since the CLI commits)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import marc
from app.cli import app
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
    assert "record " in result.output


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
