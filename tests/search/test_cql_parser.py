"""The CQL parser against the grammar of CQL 1.2: what it builds, and where it says it stopped."""

import pytest

from app.search.cql import (
    BooleanClause,
    CqlSyntaxError,
    Modifier,
    Relation,
    SearchClause,
    SortKey,
    parse_cql,
    unescape,
)


def clause(query: str) -> SearchClause:
    root = parse_cql(query).root
    assert isinstance(root, SearchClause)
    return root


def test_a_bare_term_has_no_index_or_relation() -> None:
    assert clause("dinosaur") == SearchClause(None, None, "dinosaur", 0)
    assert clause('"thư viện"') == SearchClause(None, None, "thư viện", 0)


def test_index_relation_and_term_with_symbols_and_named_relations() -> None:
    assert clause('dc.title = "thư viện"') == SearchClause("dc.title", Relation("="), "thư viện", 0)
    assert clause("dc.title==x").relation == Relation("==")
    assert clause("dc.date>=2000").relation == Relation(">=")
    assert clause("dc.date <> 2000").relation == Relation("<>")
    assert clause("dc.title ANY fish").relation == Relation("any")
    assert clause("dc.title cql.adj fish").relation == Relation("cql.adj")


def test_relation_modifiers_with_and_without_values() -> None:
    found = clause("dc.title any/relevant/cql.locale=vi fish")
    assert found.relation == Relation(
        "any", (Modifier("relevant"), Modifier("cql.locale", "=", "vi"))
    )


def test_booleans_bind_alike_from_the_left() -> None:
    root = parse_cql("a or b and c").root
    assert isinstance(root, BooleanClause)
    assert root.op == "and"
    assert isinstance(root.left, BooleanClause)
    assert root.left.op == "or"
    assert root.right == SearchClause(None, None, "c", 11)


def test_parentheses_group_and_booleans_are_case_insensitive() -> None:
    root = parse_cql("a OR (b NOT c)").root
    assert isinstance(root, BooleanClause)
    assert root.op == "or"
    assert isinstance(root.right, BooleanClause)
    assert root.right.op == "not"


def test_proximity_parses_with_its_modifiers() -> None:
    root = parse_cql("ribs prox/distance<=5/unit=word chevrons").root
    assert isinstance(root, BooleanClause)
    assert root.op == "prox"
    assert root.modifiers == (Modifier("distance", "<=", "5"), Modifier("unit", "=", "word"))


def test_sortby_takes_indexes_with_modifiers() -> None:
    parsed = parse_cql("dinosaur sortBy dc.title/sort.descending dc.date")
    assert parsed.sort == (
        SortKey("dc.title", (Modifier("sort.descending"),), 16),
        SortKey("dc.date", (), 41),
    )


def test_prefix_assignments_resolve_prefixes_in_their_scope() -> None:
    found = clause('> dc = "info:srw/cql-context-set/1/dc-v1.1" dc.title any fish')
    assert found.context_set == "info:srw/cql-context-set/1/dc-v1.1"
    default = clause('> "http://example.org/set" title = fish')
    assert default.context_set == "http://example.org/set"
    root = parse_cql('(> x = "urn:one" x.title = a) and x.title = b').root
    assert isinstance(root, BooleanClause)
    assert isinstance(root.left, SearchClause)
    assert isinstance(root.right, SearchClause)
    assert root.left.context_set == "urn:one"
    assert root.right.context_set is None


def test_keywords_may_be_terms_after_a_relation() -> None:
    assert clause("dc.title = and").term == "and"
    assert clause('dc.title = "sortby"').term == "sortby"


def test_escapes_are_kept_in_terms_and_resolved_on_request() -> None:
    found = clause(r'dc.title = "say \"hi\" \*"')
    assert found.term == r"say \"hi\" \*"
    assert unescape(found.term) == 'say "hi" *'
    assert clause(r"fish\*").term == r"fish\*"


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "empty"),
        ("dc.title =", 10, "search term"),
        ("(a and b", 8, "not closed"),
        ("a and b)", 7, "closing parenthesis"),
        ("a and and b", 6, "search term"),
        ('"open', 0, "not closed"),
        ("thu vien", 4, "two search terms"),
        ('dc.title = "a" "b"', 15, "expected and"),
        ("a sortby", 8, "index after sortby"),
        ('"dc.title" = x', 0, "cannot be quoted"),
        ("dc.title =/ x", 13, "search term after the relation"),
        ("dc.title =/", 11, "modifier name"),
        ("a = b c", 6, "expected and"),
    ],
)
def test_syntax_errors_say_where(query: str, position: int, message: str) -> None:
    with pytest.raises(CqlSyntaxError) as raised:
        parse_cql(query)
    assert raised.value.position == position
    assert message in raised.value.message


def test_deep_nesting_and_huge_queries_are_refused_not_recursed() -> None:
    with pytest.raises(CqlSyntaxError, match="nested too deeply"):
        parse_cql("(" * 1000 + "a" + ")" * 1000)
    with pytest.raises(CqlSyntaxError, match="more than 100"):
        parse_cql(" or ".join(["a"] * 101))
