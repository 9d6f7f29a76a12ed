"""The search contract, on SQLite (FTS5) and PostgreSQL (tsvector): the same answers on both."""

import io
import json
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import text

from app import marc
from app.db.engine import Database
from app.search.backend import backend_for
from app.search.form import FormError, SearchForm
from app.search.parser import parse_keywords
from app.search.postgres_fts import PARTITION_WIDTH
from app.search.query import SearchField, SearchQuery, Status
from app.search.searcher import EmptyQuery, InvalidCursor, Sort
from app.services.records import RecordService
from app.settings import Settings

from support import CORPUS, TEST_ORG, SteppingClock

Make = Callable[..., int]


@pytest.fixture
def service(database: Database, clock: SteppingClock) -> RecordService:
    return RecordService(database, org_code=TEST_ORG, clock=clock)


def mrk(
    title: str,
    *,
    author: str | None = None,
    note: str | None = None,
    subject: str | None = None,
    publisher: str | None = None,
    year: int | None = 2020,
    language: str = "vie",
    leader: str = "00000nam a2200000 i 4500",
    isbn: str | None = None,
    ddc: str | None = None,
    nonfiling: int = 0,
    extra: str = "",
) -> bytes:
    date = f"{year:04d}" if year is not None else "uuuu"
    fixed = f"261125s{date}    vm {' ' * 17}{language} d"
    assert len(fixed) == 40
    lines = [f"=LDR  {leader}", "=008  " + fixed.replace(" ", "\\")]
    if isbn:
        lines.append(f"=020  \\\\$a{isbn}")
    if ddc:
        lines.append(f"=082  04$a{ddc}")
    if author:
        lines.append(f"=100  1\\$a{author}")
    lines.append(f"=245  1{nonfiling}$a{title}")
    if publisher:
        lines.append(f"=264  \\1$aHà Nội :$b{publisher},$c{year}")
    if note:
        lines.append(f"=500  \\\\$a{note}")
    if subject:
        lines.append(f"=650  \\7$a{subject}")
    if extra:
        lines.append(extra)
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def make(service: RecordService) -> Make:
    def make(title: str, **fields: Any) -> int:
        return service.create(mrk(title, **fields), marc.Format.MRK).found.id

    return make


def find(
    service: RecordService, limit: int = 50, sort: Sort | None = None, **form: Any
) -> list[int]:
    page = service.search(SearchForm(**form).query(), limit=limit, sort=sort)
    return [item.id for item in page.items]


def titles(service: RecordService, sort: Sort, **form: Any) -> list[str | None]:
    page = service.search(SearchForm(**form).query(), limit=50, sort=sort)
    return [item.summary.title for item in page.items]


def test_words_are_found_without_their_diacritics_and_with_them(
    service: RecordService, make: Make
) -> None:
    library = make("Thư viện Quốc gia Việt Nam")
    danang = make("Lịch sử Đà Nẵng")
    make("Khoa học tự nhiên")
    assert find(service, q="thu vien") == [library]
    assert find(service, q="thư viện") == [library]
    assert find(service, q="THƯ VIỆN") == [library]
    assert find(service, q="da nang") == [danang]
    assert find(service, q="Đà Nẵng") == [danang]
    # NFD typed (a Mac keyboard) is the same query as NFC.
    assert find(service, q=unicodedata.normalize("NFD", "Đà Nẵng")) == [danang]


def test_data_stored_decomposed_is_found_as_if_composed(service: RecordService) -> None:
    decomposed = unicodedata.normalize("NFD", "Tiếng Việt thực hành")
    record_id = service.create(mrk(decomposed), marc.Format.MRK).found.id
    assert find(service, q="tiếng việt") == [record_id]
    assert find(service, q="tieng viet") == [record_id]


def test_d_with_stroke_folds_to_d(service: RecordService, make: Make) -> None:
    record_id = make("Đường đời")
    assert find(service, q="duong doi") == [record_id]
    assert find(service, q="DUONG") == [record_id]


def test_the_diacritics_typed_rank_those_exact_forms_first(
    service: RecordService, make: Make
) -> None:
    grave = make("Cô gái mà tôi yêu")  # the oldest: without the exact-form rule it ranks last
    plain = make("Con ma trong nhà")
    acute = make("Má tôi")
    tilde = make("Mã nguồn mở")
    found = find(service, q="mà")
    assert found[0] == grave
    assert sorted(found) == sorted([grave, plain, acute, tilde])
    assert find(service, q="mã")[0] == tilde
    assert find(service, q="má")[0] == acute


def test_a_title_match_ranks_above_a_note_match(service: RecordService, make: Make) -> None:
    in_title = make("Thư viện học đại cương")
    in_note = make("Giáo trình tin học", note="Tài liệu cho ngành thư viện")
    in_subject = make("Nhập môn", subject="Thư viện")
    assert find(service, q="thu vien") == [in_title, in_subject, in_note]


def test_a_phrase_needs_its_words_together(service: RecordService, make: Make) -> None:
    together = make("Văn học dân gian Việt Nam")
    apart = make("Dân tộc và văn học", note="Văn hóa gian nan")
    assert sorted(find(service, q="van hoc")) == sorted([together, apart])
    assert find(service, q='"van hoc dan gian"') == [together]
    assert find(service, q='"dan gian van hoc"') == []


def test_a_long_phrase_needs_all_its_words_in_one_run(service: RecordService, make: Make) -> None:
    # Every pair of "lịch sử văn học" is in `scattered`, but never the whole run: an index of
    # word pairs (PostgreSQL's) must not take it for the phrase.
    whole = make("Lịch sử văn học Việt Nam")
    scattered = make("Lịch sử văn hóa", note="Sử văn học hiện đại")
    across = make("Tư liệu lịch sử", note="Văn học dân gian")  # a phrase stops at a field's end
    assert find(service, q='"lich su van hoc"') == [whole]
    assert sorted(find(service, q='"lich su van h"*')) == sorted([whole, scattered])
    assert sorted(find(service, q='"su van hoc"')) == sorted([whole, scattered])
    assert find(service, title='"su van hoc"') == [whole]
    assert sorted(find(service, q='lich su -"su van hoc hien"')) == sorted([whole, across])
    assert find(service, q='"lich su van" "van hoc viet"') == [whole]
    assert sorted(find(service, q='"su van hoc" OR "lieu lich su"')) == sorted(
        [whole, scattered, across]
    )


def test_and_or_not_and_truncation(service: RecordService, make: Make) -> None:
    history = make("Lịch sử Việt Nam")
    geography = make("Địa lý Việt Nam")
    world = make("Lịch sử thế giới")
    assert sorted(find(service, q="lich su viet")) == [history]
    assert sorted(find(service, q="lich su OR dia ly")) == sorted([history, geography, world])
    assert sorted(find(service, q="viet nam -lich")) == [geography]
    assert sorted(find(service, q="viet nam NOT lich")) == [geography]
    assert sorted(find(service, q="the*")) == [world]
    assert sorted(find(service, q="gi*")) == [world]
    assert sorted(find(service, q='"lich s"*')) == sorted([history, world])


def test_fielded_parameters_look_only_in_their_part(service: RecordService, make: Make) -> None:
    by_author = make("Truyện ngắn", author="Nam Cao", publisher="Văn học")
    about = make("Nghiên cứu về Nam Cao", author="Hà Minh Đức", subject="Nam Cao")
    published = make("Tuyển tập", publisher="Nhà xuất bản Nam Cao")
    assert find(service, author="nam cao") == [by_author]
    assert find(service, title="nam cao") == [about]
    assert find(service, subject="nam cao") == [about]
    assert find(service, publisher="nam cao") == [published]
    assert find(service, publisher="van hoc") == [by_author]
    assert find(service, q="author:cao OR publisher:cao", sort=Sort.TITLE) == [
        by_author,  # "Truyện" files before "Tuyển"
        published,
    ]
    assert sorted(find(service, q="nam cao")) == sorted([by_author, about, published])


def test_other_scripts_stay_searchable(service: RecordService, make: Make) -> None:
    russian = make("Евгений Онегин", author="Пушкин, Александр Сергеевич", language="rus")
    hebrew = make("ספר הזוהר", language="heb")
    japanese = make("東京大学の歴史", language="jpn")
    linked = make(
        "Tōkyō no rekishi",
        language="jpn",
        extra="=880  10$6245-01/$1$a東京の歴史",
    )
    assert find(service, q="пушкин") == [russian]
    assert find(service, q="ПУШКИН онегин") == [russian]
    assert find(service, q="הזוהר") == [hebrew]
    assert sorted(find(service, q="東京")) == sorted([japanese, linked])
    assert find(service, q="大学") == [japanese]
    assert find(service, title="歴史", sort=Sort.UPDATED) == [japanese, linked]
    assert find(service, q="tokyo") == [linked]


def test_filters_narrow_a_search(service: RecordService, make: Make) -> None:
    book = make("Bản đồ Hà Nội", year=1995, ddc="915.97", isbn="978-604-0-00000-2")
    old = make("Bản đồ Hà Nội xưa", year=1960, language="fre", ddc="959.731")
    atlas = make("Bản đồ Hà Nội", year=2001, leader="00000nem a2200000 i 4500")
    serial = make("Tạp chí Hà Nội", leader="00000nas a2200000 i 4500", year=2010)
    assert sorted(find(service, q="ha noi")) == sorted([book, old, atlas, serial])
    assert find(service, q="ha noi", year_from=1990, year_to=2000) == [book]
    assert find(service, q="ha noi", language="fre") == [old]
    assert find(service, q="ha noi", material="map") == [atlas]
    assert find(service, q="ha noi", material="serial") == [serial]
    assert sorted(find(service, q="ha noi", material="book")) == sorted([book, old])
    assert find(service, ddc="959.7") == [old]
    assert sorted(find(service, ddc="9")) == [book, old]
    assert find(service, isbn="9786040000002") == [book]


def test_a_range_of_years_with_words_finds_exactly_the_records_published_in_it(
    service: RecordService, make: Make
) -> None:
    kieu = {year: make("Truyện Kiều", author="Nguyễn Du", year=year) for year in (1990, 1993, 1995)}
    before, after, old = (
        make("Truyện Kiều", author="Nguyễn Du", year=y) for y in (1989, 1996, 1950)
    )
    make("Truyện Kiều", author="Nguyễn Du", year=None)
    tale = make("Truyện cổ", author="Tô Hoài", year=1993)
    # A range of a few years, which the index narrows to, and a wide one, which it does not.
    nguyen_du = sorted(kieu.values())
    assert sorted(find(service, author="nguyen du", year_from=1990, year_to=1995)) == nguyen_du
    assert sorted(find(service, q="truyen", year_from=1900, year_to=1990)) == sorted(
        [kieu[1990], before, old]
    )
    assert find(service, q="kieu", year_from=1996) == [after]
    assert sorted(find(service, q="kieu OR co", year_from=1993, year_to=1993)) == sorted(
        [kieu[1993], tale]
    )
    assert find(service, q="truyen -kieu", year_from=1990, year_to=1995) == [tale]
    assert find(service, q="1993") == []  # the year is in the index, but as no word
    # A record whose year changes is found in its new range at once.
    service.replace(
        kieu[1993],
        mrk("Truyện Kiều", author="Nguyễn Du", year=2001),
        marc.Format.MRK,
        expected_versions=None,
    )
    assert sorted(find(service, author="nguyen du", year_from=1990, year_to=1995)) == sorted(
        [kieu[1990], kieu[1995]]
    )
    assert find(service, author="nguyen du", year_from=2000, year_to=2005) == [kieu[1993]]


def test_the_index_itself_narrows_words_to_the_years_asked(
    service: RecordService, make: Make, database: Database
) -> None:
    # The searcher checks the year column anyway; this is what spares it reading every match.
    dated = {year: make("Ca dao", year=year) for year in (1995, 1996, 2001)}
    make("Ca dao", year=None)
    backend = backend_for(database.engine.dialect.name)
    for expr in (parse_keywords("ca dao"), parse_keywords("dao", field=SearchField.TITLE)):
        with database.reader() as session:
            ids = session.scalars(backend.matching(expr, years=(1995, 2001))).all()
        assert sorted(ids) == [dated[1995], dated[2001]]


def test_facets_and_total_count_the_whole_result(service: RecordService, make: Make) -> None:
    for year in (1991, 1995, 2003):
        make("Văn học Việt Nam", year=year)
    make("Văn học Pháp", year=2005, language="fre")
    make("Văn học", year=None, leader="00000nas a2200000 i 4500")
    page = service.search(SearchForm(q="van hoc").query(), limit=2, totals=True)
    assert page.total == 5
    assert page.total_exact
    assert len(page.items) == 2
    assert page.facets is not None
    assert [(f.value, f.count) for f in page.facets.language] == [("vie", 4), ("fre", 1)]
    assert [(f.value, f.count) for f in page.facets.decade] == [("1990", 2), ("2000", 2)]
    assert [(f.value, f.count) for f in page.facets.type] == [("book", 4), ("serial", 1)]
    assert [(f.value, f.count) for f in page.facets.status] == [("active", 5)]


def test_beyond_the_count_bound_the_total_is_a_flagged_lower_bound(
    database: Database, clock: SteppingClock
) -> None:
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=3, search_rank_window=2
    )
    ids = [service.create(mrk(f"Sách số {n}"), marc.Format.MRK).found.id for n in range(5)]
    page = service.search(SearchForm(q="sach").query(), limit=10, totals=True)
    assert page.total == 3
    assert not page.total_exact
    assert page.facets is not None
    assert page.facets.status[0].count == 3
    # Every match is still listed once: the ranked window, then the older ones.
    assert sorted(item.id for item in page.items) == ids


def test_totals_count_the_filtered_matches_when_the_newest_matches_are_filtered_out(
    database: Database, clock: SteppingClock
) -> None:
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=3, search_rank_window=2
    )
    french = [
        service.create(mrk(f"Sách {n}", language="fre"), marc.Format.MRK).found.id for n in range(5)
    ]
    for n in range(4):  # newer than every French one
        service.create(mrk(f"Sách mới {n}"), marc.Format.MRK)
    page = service.search(SearchForm(q="sach", language="fre").query(), limit=10, totals=True)
    assert (page.total, page.total_exact) == (3, False)
    assert page.facets is not None
    assert [(f.value, f.count) for f in page.facets.language] == [("fre", 3)]
    assert sorted(item.id for item in page.items) == french
    page = service.search(SearchForm(q="moi").query(), limit=10, totals=True)
    assert (page.total, page.total_exact) == (3, False)


def analyse(database: Database) -> None:
    """Give PostgreSQL's planner statistics of the index, which its estimates come from (see
    SearchBackend.estimate): without them it gives none, and the searcher takes its default
    path. SQLite's index needs none."""
    if database.engine.dialect.name == "postgresql":
        with database.writer.begin() as session:
            session.execute(text("ANALYZE record_search"))


# PostgreSQL's ways to the newest matches, chosen by the planner's statistics and the cost of a
# look-up in the index (app.search.postgres_fts.LOOKUP_COST): none (the planner chooses), the
# index always (and title matches checked among the counted ones), walking always.
WAYS = [(False, None), (True, 0.001), (True, 1000.0)]
WAY_IDS = ["no statistics", "looked up", "walked"]


@pytest.fixture(params=WAYS, ids=WAY_IDS)
def statistics(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, database: Database
) -> Callable[[], None]:
    """One of WAYS: what a test calls once its records are in (analyse them, or nothing)."""
    analysed, lookup_cost = request.param
    if lookup_cost is not None:
        monkeypatch.setattr("app.search.postgres_fts.LOOKUP_COST", lookup_cost)
    return (lambda: analyse(database)) if analysed else (lambda: None)


def test_relevance_pages_cover_every_match_once_while_records_are_added(
    database: Database,
    clock: SteppingClock,
    statistics: Callable[[], None],
) -> None:
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=100, search_rank_window=4
    )

    def add(title: str) -> int:
        return service.create(mrk(title), marc.Format.MRK).found.id

    ids = [add("Sách về thư viện" if n % 3 else "Thư viện") for n in range(11)]
    statistics()
    query = SearchForm(q="thu vien").query()
    seen: list[int] = []
    after = None
    added = None
    while True:
        page = service.search(query, limit=3, after=after)
        seen.extend(item.id for item in page.items)
        if added is None:
            added = add("Thư viện mới")  # arrives between the first and the second page
        if page.next_key is None:
            break
        after = page.next_key
    assert sorted(seen) == sorted(ids)  # none twice, none lost; the newcomer is past the edge
    first_four = sorted(ids, reverse=True)[:4]
    assert set(seen[:4]) == set(first_four)  # the ranked window comes first


@contextmanager
def numbered_from(database: Database, number: int) -> Iterator[None]:
    """New records numbered from `number` on while in it, then the sequence as it was: the
    test's records go with its transaction, and a sequence's position is not transactional."""
    with database.writer.begin() as session:
        sequence = session.scalar(text("SELECT pg_get_serial_sequence('record', 'id')"))
        last, called = session.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        session.execute(text("SELECT setval(:s, :n, false)"), {"s": sequence, "n": number})
    try:
        yield
    finally:
        with database.writer.begin() as session:
            session.execute(
                text("SELECT setval(:s, :n, :c)"), {"s": sequence, "n": last, "c": called}
            )


def test_postgresql_asks_the_parts_of_its_index_newest_first(
    database: Database, clock: SteppingClock, statistics: Callable[[], None]
) -> None:
    """PostgreSQL keeps its index in parts of PARTITION_WIDTH record numbers, each made when a
    record is first numbered into it, and the newest matches come from the newest part, then
    from the older ones, part by part or all at once, while more are wanted
    (app.search.postgres_fts, Searcher._newest)."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's index is one whole")
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=4, search_rank_window=2
    )

    def add(count: int) -> list[int]:
        return [service.create(mrk("Thư viện"), marc.Format.MRK).found.id for _ in range(count)]

    width = PARTITION_WIDTH
    with numbered_from(database, width - 2):
        ids = add(3)
    with numbered_from(database, 2 * width - 1):
        ids += add(3)
    assert ids == [width - 2, width - 1, width, 2 * width - 1, 2 * width, 2 * width + 1]
    with database.reader() as session:
        parts = session.execute(
            text("SELECT tableoid::regclass::text, count(*) FROM record_search GROUP BY 1")
        ).all()
    assert sorted(parts) == [("record_search_0", 2), ("record_search_1", 2), ("record_search_2", 2)]
    with database.reader() as session:
        made = session.execute(
            text(
                "SELECT attrelid::regclass::text, attstattarget FROM pg_attribute "
                "WHERE attname = 'terms' AND attrelid::regclass::text ~ '^record_search_[0-9]+$'"
            )
        ).all()
    # The parts made as records came keep statistics of as many terms as the first one.
    assert dict(made) == {
        "record_search_0": 1000,
        "record_search_1": 1000,
        "record_search_2": 1000,
    }
    statistics()
    query = SearchForm(q="thu vien").query()
    page = service.search(query, limit=2, totals=True)
    # The newest four counted, of the three parts: two, then two, then the one over the bound.
    assert (page.total, page.total_exact) == (4, False)
    seen = [item.id for item in page.items]
    while page.next_key is not None:
        page = service.search(query, limit=2, after=page.next_key)
        seen.extend(item.id for item in page.items)
    assert seen == sorted(ids, reverse=True)  # titles alike: newest first, across the parts
    with database.reader() as session:
        found = session.scalars(text("SELECT record_id FROM record_search_1 ORDER BY 1")).all()
    assert list(found) == ids[2:4]


def test_sorting_by_title_follows_vietnamese_alphabetical_order(
    service: RecordService, make: Make
) -> None:
    for title in ("Đà Lạt", "Da cam", "Ăn uống", "An toàn", "Bò sữa", "Ân tình", "Ơn nghĩa", "Ô"):
        make(title, note="chung")
    make("The Ao dai", nonfiling=4, note="chung")  # files under "Ao dai"
    # ă and â are letters of their own after a: every a-word files before the first ă-word.
    expected = ["An toàn", "The Ao dai", "Ăn uống", "Ân tình", "Bò sữa", "Da cam", "Đà Lạt", "Ô"]
    expected.append("Ơn nghĩa")
    assert titles(service, q="chung", sort=Sort.TITLE) == expected
    assert titles(service, q="chung", sort=Sort.TITLE_DESC) == expected[::-1]


def test_sorting_by_year_puts_records_without_one_last(service: RecordService, make: Make) -> None:
    undated = make("Sách A", year=None)
    old = make("Sách B", year=1960)
    new = make("Sách C", year=2020)
    assert find(service, q="sach", sort=Sort.YEAR) == [old, new, undated]
    assert find(service, q="sach", sort=Sort.YEAR_DESC) == [new, old, undated]


def test_sorted_pages_follow_the_cursor(service: RecordService, make: Make) -> None:
    ids = [make(f"Sách {n}", year=2000 + n % 3) for n in range(7)]
    for sort in (Sort.YEAR, Sort.YEAR_DESC, Sort.TITLE, Sort.UPDATED_DESC, Sort.RELEVANCE):
        seen: list[int] = []
        after = None
        while True:
            page = service.search(SearchForm(q="sach").query(), sort=sort, limit=2, after=after)
            seen.extend(item.id for item in page.items)
            if page.next_key is None:
                break
            after = page.next_key
        assert sorted(seen) == ids, sort


def test_a_cursor_of_another_sort_or_forged_is_refused(service: RecordService, make: Make) -> None:
    for n in range(3):
        make(f"Sách {n}")
    query = SearchForm(q="sach").query()
    page = service.search(query, sort=Sort.YEAR, limit=1)
    assert page.next_key is not None
    with pytest.raises(InvalidCursor):
        service.search(query, sort=Sort.TITLE, limit=1, after=page.next_key)
    for forged in (
        {"s": "year", "k": "x", "i": 1},
        {"s": "year", "k": 1, "i": 2**70},
        {"s": "relevance", "e": 0, "r": [1, 2]},
        {"s": "relevance", "e": "a"},
        {"s": "relevance", "e": 0},
        {"s": "title", "k": "zz", "i": 1},
        {"s": "updated", "k": "2026-01-01", "i": 1},
    ):
        sort = Sort(forged["s"])
        with pytest.raises(InvalidCursor):
            service.search(query, sort=sort, limit=1, after=forged)


def test_queries_with_nothing_to_find_are_refused(service: RecordService) -> None:
    for q in ("--", "-sach", "NOT sach", "&&"):
        with pytest.raises(EmptyQuery):
            service.search(SearchQuery(text=parse_keywords(q)), limit=1)


def test_the_index_follows_every_change_at_once(service: RecordService, make: Make) -> None:
    record_id = make("Tiểu thuyết lịch sử")
    assert find(service, q="tieu thuyet") == [record_id]
    service.replace(record_id, mrk("Truyện cổ tích"), marc.Format.MRK, expected_versions=None)
    assert find(service, q="tieu thuyet") == []
    assert find(service, q="co tich") == [record_id]
    service.delete(record_id, expected_versions=None)
    assert find(service, q="co tich") == []
    assert find(service, q="co tich", status=Status.DELETED) == [record_id]
    assert find(service, q="co tich", status=Status.ANY) == [record_id]


def test_reindex_rebuilds_a_lost_index(
    service: RecordService, make: Make, database: Database
) -> None:
    ids = [make("Thơ mới"), make("Thơ Đường")]
    with database.writer.begin() as session:  # as if the index were lost
        session.execute(text("DELETE FROM record_search"))
    assert find(service, q="tho") == []
    assert service.index_needs_rebuild()
    assert service.reindex(batch_size=1) == 2
    assert sorted(find(service, q="tho")) == ids
    assert not service.index_needs_rebuild()


def test_export_streams_exactly_the_result(service: RecordService, make: Make) -> None:
    wanted = [make(f"Ca dao {n}") for n in range(5)]
    make("Tục ngữ")
    query = SearchForm(q="ca dao").query()
    data = b"".join(service.export(query, marc.Format.MRC, batch_size=2))
    exported = [p.record for p in marc.read(io.BytesIO(data), marc.Format.MRC)]
    assert [int(r["001"].data) for r in exported] == wanted
    xml = b"".join(service.export(query, marc.Format.MARCXML, batch_size=2))
    assert xml.count(b"<record") == 5
    with pytest.raises(EmptyQuery):
        service.export(SearchQuery(text=parse_keywords("-x")), marc.Format.MRC)


def test_export_batches_hold_about_as_many_bytes_whatever_the_records(
    service: RecordService, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    short = [make(f"Ca dao {n}") for n in range(30)]
    long = [make(f"Ca dao dài {n}", extra="=520  \\\\$a" + "chữ " * 400) for n in range(6)]
    sizes = []
    rows_after = service._searcher.rows_after

    def counted(*args: Any, limit: int, **kwargs: Any) -> list[Any]:
        sizes.append(limit)
        return rows_after(*args, limit=limit, **kwargs)

    monkeypatch.setattr(service._searcher, "rows_after", counted)
    with service._db.reader() as session:
        stored = session.scalar(
            text("SELECT length(marc) FROM record WHERE id = :i"), {"i": short[0]}
        )
    # About five short records a batch: a long one is many times as long.
    monkeypatch.setattr("app.services.records.EXPORT_BATCH_BYTES", 5 * stored)
    monkeypatch.setattr("app.services.records.EXPORT_BATCH_RECORDS", (2, 50))
    data = b"".join(service.export(SearchForm(q="ca dao").query(), marc.Format.MRC))
    exported = [int(p.record["001"].data) for p in marc.read(io.BytesIO(data), marc.Format.MRC)]
    assert exported == short + long
    assert sizes[0] == 2  # the fewest, first
    assert all(4 <= size <= 6 for size in sizes[1:4])  # numbers of 001 vary in length
    assert 2 in sizes[-3:]  # among the long records: the fewest a batch
    assert len(sizes) <= 36 // 2 + 1


def test_exports_are_the_records_as_written_from_scratch(
    service: RecordService, database: Database, make: Make
) -> None:
    # Most records are sent from their stored forms without being decoded: the bytes must be
    # what writing the records gives, tombstones and records too long for ISO 2709 included.
    with (CORPUS / "iso2709" / "pymarc" / "test.dat").open("rb") as source:
        ids = [
            service.create(marc.write(item.record, marc.Format.MRC), marc.Format.MRC).found.id
            for item in marc.read(source, marc.Format.MRC)
        ]
    too_long = make("Một bản ghi dài", extra="=520  \\\\$a" + "chữ " * 3000)
    service.delete(ids[0], expected_versions=None)
    query = SearchForm(status="any").query()
    with database.reader() as session:
        stored = list(session.execute(text("SELECT marc_json FROM record ORDER BY id")).scalars())
    for fmt in (marc.Format.JSON, marc.Format.MARCXML, marc.Format.MRK):
        exported = b"".join(service.export(query, fmt, batch_size=4))
        records = [marc.from_stored_json(json_text) for json_text in stored]
        assert exported == b"".join(marc.write_collection(records, fmt)), fmt
    records_json = json.loads(b"".join(service.export(query, marc.Format.JSON)))
    assert len(records_json) == len(ids) + 1
    assert records_json[0]["leader"][5] == "d"
    # The JSON's lengths are the ISO 2709's, as write() counts them.
    iso = b"".join(service.export(query, marc.Format.MRC))
    pieces = marc.read_pieces(io.BytesIO(iso), marc.Format.MRC)
    lengths = [len(p.data) for p in pieces if isinstance(p, marc.RawRecord)]
    assert [int(r["leader"][:5]) for r in records_json[:-1]] == lengths
    assert len(lengths) == len(ids)  # the long one has no ISO 2709: it went the other way
    assert service.get(too_long).id == too_long


def test_a_listing_without_words_is_in_order_of_update(service: RecordService, make: Make) -> None:
    ids = [make("Một"), make("Hai"), make("Ba")]
    assert find(service) == ids
    assert find(service, sort=Sort.UPDATED_DESC) == ids[::-1]
    page = service.search(SearchQuery(), limit=2, sort=Sort.RELEVANCE)
    assert [item.id for item in page.items] == ids[:2]


def test_an_old_title_match_outranks_newer_note_matches_beyond_the_window(
    database: Database, clock: SteppingClock
) -> None:
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=100, search_rank_window=2
    )

    def add(title: str, note: str | None = None) -> int:
        return service.create(mrk(title, note=note), marc.Format.MRK).found.id

    in_title = add("Thư viện số")
    in_notes = [add(f"Sách {n}", note="Dùng trong thư viện") for n in range(6)]
    query = SearchForm(q="thu vien").query()
    seen: list[int] = []
    after = None
    while True:
        page = service.search(query, limit=2, after=after)
        seen.extend(item.id for item in page.items)
        if page.next_key is None:
            break
        after = page.next_key
    assert seen[0] == in_title
    assert sorted(seen) == sorted([in_title, *in_notes])


def test_a_title_match_past_the_newest_matches_but_counted_ranks_first(
    database: Database,
    clock: SteppingClock,
    statistics: Callable[[], None],
) -> None:
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=4, search_rank_window=2
    )

    def add(title: str, note: str | None = None) -> int:
        return service.create(mrk(title, note=note), marc.Format.MRK).found.id

    # More title matches than the count bound, most of them old: checking the counted ids is
    # then the quickest way to the title matches among them, where the index is unordered.
    old_titles = [add(f"Thư viện cũ {n}") for n in range(6)]
    for n in range(4):
        add(f"Sách cũ {n}", note="Dùng trong thư viện")
    counted_title = add("Thư viện số")  # the third newest match: counted, not in the window
    newest = [add(f"Sách {n}", note="Dùng trong thư viện") for n in range(2)]
    statistics()
    page = service.search(SearchForm(q="thu vien").query(), limit=3, totals=True)
    assert [item.id for item in page.items] == [counted_title, *reversed(newest)]
    rest = service.search(SearchForm(q="thu vien").query(), limit=20, after=page.next_key)
    assert set(old_titles) <= {item.id for item in rest.items}


def _every_page(service: RecordService, query: SearchQuery, *, totals: bool) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        page = service.search(query, limit=2, after=after, totals=totals and after is None)
        seen.extend(item.id for item in page.items)
        if page.next_key is None:
            return seen
        after = page.next_key


def test_title_matches_are_looked_for_among_the_newest_count_bound_matches(
    database: Database,
    clock: SteppingClock,
    statistics: Callable[[], None],
) -> None:
    """Where title matches are rare among many matches, looking for them further back than the
    count bound would read every match: an older title match then follows in the tail, and
    pages are the same with totals or without, whichever way PostgreSQL finds them."""
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=4, search_rank_window=2
    )

    def add(title: str, note: str | None = None) -> int:
        return service.create(mrk(title, note=note), marc.Format.MRK).found.id

    in_title = add("Thư viện số")
    in_notes = [add(f"Sách {n}", note="Dùng trong thư viện") for n in range(6)]
    recent_title = add("Thư viện mở")
    statistics()
    query = SearchForm(q="thu vien").query()
    with_totals, without = (_every_page(service, query, totals=totals) for totals in (True, False))
    assert with_totals == without
    assert with_totals[0] == recent_title  # a title match among the newest four
    assert with_totals[-1] == in_title  # beyond them: last, as the oldest match
    assert sorted(with_totals) == sorted([in_title, *in_notes, recent_title])


@pytest.mark.parametrize(
    "q",
    [
        "thu vien",
        "thư viện -số",
        '"thu vien"',
        "thu vi*",
        "số OR mở",
        "title:vien mo",
        '"dung trong thu vien"',  # a phrase the index alone does not decide
    ],
)
def test_the_first_page_ranks_the_same_title_matches_with_totals_or_without(
    database: Database, clock: SteppingClock, statistics: Callable[[], None], q: str
) -> None:
    """With totals, an engine may tell which counted matches have the words in their title
    (SearchBackend.also_matched) instead of searching titles on their own: the same pages."""
    service = RecordService(
        database, org_code=TEST_ORG, clock=clock, search_count_bound=4, search_rank_window=2
    )

    def add(title: str, note: str | None = None) -> int:
        return service.create(mrk(title, note=note), marc.Format.MRK).found.id

    add("Thư viện số")
    for n in range(3):
        add(f"Sách số {n}", note="Dùng trong thư viện mở")
    add("Thư viện mở")
    add("Sách", note="Thư viện")
    titled = add("Thư viện số hoá")  # the third newest: counted, past the window of two
    for n in range(2):
        add(f"Sách mở {n}", note="Dùng trong thư viện số")
    statistics()
    query = SearchForm(q=q).query()
    with_totals = _every_page(service, query, totals=True)
    assert with_totals == _every_page(service, query, totals=False)
    assert len(with_totals) == len(set(with_totals))
    if q in ("thu vien", '"thu vien"', "thu vi*"):
        assert with_totals[0] == titled


def test_the_estimate_of_matches_follows_the_statistics(
    service: RecordService, make: Make, database: Database
) -> None:
    for n in range(40):
        make("Rừng xanh" if n % 4 == 0 else f"Sách {n}")
    analyse(database)
    backend = backend_for(database.engine.dialect.name)
    with database.reader() as session:
        estimate = backend.estimate(session, parse_keywords("rung"))
    if database.engine.dialect.name == "sqlite":
        assert estimate is None  # FTS5 reads its matches newest first: no choice to make
        return
    assert estimate is not None
    assert estimate.records >= 40
    assert 1 <= estimate.matches <= 20  # ten records of forty


@pytest.mark.parametrize("q", ["a (b OR -c)", "title:(a OR -b) c", "-(a -b)", "a -(b OR -c)"])
def test_exclusions_that_no_engine_can_look_up_are_refused(service: RecordService, q: str) -> None:
    with pytest.raises(EmptyQuery):
        service.search(SearchQuery(text=parse_keywords(q)), limit=1, totals=True)


def test_a_doubled_exclusion_is_the_word(service: RecordService, make: Make) -> None:
    record_id = make("Ca dao tục ngữ")
    assert find(service, q="ca -(-dao)") == [record_id]


def test_the_rank_window_must_fit_in_the_count_bound() -> None:
    with pytest.raises(ValueError, match="RANK_WINDOW cannot exceed"):
        Settings(search_count_bound=1000, search_rank_window=2000)


def test_the_form_names_the_parameter_with_nothing_to_find() -> None:
    with pytest.raises(FormError) as refused:
        SearchForm(title="-sach", author="--").query()
    assert refused.value.parameter == "title"
    with pytest.raises(FormError) as refused:
        SearchForm(q="  ", publisher="NOT x").query()
    assert refused.value.parameter == "publisher"
    assert SearchForm(q="sach", title="-cu").query().text is not None
