"""The keyword syntax of ?q=: the trees it builds, the errors it points at, and that nothing else
can escape it."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.parser import MAX_DEPTH, MAX_TEXTS, QuerySyntaxError, parse_keywords
from app.search.query import And, Expr, Not, Or, SearchField, Text

TITLE, AUTHOR, SUBJECT, PUBLISHER = (
    SearchField.TITLE,
    SearchField.AUTHOR,
    SearchField.SUBJECT,
    SearchField.PUBLISHER,
)


def w(*words: str, field: SearchField | None = None, prefix: bool = False) -> Text:
    return Text(words, field, prefix)


def all_of(*items: Expr) -> And:
    return And(items)


def any_of(*items: Expr) -> Or:
    return Or(items)


TREES = [
    # implicit and explicit AND
    ("a", w("a")),
    ("a b", all_of(w("a"), w("b"))),
    ("  a \t b\n c  ", all_of(w("a"), w("b"), w("c"))),
    ("a AND b", all_of(w("a"), w("b"))),
    ("a AND b c", all_of(w("a"), w("b"), w("c"))),
    # precedence: NOT > AND > OR
    ("a OR b", any_of(w("a"), w("b"))),
    ("a b OR c", any_of(all_of(w("a"), w("b")), w("c"))),
    ("a OR b c", any_of(w("a"), all_of(w("b"), w("c")))),
    ("a OR b OR c", any_of(w("a"), w("b"), w("c"))),
    ("a AND b OR c AND d", any_of(all_of(w("a"), w("b")), all_of(w("c"), w("d")))),
    ("NOT a b", all_of(Not(w("a")), w("b"))),
    ("a NOT b OR c", any_of(all_of(w("a"), Not(w("b"))), w("c"))),
    ("a AND NOT b", all_of(w("a"), Not(w("b")))),
    ("a OR NOT b", any_of(w("a"), Not(w("b")))),
    ("NOT NOT a", Not(Not(w("a")))),
    # lowercase operators are words (titles contain them)
    ("war and peace", all_of(w("war"), w("and"), w("peace"))),
    ("cats or dogs", all_of(w("cats"), w("or"), w("dogs"))),
    ("to be Or not", all_of(w("to"), w("be"), w("Or"), w("not"))),
    ("ORANGE ANDES NOTE", all_of(w("ORANGE"), w("ANDES"), w("NOTE"))),
    # minus
    ("a -b", all_of(w("a"), Not(w("b")))),
    ("-b a", all_of(Not(w("b")), w("a"))),
    ('-"thư viện"', Not(w("thư", "viện"))),
    ("-(a OR b) c", all_of(Not(any_of(w("a"), w("b"))), w("c"))),
    ("-OR", Not(w("OR"))),
    ("NOT -a", Not(Not(w("a")))),
    ("e-book 1-2 a-", all_of(w("e-book"), w("1-2"), w("a-"))),
    ("Việt Nam -- Lịch sử", all_of(w("Việt"), w("Nam"), w("--"), w("Lịch"), w("sử"))),
    ("--x", w("--x")),
    # phrases
    ('"thư viện"', w("thư", "viện")),
    ('"  a \t  b  "', w("a", "b")),
    ('"one"', w("one")),
    ('"Thư viện" Hà Nội', all_of(w("Thư", "viện"), w("Hà"), w("Nội"))),
    ("“Thư viện” quốc gia", all_of(w("Thư", "viện"), w("quốc"), w("gia"))),
    ('“a b" ”c d“', all_of(w("a", "b"), w("c", "d"))),
    ('"a OR (b)" c', all_of(w("a", "OR", "(b)"), w("c"))),
    ('"a"b', all_of(w("a"), w("b"))),
    ('don"t', w('don"t')),
    # truncation
    ("viet*", w("viet", prefix=True)),
    ("e-book*", w("e-book", prefix=True)),
    ('"thu vi"*', w("thu", "vi", prefix=True)),
    ("“thu vi”* nam", all_of(w("thu", "vi", prefix=True), w("nam"))),
    ("a* OR b*", any_of(w("a", prefix=True), w("b", prefix=True))),
    # fields
    ("title:war", w("war", field=TITLE)),
    ("Author:Tolstoy", w("Tolstoy", field=AUTHOR)),
    ('SUBJECT:"lịch sử"', w("lịch", "sử", field=SUBJECT)),
    ("publisher:kim*", w("kim", field=PUBLISHER, prefix=True)),
    ("title:(war OR peace)", any_of(w("war", field=TITLE), w("peace", field=TITLE))),
    ("title:(a author:b)", all_of(w("a", field=TITLE), w("b", field=AUTHOR))),
    ("-title:x y", all_of(Not(w("x", field=TITLE)), w("y"))),
    ("title:-x", Not(w("x", field=TITLE))),
    ("title:OR", w("OR", field=TITLE)),
    ("title:a:b", w("a:b", field=TITLE)),
    ("title:author:x", w("x", field=AUTHOR)),
    # a colon after anything else is part of the word
    ("Python: 10:30", all_of(w("Python:"), w("10:30"))),
    ("series:x notes:y", all_of(w("series:x"), w("notes:y"))),
    ("titles:x :x http://a.b", all_of(w("titles:x"), w(":x"), w("http://a.b"))),
    # groups and flattening
    ("(a)", w("a")),
    ("((a))", w("a")),
    ("(a b) (c d)", all_of(w("a"), w("b"), w("c"), w("d"))),
    ("a (b c) AND d", all_of(w("a"), w("b"), w("c"), w("d"))),
    ("(a OR b) OR (c OR d)", any_of(w("a"), w("b"), w("c"), w("d"))),
    ("a OR (b OR c)", any_of(w("a"), w("b"), w("c"))),
    ("(a OR b) (c OR d)", all_of(any_of(w("a"), w("b")), any_of(w("c"), w("d")))),
    ("(a b) OR c", any_of(all_of(w("a"), w("b")), w("c"))),
    ("(a (b OR (c d)))", all_of(w("a"), any_of(w("b"), all_of(w("c"), w("d"))))),
    ("f(x)", all_of(w("f"), w("x"))),
    # punctuation-only words are the backend's business
    ("& -- ?", all_of(w("&"), w("--"), w("?"))),
]


@pytest.mark.parametrize(("q", "expected"), TREES, ids=[q for q, _ in TREES])
def test_tree(q: str, expected: Expr) -> None:
    assert parse_keywords(q) == expected


def test_words_are_kept_as_typed_even_decomposed() -> None:
    decomposed = unicodedata.normalize("NFD", "Việt")
    assert parse_keywords(f"{decomposed} NAM") == all_of(w(decomposed), w("NAM"))
    assert parse_keywords(f"{decomposed} NAM") != all_of(w("Việt"), w("NAM"))


def test_field_argument_applies_to_words_without_a_field() -> None:
    assert parse_keywords("a author:b", field=TITLE) == all_of(
        w("a", field=TITLE), w("b", field=AUTHOR)
    )
    assert parse_keywords('"tô hoài"* OR -x', field=AUTHOR) == any_of(
        w("tô", "hoài", field=AUTHOR, prefix=True), Not(w("x", field=AUTHOR))
    )
    assert parse_keywords("a", field=None) == w("a")


def test_limit_on_words_and_phrases() -> None:
    words = [f"w{n}" for n in range(MAX_TEXTS)]
    assert parse_keywords(" ".join(words)) == And(tuple(w(word) for word in words))
    q = " ".join([*words, "over"])
    with pytest.raises(QuerySyntaxError) as error:
        parse_keywords(q)
    assert error.value.position == q.index("over")
    assert error.value.message == "more than 64 words and phrases"


def test_limit_on_nesting() -> None:
    assert parse_keywords("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) == w("a")
    with pytest.raises(QuerySyntaxError) as error:
        parse_keywords("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert error.value.position == MAX_DEPTH
    assert error.value.message == "nested more than 16 levels deep"
    with pytest.raises(QuerySyntaxError) as error:
        parse_keywords("x " + "NOT " * (MAX_DEPTH + 1) + "a")
    assert error.value.position == 2 + 4 * MAX_DEPTH


def test_a_huge_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse_keywords("-(" * 10_000 + "a")
    assert error.value.position == MAX_DEPTH


ERRORS = [
    ("", "empty query", 0),
    ("   \t", "empty query", 0),
    ('a "b c', "unclosed quote", 2),
    ("a “b c", "unclosed quote", 2),
    ('a "b" "c', "unclosed quote", 6),
    ('""', "empty phrase", 0),
    ('a "  " b', "empty phrase", 2),
    ("*", "* truncates only at the end of a word, after at least one character", 0),
    ("a *abc", "* truncates only at the end of a word, after at least one character", 2),
    ("a*b", "* truncates only at the end of a word, after at least one character", 1),
    ("ab**", "* truncates only at the end of a word, after at least one character", 2),
    ('x "a* b"', "* truncates only at the end of a word, after at least one character", 4),
    ('"a b"**', "* truncates only at the end of a word, after at least one character", 6),
    ("a - b", "- must be directly followed by a word, phrase or group", 2),
    ("a -", "- must be directly followed by a word, phrase or group", 2),
    ("(a -)", "- must be directly followed by a word, phrase or group", 3),
    ("OR a", "nothing before OR", 0),
    ("AND a", "nothing before AND", 0),
    ("(OR a)", "nothing before OR", 1),
    ("a OR", "nothing after OR", 2),
    ("a AND", "nothing after AND", 2),
    ("NOT", "nothing after NOT", 0),
    ("a NOT", "nothing after NOT", 2),
    ("a OR NOT", "nothing after NOT", 5),
    ("a OR OR b", "nothing after OR", 2),
    ("a AND OR b", "nothing after AND", 2),
    ("(a OR) b", "nothing after OR", 3),
    ("(a b", "unclosed (", 0),
    ("x (a (b) c", "unclosed (", 2),
    ("(", "unclosed (", 0),
    ("a)", "unmatched )", 1),
    (")", "unmatched )", 0),
    ("(a)) b", "unmatched )", 3),
    ("()", "empty ( )", 0),
    ("a ( ) b", "empty ( )", 2),
    ("title: war", "title: must be directly followed by a word, phrase or group", 0),
    ("x Author:", "author: must be directly followed by a word, phrase or group", 2),
    ("(title:)", "title: must be directly followed by a word, phrase or group", 1),
    ('title:"war', "unclosed quote", 6),
]


@pytest.mark.parametrize(("q", "message", "position"), ERRORS, ids=[q for q, _, _ in ERRORS])
def test_error(q: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse_keywords(q)
    assert (error.value.message, error.value.position) == (message, position)


def test_error_reads_as_a_sentence_and_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^unclosed quote \(at character 3\)$") as error:
        parse_keywords('a "b c')
    assert isinstance(error.value, QuerySyntaxError)


def test_the_leftmost_problem_is_reported() -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse_keywords('OR "unclosed')
    assert error.value.position == 0


VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯảãạấầẩẫậắằẳẵặẻẽẹếềểễệỉĩịỏõọốồổỗộớờởỡợủũụứừửữựỳỷỹỵ"
PIECES = [" ", "  ", "\t", "(", ")", '"', "“", "”", "*", "-", ":", "AND", "OR", "NOT", "and"]
PIECES += ["title:", "Author:", "subject:", "series:", "a", "b", "e-book", "10:30", "\u00a0"]
queries = st.text() | st.lists(
    st.sampled_from(PIECES) | st.text(st.sampled_from(VIETNAMESE), min_size=1, max_size=3),
    max_size=25,
).map("".join)


def texts(expr: Expr) -> list[Text]:
    if isinstance(expr, Text):
        return [expr]
    if isinstance(expr, Not):
        return texts(expr.item)
    return [text for item in expr.items for text in texts(item)]


def assert_well_formed(expr: Expr) -> None:
    if isinstance(expr, Not):
        assert_well_formed(expr.item)
    elif isinstance(expr, And | Or):
        assert len(expr.items) >= 2
        for item in expr.items:
            assert not isinstance(item, type(expr)), "nested And/Or of the same kind"
            assert_well_formed(item)
    else:
        assert isinstance(expr, Text)
        assert expr.words
        assert all(word and not any(char.isspace() for char in word) for word in expr.words)


def outcome(q: str) -> Expr | QuerySyntaxError:
    """The tree, or the syntax error; any other exception fails the test that asked."""
    try:
        return parse_keywords(q)
    except QuerySyntaxError as error:
        return error


@settings(max_examples=500)
@given(q=queries)
def test_any_query_gives_a_tree_or_a_syntax_error_inside_the_query(q: str) -> None:
    result = outcome(q)
    if isinstance(result, QuerySyntaxError):
        assert 0 <= result.position <= len(q)
        assert result.message
    else:
        assert_well_formed(result)
        assert 1 <= len(texts(result)) <= MAX_TEXTS


@settings(max_examples=500)
@given(q=queries)
def test_every_word_in_the_tree_was_typed(q: str) -> None:
    try:
        expr = parse_keywords(q)
    except QuerySyntaxError:
        return
    for text in texts(expr):
        for word in text.words:
            assert word in q


@given(q=queries)
def test_the_field_argument_leaves_no_word_without_a_field(q: str) -> None:
    try:
        plain = parse_keywords(q)
    except QuerySyntaxError:
        return
    fielded = parse_keywords(q, field=SUBJECT)
    assert all(text.field is not None for text in texts(fielded))
    assert [text.words for text in texts(fielded)] == [text.words for text in texts(plain)]
