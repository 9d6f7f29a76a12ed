"""CQL (Contextual Query Language, version 1.2) read into a syntax tree.

A recursive-descent parser over the grammar of the CQL specification:

    sortedQuery      ::= prefixAssignment sortedQuery | scopedClause ['sortby' sortSpec]
    cqlQuery         ::= prefixAssignment cqlQuery | scopedClause
    prefixAssignment ::= '>' prefix '=' uri | '>' uri
    scopedClause     ::= scopedClause booleanGroup searchClause | searchClause
    booleanGroup     ::= boolean [modifierList]          boolean ::= and | or | not | prox
    searchClause     ::= '(' cqlQuery ')' | index relation searchTerm | searchTerm
    relation         ::= comparitor [modifierList]
    comparitor       ::= '=' | '>' | '<' | '>=' | '<=' | '<>' | '==' | namedComparitor
    modifier         ::= '/' modifierName [comparitorSymbol modifierValue]
    sortSpec         ::= sortSpec singleSpec | singleSpec     singleSpec ::= index [modifierList]

Booleans all bind alike, left to right ("a or b and c" is "(a or b) and c"). Terms keep their
backslash escapes, so whoever interprets a term can tell a masking `*` from an escaped one.
What the indexes and relations mean is not this module's business: it only knows the language.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 32  # parentheses nested deeper than any real query; guards the recursion
MAX_CLAUSES = 100
BOOLEANS = frozenset({"and", "or", "not", "prox"})
SYMBOLS = ("<=", ">=", "<>", "==", "=", "<", ">")  # longest first
_SPECIAL = frozenset('()=<>"/')


class CqlSyntaxError(ValueError):
    """The text is not CQL; `position` is the offset (from 0) where reading stopped."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Modifier:
    """`/name` or `/name<comparison>value` after a relation, a boolean or a sort index."""

    name: str
    comparison: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """A relation as written ("=", "any", "cql.adj"), lower-cased, with its modifiers."""

    name: str
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchClause:
    """`index relation term`, or a bare term (index and relation None).

    `term` keeps the backslash escapes as written; `context_set` is the URI a prefix
    assignment in the query gave the index's prefix (or, for an unprefixed index, the default
    the query assigned), None when the query assigned none."""

    index: str | None
    relation: Relation | None
    term: str
    position: int
    context_set: str | None = None


@dataclass(frozen=True, slots=True)
class BooleanClause:
    """`left op right`; op is "and", "or", "not" or "prox", lower-cased."""

    op: str
    left: Node
    right: Node
    position: int
    modifiers: tuple[Modifier, ...] = ()


Node = SearchClause | BooleanClause


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key of `sortby`: an index with its modifiers (sort.descending, …)."""

    index: str
    modifiers: tuple[Modifier, ...]
    position: int


@dataclass(frozen=True, slots=True)
class CqlQuery:
    """A parsed query: the clause tree and the sort keys after `sortby`, in order."""

    root: Node
    sort: tuple[SortKey, ...] = ()


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "/", "symbol", "word" (charString1) or "quoted" (charString2)
    text: str  # a quoted string without its quotes, escapes kept
    position: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()/":
            found.append(_Token(char, char, i))
            i += 1
        elif char in "<>=":
            symbol = next(s for s in SYMBOLS if text.startswith(s, i))
            found.append(_Token("symbol", symbol, i))
            i += len(symbol)
        elif char == '"':
            start = i
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            if i >= len(text):
                raise CqlSyntaxError("a quoted term is not closed", start)
            found.append(_Token("quoted", text[start + 1 : i], start))
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in _SPECIAL:
                i += 2 if text[i] == "\\" and i + 1 < len(text) else 1
            found.append(_Token("word", text[start:i], start))
    return found


def _prefix_of(index: str) -> str | None:
    return index.split(".", 1)[0] if "." in index else None


class _Parser:
    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = _tokens(text)
        self._at = 0
        self._clauses = 0

    def _peek(self, ahead: int = 0) -> _Token | None:
        at = self._at + ahead
        return self._tokens[at] if at < len(self._tokens) else None

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise CqlSyntaxError("the query ends too early", len(self._text))
        self._at += 1
        return token

    def _term(self, what: str) -> _Token:
        token = self._peek()
        if token is None or token.kind not in ("word", "quoted"):
            position = token.position if token is not None else len(self._text)
            raise CqlSyntaxError(f"expected {what}", position)
        self._at += 1
        return token

    def query(self) -> CqlQuery:
        if not self._tokens:
            raise CqlSyntaxError("the query is empty", 0)
        root = self._cql_query({}, depth=0, top=True)
        sort: tuple[SortKey, ...] = ()
        token = self._peek()
        if token is not None and token.is_word("sortby"):
            self._at += 1
            sort = self._sort_spec()
        token = self._peek()
        if token is not None:
            if token.kind == ")":
                raise CqlSyntaxError("a closing parenthesis has no opening one", token.position)
            raise CqlSyntaxError(f"unexpected {token.text!r}", token.position)
        return CqlQuery(root=root, sort=sort)

    def _cql_query(self, prefixes: dict[str | None, str], *, depth: int, top: bool) -> Node:
        prefixes = dict(prefixes)
        while (token := self._peek()) is not None and token.kind == "symbol" and token.text == ">":
            self._at += 1
            first = self._term("a context set's prefix or URI after '>'")
            after = self._peek()
            if after is not None and after.kind == "symbol" and after.text == "=":
                self._at += 1
                uri = self._term("a context set URI")
                prefixes[first.text] = uri.text
            else:
                prefixes[None] = first.text
        return self._scoped_clause(prefixes, depth=depth, top=top)

    def _scoped_clause(self, prefixes: dict[str | None, str], *, depth: int, top: bool) -> Node:
        node = self._search_clause(prefixes, depth=depth)
        while (token := self._peek()) is not None:
            if token.kind == ")" or (top and token.is_word("sortby")):
                break
            if not token.is_word(*BOOLEANS):
                raise CqlSyntaxError(
                    f"expected and, or, not or prox before {token.text!r}", token.position
                )
            self._at += 1
            modifiers = self._modifiers()
            right = self._search_clause(prefixes, depth=depth)
            node = BooleanClause(token.text.lower(), node, right, token.position, modifiers)
        return node

    def _search_clause(self, prefixes: dict[str | None, str], *, depth: int) -> Node:
        token = self._peek()
        if token is not None and token.kind == "(":
            if depth >= MAX_DEPTH:
                raise CqlSyntaxError("parentheses are nested too deeply", token.position)
            self._at += 1
            inner = self._cql_query(prefixes, depth=depth + 1, top=False)
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise CqlSyntaxError(
                    "an opening parenthesis is not closed",
                    closing.position if closing is not None else len(self._text),
                )
            self._at += 1
            return inner
        self._clauses += 1
        if self._clauses > MAX_CLAUSES:
            raise CqlSyntaxError(
                f"more than {MAX_CLAUSES} search clauses",
                token.position if token is not None else 0,
            )
        if token is not None and token.is_word(*BOOLEANS, "sortby"):
            raise CqlSyntaxError(f"expected a search term before {token.text!r}", token.position)
        first = self._term("a search term")
        relation = self._relation()
        if relation is None:
            return SearchClause(None, None, first.text, first.position, prefixes.get(None))
        if first.kind == "quoted":
            raise CqlSyntaxError("an index name cannot be quoted", first.position)
        term = self._term("a search term after the relation")
        prefix = _prefix_of(first.text)
        return SearchClause(first.text, relation, term.text, first.position, prefixes.get(prefix))

    def _relation(self) -> Relation | None:
        token = self._peek()
        if token is None or token.kind in ("(", ")", "/"):
            return None
        if token.kind == "symbol":
            self._at += 1
            return Relation(token.text, self._modifiers())
        if token.kind == "word" and not token.is_word(*BOOLEANS, "sortby"):
            # A word after a term is a named relation ("any", "cql.adj"); a term must follow.
            after = self._peek(1)
            if after is None or after.kind == ")" or after.is_word(*BOOLEANS, "sortby"):
                raise CqlSyntaxError("two search terms in a row: quote them as one", token.position)
            self._at += 1
            return Relation(token.text.lower(), self._modifiers())
        if token.kind == "quoted":
            raise CqlSyntaxError("two search terms in a row: quote them as one", token.position)
        return None

    def _modifiers(self) -> tuple[Modifier, ...]:
        found: list[Modifier] = []
        while (token := self._peek()) is not None and token.kind == "/":
            self._at += 1
            name = self._term("a modifier name after '/'")
            after = self._peek()
            if after is not None and after.kind == "symbol":
                self._at += 1
                value = self._term(f"a value after {after.text!r}")
                found.append(Modifier(name.text.lower(), after.text, value.text))
            else:
                found.append(Modifier(name.text.lower()))
        return tuple(found)

    def _sort_spec(self) -> tuple[SortKey, ...]:
        keys: list[SortKey] = []
        while (token := self._peek()) is not None and token.kind in ("word", "quoted"):
            self._at += 1
            keys.append(SortKey(token.text, self._modifiers(), token.position))
        if not keys:
            token = self._peek()
            raise CqlSyntaxError(
                "expected an index after sortby",
                token.position if token is not None else len(self._text),
            )
        return tuple(keys)


def parse_cql(text: str) -> CqlQuery:
    """Parse a CQL query. Raises CqlSyntaxError with the offset where it stopped."""
    return _Parser(text).query()


def unescape(term: str) -> str:
    """A term with its backslash escapes resolved (for terms where masking means nothing)."""
    out: list[str] = []
    i = 0
    while i < len(term):
        if term[i] == "\\" and i + 1 < len(term):
            out.append(term[i + 1])
            i += 2
        else:
            out.append(term[i])
            i += 1
    return "".join(out)
