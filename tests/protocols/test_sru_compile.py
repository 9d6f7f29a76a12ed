"""CQL compiled into the search model, and the SRU diagnostic for each thing it cannot say."""

from datetime import UTC, datetime

import pytest

from app.protocols.sru.compile import compile_cql
from app.protocols.sru.diagnostics import Code, Diagnostic
from app.protocols.sru.indexes import INDEXES, find_index
from app.search.query import And, Filters, Not, Or, SearchField, SearchQuery, Text
from app.search.searcher import Sort

TITLE = SearchField.TITLE


def query(cql: str) -> SearchQuery:
    compiled = compile_cql(cql)
    assert compiled.query is not None
    return compiled.query


def diagnostic(cql: str) -> Diagnostic:
    with pytest.raises(Diagnostic) as raised:
        compile_cql(cql)
    return raised.value


def test_word_relations_map_onto_the_keyword_model() -> None:
    assert query('dc.title = "thư viện"').text == And(
        (Text(("thư",), TITLE), Text(("viện",), TITLE))
    )
    assert query('dc.title all "thư viện"').text == query('dc.title = "thư viện"').text
    assert query('dc.title any "thư viện"').text == Or(
        (Text(("thư",), TITLE), Text(("viện",), TITLE))
    )
    phrase = Text(("thư", "viện"), TITLE)
    assert query('dc.title adj "thư viện"').text == phrase
    assert query('dc.title == "thư viện"').text == phrase
    assert query('dc.title exact "thư viện"').text == phrase


def test_indexes_choose_the_part_of_the_record() -> None:
    assert query("cql.serverChoice = kiều").text == Text(("kiều",))
    assert query("kiều").text == Text(("kiều",))
    assert query("cql.anywhere = kiều").text == Text(("kiều",))
    assert query("dc.creator = du").text == Text(("du",), SearchField.AUTHOR)
    assert query("bath.name = du").text == Text(("du",), SearchField.AUTHOR)
    assert query("dc.subject = du").text == Text(("du",), SearchField.SUBJECT)
    assert query("bath.subject = du").text == Text(("du",), SearchField.SUBJECT)
    assert query("dc.publisher = trẻ").text == Text(("trẻ",), SearchField.PUBLISHER)
    # Names are case-insensitive, and an unprefixed name is looked up in the known sets.
    assert query("DC.TITLE = x").text == Text(("x",), TITLE)
    assert query("title = x").text == Text(("x",), TITLE)


def test_right_truncation_marks_the_word() -> None:
    assert query("dc.title = thư*").text == Text(("thư",), TITLE, prefix=True)
    assert query('dc.title adj "nghề thư*"').text == Text(("nghề", "thư"), TITLE, prefix=True)
    assert query(r"dc.title = thư\*").text == Text(("thư*",), TITLE)


def test_booleans_and_not() -> None:
    assert query("a and b").text == And((Text(("a",)), Text(("b",))))
    assert query("a or b").text == Or((Text(("a",)), Text(("b",))))
    assert query("a not b").text == And((Text(("a",)), Not(Text(("b",)))))


def test_standard_numbers_dates_and_record_numbers_become_filters() -> None:
    found = query("bath.isbn = 0-306-40615-2 and dc.date >= 1990 and dc.date < 2000")
    assert found.text is None
    assert found.filters == Filters(isbn="9780306406157", year_from=1990, year_to=1999)
    assert query("bath.issn = 0028-0836").filters.issn == "0028-0836"
    assert query("dc.identifier = 9780306406157").filters.isbn == "9780306406157"
    assert query("dc.identifier = 0028-0836").filters.issn == "0028-0836"
    assert query("rec.id = 42").filters.control_number == "42"
    assert query("dc.date = 2020").filters == Filters(year_from=2020, year_to=2020)
    assert query('dc.date within "1990 1999"').filters == Filters(year_from=1990, year_to=1999)
    assert query("kiều and dc.date > 2000").filters == Filters(year_from=2001)


def test_modification_dates_at_every_granularity() -> None:
    day = query("rec.lastModificationDate = 2026-11-25").filters
    assert day.updated_since == datetime(2026, 11, 25, tzinfo=UTC)
    assert day.updated_before == datetime(2026, 11, 26, tzinfo=UTC)
    later = query("rec.lastModificationDate > 2026-11-25T08:00:00Z").filters
    assert later.updated_since == datetime(2026, 11, 25, 8, 0, 1, tzinfo=UTC)
    month = query("rec.lastModificationDate <= 2026-12").filters
    assert month.updated_before == datetime(2027, 1, 1, tzinfo=UTC)
    zoned = query("rec.lastModificationDate >= 2026-11-25T08:00:00+07:00").filters
    assert zoned.updated_since == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def test_contradictory_filters_match_nothing_without_asking_the_database() -> None:
    assert compile_cql("bath.isbn = 9780306406157 and bath.isbn = 9786041234567").query is None
    assert compile_cql("dc.date > 2000 and dc.date < 1990").query is None


def test_all_records_and_sorting() -> None:
    assert query("cql.allRecords = 1") == SearchQuery()
    assert compile_cql("a sortby dc.title").sort is Sort.TITLE
    assert compile_cql("a sortby dc.date/sort.descending").sort is Sort.YEAR_DESC
    assert compile_cql("a sortby rec.lastModificationDate").sort is Sort.UPDATED
    assert compile_cql("a").sort is None


@pytest.mark.parametrize(
    ("cql", "code", "details"),
    [
        ("dc.title = ", Code.QUERY_SYNTAX_ERROR, "11"),
        ("(a", Code.QUERY_SYNTAX_ERROR, "2"),
        ("dc.nonsense = x", Code.UNSUPPORTED_INDEX, "dc.nonsense"),
        ("foo.title = x", Code.UNSUPPORTED_CONTEXT_SET, "foo"),
        ('> x = "urn:unknown" x.title = a', Code.UNSUPPORTED_CONTEXT_SET, "urn:unknown"),
        ("dc.title foo x", Code.UNSUPPORTED_RELATION, "foo"),
        ("dc.title < x", Code.UNSUPPORTED_RELATION_FOR_INDEX, "dc.title <"),
        ("dc.date any 2000", Code.UNSUPPORTED_RELATION_FOR_INDEX, "dc.date any"),
        ("dc.title =/fuzzy x", Code.UNSUPPORTED_RELATION_MODIFIER, "fuzzy"),
        ("a prox b", Code.PROXIMITY_NOT_SUPPORTED, "prox"),
        ("a and/cql.rel=1 b", Code.UNSUPPORTED_BOOLEAN_MODIFIER, "cql.rel=1"),
        ('dc.title = ""', Code.EMPTY_TERM, None),
        ("dc.title = th?", Code.MASKING_NOT_SUPPORTED, "?"),
        ("dc.title = *thu", Code.MASKING_NOT_SUPPORTED, "*"),
        ("dc.title = t*hu", Code.MASKING_NOT_SUPPORTED, "*"),
        ("dc.title = ^thu", Code.ANCHORING_NOT_SUPPORTED, "^"),
        ("bath.isbn = 123", Code.TERM_INVALID_FOR_INDEX, "123"),
        ("bath.isbn = 978*", Code.MASKING_NOT_SUPPORTED, "*"),
        ("dc.date = 20th", Code.TERM_INVALID_FOR_INDEX, "20th"),
        ("a or dc.date = 2000", Code.UNSUPPORTED_INDEX_COMBINATION, "dc.date"),
        ("a not bath.isbn = 9780306406157", Code.UNSUPPORTED_INDEX_COMBINATION, "bath.isbn"),
        ('dc.title = "--"', Code.EMPTY_TERM, None),
        ("a sortby dc.creator", Code.UNSUPPORTED_INDEX, "dc.creator"),
        ("a sortby dc.title dc.date", Code.TOO_MANY_SORT_KEYS, "1"),
        ("x" * 4001, Code.TOO_MANY_CHARACTERS_IN_QUERY, "4000"),
    ],
)
def test_what_cannot_be_searched_gets_the_standard_diagnostic(
    cql: str, code: Code, details: str | None
) -> None:
    found = diagnostic(cql)
    assert found.code is code
    assert found.details == details
    assert found.uri == f"info:srw/diagnostic/1/{int(code)}"


def test_only_exclusions_is_refused() -> None:
    assert diagnostic("cql.allRecords = 1 not a").code is Code.UNSUPPORTED_INDEX_COMBINATION


def test_every_index_is_found_by_its_qualified_name_and_has_a_distinct_bib1() -> None:
    for index in INDEXES:
        assert find_index(index.qualified) is index
    bib1 = [index.bib1 for index in INDEXES if index.bib1 is not None]
    assert len(bib1) == len(set(bib1))
    wanted = {"dc.title": 4, "dc.creator": 1003, "dc.subject": 21, "bath.isbn": 7}
    wanted |= {"bath.issn": 8, "cql.anywhere": 1016, "dc.date": 31}
    assert {i.qualified: i.bib1 for i in INDEXES if i.qualified in wanted} == wanted
