"""Both engines give the same answers: random phrases, truncations, fields and exclusions cut
from the sample records' own words, asked of SQLite (FTS5) and PostgreSQL (terms) alike."""

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.db import migrations
from app.db.engine import create_database
from app.search.document import BOUNDARY, PARTS, search_document
from app.search.form import SearchForm
from app.services.records import RecordService

from support import TEST_ORG, SteppingClock, fresh_database_url, load_samples

FIELDS = ("title", "author", "subject", "publisher")


def _forms(service: RecordService, count: int) -> list[dict[str, str]]:
    """Queries of every kind the index compiles: words, phrases of two to four words (which
    PostgreSQL answers by its pairs alone, or checks against the words), prefixes, fields."""
    rng = random.Random(20261203)
    items = service.search(SearchForm().query(), limit=500).items
    forms: list[dict[str, str]] = []
    for item in items:
        document = search_document(item.id, service.get(item.id).record, year=None)
        for name in PARTS:
            tokens = document.part(name).split()
            words = [token for token in tokens if token != BOUNDARY]
            for _ in range(2):
                at = rng.randrange(len(tokens)) if tokens else 0
                run = tokens[at : at + rng.choice([1, 2, 3, 4])]
                if not run or BOUNDARY in run:
                    continue
                text = f'"{" ".join(run)}"' if len(run) > 1 else run[0]
                other = rng.choice(words)
                forms.append({"q": text})
                if len(run[-1]) > 2:  # the last word cut short, truncated
                    cut = " ".join([*run[:-1], run[-1][:-1]])
                    forms.append({"q": f'"{cut}"*' if len(run) > 1 else f"{cut}*"})
                forms.append({"q": f"{other} -{text}" if other not in run else f"{text} OR x"})
                if name in FIELDS:
                    forms.append({name: text})
    rng.shuffle(forms)
    return forms[:count]


def test_sqlite_and_postgresql_find_the_same_records(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    services = []
    databases = []
    for kind in ("sqlite", "postgresql"):
        url = fresh_database_url(kind, request, tmp_path)
        migrations.upgrade(url, "head")
        clock = SteppingClock(datetime(2026, 12, 3, tzinfo=UTC))
        databases.append(create_database(url))
        service = RecordService(databases[-1], org_code=TEST_ORG, clock=clock)
        load_samples(service)
        services.append(service)
    sqlite, postgresql = services
    forms = _forms(sqlite, 400)
    assert len(forms) == 400
    found_any = 0
    for form in forms:
        query = SearchForm(**form).query()
        expected = sorted(i.id for i in sqlite.search(query, limit=500).items)
        assert sorted(i.id for i in postgresql.search(query, limit=500).items) == expected, form
        found_any += bool(expected)
    assert found_any > 300  # the queries come from the records: most must find something
    for database in databases:
        database.engine.dispose()  # type: ignore[union-attr]
