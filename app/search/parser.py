"""The keyword syntax librarians type into `?q=` (and the fielded `?title=`, `?author=`, ...).

    thư viện                 both words (AND is implied; `AND` may also be written)
    sử OR lịch               either word; NOT binds tightest, then AND, then OR
    NOT ebook, -ebook        not that word, phrase or group
    "thư viện", “thư viện”   a phrase (straight or curly quotes)
    viet*, "thư vi"*         right truncation of the word, or of a phrase's last word
    (a OR b) c               grouping
    title:word, author:"a phrase", subject:(a OR b)
                             restricted to a field (see SearchField); `Python:` stays a word

Only uppercase AND, OR and NOT are operators. Words are kept as typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from app.search.query import And, Expr, Not, Or, SearchField, Text

MAX_TEXTS = 64
MAX_DEPTH = 16

_QUOTES = frozenset('"“”')
_FIELDS = {field.value: field for field in SearchField}
_LONGEST_FIELD = max(len(name) for name in _FIELDS)
_TRUNCATION_ERROR = "* truncates only at the end of a word, after at least one character"


class QuerySyntaxError(ValueError):
    """A query the keyword syntax cannot read; `position` is the 0-based index of the culprit."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


def parse_keywords(q: str, *, field: SearchField | None = None) -> Expr:
    """The expression `q` asks for; `field` restricts every word not given a field in `q`.

    Raises QuerySyntaxError (and nothing else) for any query it cannot read."""
    expr = _Parser(q).parse()
    return expr if field is None else _with_field(expr, field)


class _Kind(Enum):
    WORD = "word"  # a word or a phrase
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    MINUS = "-"
    FIELD = "field:"
    OPEN = "("
    CLOSE = ")"
    END = "end"


_OPERATORS = {"AND": _Kind.AND, "OR": _Kind.OR, "NOT": _Kind.NOT}
_OPERAND_STARTS = frozenset({_Kind.WORD, _Kind.NOT, _Kind.MINUS, _Kind.FIELD, _Kind.OPEN})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    position: int
    words: tuple[str, ...] = ()
    prefix: bool = False
    field: SearchField | None = None


def _tokens(q: str) -> Iterator[_Token]:
    position = 0
    # Right after "-" or "field:" an operand must follow, so "-OR" and "title:NOT" are words.
    may_be_operator = True
    while True:
        while position < len(q) and q[position].isspace():
            position += 1
        if position == len(q):
            yield _Token(_Kind.END, position)
            return
        char = q[position]
        if char in "()":
            token = _Token(_Kind.OPEN if char == "(" else _Kind.CLOSE, position)
            position += 1
        elif char in _QUOTES:
            token, position = _phrase(q, position)
        elif char == "-" and q[position + 1 : position + 2] != "-":
            # "--" is punctuation (subject headings are pasted as "Việt Nam -- Lịch sử").
            _require_operand_at(q, position + 1, "- must be directly followed by", position)
            token = _Token(_Kind.MINUS, position)
            position += 1
        elif (field := _field_at(q, position)) is not None:
            after = position + len(field.value) + 1
            _require_operand_at(q, after, f"{field.value}: must be directly followed by", position)
            token = _Token(_Kind.FIELD, position, field=field)
            position = after
        else:
            token, position = _word(q, position, may_be_operator=may_be_operator)
        may_be_operator = token.kind not in (_Kind.MINUS, _Kind.FIELD)
        yield token


def _field_at(q: str, position: int) -> SearchField | None:
    colon = q.find(":", position, position + _LONGEST_FIELD + 1)
    name = q[position:colon]
    return _FIELDS.get(name.lower()) if colon != -1 and name.isascii() else None


def _require_operand_at(q: str, position: int, message: str, culprit: int) -> None:
    if position == len(q) or q[position].isspace() or q[position] == ")":
        raise QuerySyntaxError(f"{message} a word, phrase or group", culprit)


def _phrase(q: str, start: int) -> tuple[_Token, int]:
    end = start + 1
    while end < len(q) and q[end] not in _QUOTES:
        end += 1
    if end == len(q):
        raise QuerySyntaxError("unclosed quote", start)
    inside = q[start + 1 : end]
    if "*" in inside:
        raise QuerySyntaxError(_TRUNCATION_ERROR, start + 1 + inside.index("*"))
    words = tuple(inside.split())
    if not words:
        raise QuerySyntaxError("empty phrase", start)
    prefix = q[end + 1 : end + 2] == "*"
    return _Token(_Kind.WORD, start, words=words, prefix=prefix), end + (2 if prefix else 1)


def _word(q: str, start: int, *, may_be_operator: bool) -> tuple[_Token, int]:
    end = start
    while end < len(q) and not q[end].isspace() and q[end] not in "()":
        end += 1
    word = q[start:end]
    if may_be_operator and word in _OPERATORS:
        return _Token(_OPERATORS[word], start), end
    star = word.find("*")
    if star == -1:
        return _Token(_Kind.WORD, start, words=(word,)), end
    if star == 0 or star != len(word) - 1:
        raise QuerySyntaxError(_TRUNCATION_ERROR, start + star)
    return _Token(_Kind.WORD, start, words=(word[:-1],), prefix=True), end


class _Parser:
    """Recursive descent over: or := and (OR and)*; and := unary ([AND] unary)*;
    unary := (NOT | - | field:) unary | primary; primary := word | phrase | ( or )."""

    def __init__(self, q: str) -> None:
        self._tokens = _tokens(q)
        self._previous: _Token | None = None
        self._current = next(self._tokens)
        self._depth = 0
        self._texts = 0

    def parse(self) -> Expr:
        expr = self._or()
        if self._current.kind is _Kind.CLOSE:
            raise QuerySyntaxError("unmatched )", self._current.position)
        return expr

    def _advance(self) -> _Token:
        self._previous, self._current = self._current, next(self._tokens, self._current)
        return self._previous

    def _or(self) -> Expr:
        items = [self._and()]
        while self._current.kind is _Kind.OR:
            self._advance()
            items.append(self._and())
        return _joined(Or, items)

    def _and(self) -> Expr:
        items = [self._unary()]
        while self._current.kind in _OPERAND_STARTS or self._current.kind is _Kind.AND:
            if self._current.kind is _Kind.AND:
                self._advance()
            items.append(self._unary())
        return _joined(And, items)

    def _unary(self) -> Expr:
        if self._current.kind not in (_Kind.NOT, _Kind.MINUS, _Kind.FIELD):
            return self._primary()
        token = self._advance()
        self._enter(token)
        operand = self._unary()
        self._depth -= 1
        if token.field is not None:
            return _with_field(operand, token.field)
        return Not(operand)

    def _primary(self) -> Expr:
        token = self._current
        if token.kind is _Kind.WORD:
            self._texts += 1
            if self._texts > MAX_TEXTS:
                raise QuerySyntaxError(f"more than {MAX_TEXTS} words and phrases", token.position)
            self._advance()
            return Text(token.words, prefix=token.prefix)
        if token.kind is _Kind.OPEN:
            self._advance()
            self._enter(token)
            expr = self._or()
            self._depth -= 1
            if self._current.kind is not _Kind.CLOSE:
                raise QuerySyntaxError("unclosed (", token.position)
            self._advance()
            return expr
        raise self._missing_operand()

    def _enter(self, token: _Token) -> None:
        if self._depth == MAX_DEPTH:
            raise QuerySyntaxError(f"nested more than {MAX_DEPTH} levels deep", token.position)
        self._depth += 1

    def _missing_operand(self) -> QuerySyntaxError:
        # The tokenizer guarantees "-" and "field:" are followed by an operand, so only these
        # can come before the place where one is missing: nothing, "(", AND, OR or NOT.
        token, previous = self._current, self._previous
        if previous is not None and previous.kind in (_Kind.AND, _Kind.OR, _Kind.NOT):
            return QuerySyntaxError(f"nothing after {previous.kind.value}", previous.position)
        if token.kind in (_Kind.AND, _Kind.OR):
            return QuerySyntaxError(f"nothing before {token.kind.value}", token.position)
        if previous is None:
            if token.kind is _Kind.CLOSE:
                return QuerySyntaxError("unmatched )", token.position)
            return QuerySyntaxError("empty query", 0)
        if token.kind is _Kind.CLOSE:
            return QuerySyntaxError("empty ( )", previous.position)
        return QuerySyntaxError("unclosed (", previous.position)


def _joined(kind: type[And] | type[Or], items: list[Expr]) -> Expr:
    flat = tuple(
        part for item in items for part in (item.items if isinstance(item, kind) else (item,))
    )
    return flat[0] if len(flat) == 1 else kind(flat)


def _with_field(expr: Expr, field: SearchField) -> Expr:
    if isinstance(expr, Text):
        return expr if expr.field is not None else Text(expr.words, field, expr.prefix)
    if isinstance(expr, Not):
        return Not(_with_field(expr.item, field))
    return type(expr)(tuple(_with_field(item, field) for item in expr.items))
