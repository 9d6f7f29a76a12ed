"""The settings every SQLite connection is opened with."""

from pathlib import Path

from app.db.engine import SQLITE_WAL_AUTOCHECKPOINT_PAGES, create_database


def test_sqlite_connections_use_wal_with_larger_checkpoints(tmp_path: Path) -> None:
    database = create_database(f"sqlite:///{tmp_path / 'catalog.db'}")
    with database.engine.connect() as connection:  # type: ignore[union-attr]
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "wal_autocheckpoint", "foreign_keys")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL: durable at each checkpoint, never corrupt
        "wal_autocheckpoint": SQLITE_WAL_AUTOCHECKPOINT_PAGES,
        "foreign_keys": 1,
    }
    database.engine.dispose()  # type: ignore[union-attr]
