"""CQL compiled into the search query model, so SRU finds what the JSON search finds.

Relations on word indexes: `=` and `all` need every word (as the keyword search does), `any`
one of them, `adj`, `==` and `exact` the words together in that order (a phrase). A `*` at the
end of a word truncates it. Standard numbers, dates and record numbers become filters; as
filters apply to the whole query, those indexes combine with the rest by `and` only.
Anything the model cannot say is answered with the SRU diagnostic that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app import marc
from app.protocols.sru.diagnostics import Code, Diagnostic
from app.protocols.sru.indexes import (
    CONTEXT_SETS,
    CqlIndex,
    IndexKind,
    context_set_of,
    find_index,
)
from app.search.cql import (
    CqlSyntaxError,
    Modifier,
    Node,
    SearchClause,
    SortKey,
    parse_cql,
    unescape,
)
from app.search.query import And, Expr, Filters, Not, Or, SearchQuery, Text, has_positive
from app.search.searcher import Sort
from app.search.words import prune

MAX_QUERY_CHARS = 4000
# Relations CQL defines; any other name is an unknown relation (19), these an unsupported
# combination with the index (22) where they do not apply.
_CQL_RELATIONS = frozenset(
    {"=", "==", "<>", "<", ">", "<=", ">=", "adj", "all", "any", "within", "encloses", "exact"}
)
_WORD_RELATIONS = frozenset({"=", "all", "any", "adj", "==", "exact"})
_EQUALITY = frozenset({"=", "==", "exact"})
# Relation modifiers that ask for what the search does anyway.
_HARMLESS_MODIFIERS = frozenset({"relevant", "ignorecase", "ignoreaccents", "word"})
_SORT_INDEXES: dict[str, tuple[Sort, Sort]] = {
    "dc.title": (Sort.TITLE, Sort.TITLE_DESC),
    "dc.date": (Sort.YEAR, Sort.YEAR_DESC),
    "rec.lastmodificationdate": (Sort.UPDATED, Sort.UPDATED_DESC),
}
_MODIFIED = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A CQL query as the searcher takes it; `query` None means no record can match."""

    query: SearchQuery | None
    sort: Sort | None = None


@dataclass(frozen=True, slots=True)
class _Part:
    expr: Expr | None
    constraints: tuple[tuple[str, Any], ...] = ()
    indexes: tuple[str, ...] = ()  # names of the filter indexes in it, for diagnostics
    everything: bool = False  # cql.allRecords


def compile_cql(text: str) -> CompiledQuery:
    """Compile a CQL query. Raises Diagnostic for what CQL allows and this server does not."""
    if len(text) > MAX_QUERY_CHARS:
        raise Diagnostic(Code.TOO_MANY_CHARACTERS_IN_QUERY, str(MAX_QUERY_CHARS))
    try:
        parsed = parse_cql(text)
    except CqlSyntaxError as error:
        raise Diagnostic(Code.QUERY_SYNTAX_ERROR, str(error.position), str(error)) from error
    part = _compile(parsed.root)
    sort = _sort(parsed.sort)
    expr = None
    if part.expr is not None:
        expr = prune(part.expr)
        if expr is None:
            raise Diagnostic(Code.EMPTY_TERM, None, "the query has no letter or digit to look for")
        if not has_positive(expr):
            raise Diagnostic(
                Code.QUERY_FEATURE_UNSUPPORTED,
                "not",
                "the query only excludes; say what to look for as well",
            )
    filters = _filters(part.constraints)
    if filters is None:
        return CompiledQuery(None, sort)
    return CompiledQuery(SearchQuery(text=expr, filters=filters), sort)


def _compile(node: Node) -> _Part:
    if isinstance(node, SearchClause):
        return _clause(node)
    if node.op == "prox":
        raise Diagnostic(Code.PROXIMITY_NOT_SUPPORTED, "prox")
    if node.modifiers:
        raise Diagnostic(Code.UNSUPPORTED_BOOLEAN_MODIFIER, _modifier_text(node.modifiers[0]))
    left, right = _compile(node.left), _compile(node.right)
    if node.op == "and":
        both = tuple(part.expr for part in (left, right) if part.expr is not None)
        return _Part(
            expr=None if not both else both[0] if len(both) == 1 else And(both),
            constraints=left.constraints + right.constraints,
            indexes=left.indexes + right.indexes,
            everything=left.everything or right.everything,
        )
    exprs: list[Expr] = []
    for part in (left, right):
        if part.constraints or part.everything or part.expr is None:
            named = " ".join(part.indexes) or "cql.allRecords"
            raise Diagnostic(
                Code.UNSUPPORTED_INDEX_COMBINATION,
                named,
                f"{named} can only be combined with 'and', not with '{node.op}'",
            )
        exprs.append(part.expr)
    if node.op == "or":
        return _Part(Or((exprs[0], exprs[1])))
    return _Part(And((exprs[0], Not(exprs[1]))))


def _index_of(clause: SearchClause) -> CqlIndex:
    name = clause.index or "cql.serverChoice"
    if clause.context_set is not None and context_set_of(clause.context_set) is None:
        raise Diagnostic(Code.UNSUPPORTED_CONTEXT_SET, clause.context_set)
    index = find_index(name, context_set_uri=clause.context_set)
    if index is not None:
        return index
    prefix, dot, _ = name.partition(".")
    if dot and clause.context_set is None and prefix.lower() not in CONTEXT_SETS:
        raise Diagnostic(Code.UNSUPPORTED_CONTEXT_SET, prefix)
    raise Diagnostic(Code.UNSUPPORTED_INDEX, name)


def _relation_name(clause: SearchClause) -> str:
    if clause.relation is None:
        return "="
    name = clause.relation.name
    return name[4:] if name.startswith("cql.") else name


def _check_modifiers(clause: SearchClause) -> None:
    for modifier in clause.relation.modifiers if clause.relation else ():
        name = modifier.name.removeprefix("cql.")
        if name not in _HARMLESS_MODIFIERS or modifier.comparison is not None:
            raise Diagnostic(Code.UNSUPPORTED_RELATION_MODIFIER, _modifier_text(modifier))


def _modifier_text(modifier: Modifier) -> str:
    if modifier.comparison is None:
        return modifier.name
    return f"{modifier.name}{modifier.comparison}{modifier.value}"


def _clause(clause: SearchClause) -> _Part:
    index = _index_of(clause)
    relation = _relation_name(clause)
    if relation not in _CQL_RELATIONS:
        raise Diagnostic(Code.UNSUPPORTED_RELATION, relation)
    _check_modifiers(clause)
    if index.kind is IndexKind.WORDS:
        return _Part(_words(clause, index, relation))
    if index.kind is IndexKind.ALL_RECORDS:
        if relation != "=":
            raise _relation_for_index(index, relation)
        return _Part(None, everything=True, indexes=(index.qualified,))
    constraints = _filter_constraints(clause, index, relation)
    return _Part(None, constraints, (index.qualified,))


def _relation_for_index(index: CqlIndex, relation: str) -> Diagnostic:
    return Diagnostic(
        Code.UNSUPPORTED_RELATION_FOR_INDEX,
        f"{index.qualified} {relation}",
        f"{index.qualified} cannot be searched with {relation!r}",
    )


def _masked_words(raw: str) -> list[tuple[str, bool]]:
    """The words of a term as (word, truncated); raises for masking this server cannot do."""
    words: list[tuple[str, bool]] = []
    current: list[str] = []
    truncated = False
    i = 0
    while i <= len(raw):
        char = raw[i] if i < len(raw) else " "
        if char == "\\" and i + 1 < len(raw):
            if truncated:
                raise _masking_position()
            current.append(raw[i + 1])
            i += 2
            continue
        if char.isspace():
            if current:
                words.append(("".join(current), truncated))
            elif truncated:
                raise Diagnostic(Code.MASKING_NOT_SUPPORTED, "*", "a '*' needs a word before it")
            current, truncated = [], False
        elif char == "*":
            if truncated:
                raise _masking_position()
            truncated = True
        elif char == "?":
            raise Diagnostic(
                Code.MASKING_NOT_SUPPORTED, "?", "'?' (one character) is not supported; use '*'"
            )
        elif char == "^":
            raise Diagnostic(Code.ANCHORING_NOT_SUPPORTED, "^")
        else:
            if truncated:
                raise _masking_position()
            current.append(char)
        i += 1
    return words


def _masking_position() -> Diagnostic:
    return Diagnostic(Code.MASKING_NOT_SUPPORTED, "*", "'*' is supported only at the end of a word")


def _words(clause: SearchClause, index: CqlIndex, relation: str) -> Expr:
    if relation not in _WORD_RELATIONS:
        raise _relation_for_index(index, relation)
    words = _masked_words(clause.term)
    if not words:
        raise Diagnostic(Code.EMPTY_TERM, None, f"{index.qualified} needs a word to look for")
    field = index.field
    if relation in ("adj", "==", "exact"):
        if any(truncated for _, truncated in words[:-1]):
            raise Diagnostic(
                Code.MASKING_NOT_SUPPORTED,
                "*",
                "in a phrase, '*' is supported only at the end of its last word",
            )
        return Text(tuple(word for word, _ in words), field, prefix=words[-1][1])
    texts = tuple(Text((word,), field, prefix=truncated) for word, truncated in words)
    if len(texts) == 1:
        return texts[0]
    return Or(texts) if relation == "any" else And(texts)


def _plain_term(clause: SearchClause, index: CqlIndex) -> str:
    i = 0
    while i < len(clause.term):
        if clause.term[i] == "\\":
            i += 2
            continue
        if clause.term[i] in "*?":
            raise Diagnostic(
                Code.MASKING_NOT_SUPPORTED, clause.term[i], f"{index.qualified} takes no masking"
            )
        i += 1
    term = unescape(clause.term).strip()
    if not term:
        raise Diagnostic(Code.EMPTY_TERM, None, f"{index.qualified} needs a value")
    return term


def _invalid(index: CqlIndex, term: str, expected: str) -> Diagnostic:
    return Diagnostic(
        Code.TERM_INVALID_FOR_INDEX, term, f"{term!r} is not {expected} for {index.qualified}"
    )


def _filter_constraints(
    clause: SearchClause, index: CqlIndex, relation: str
) -> tuple[tuple[str, Any], ...]:
    term = _plain_term(clause, index)
    if index.kind is IndexKind.YEAR:
        return _year(index, relation, term)
    if index.kind is IndexKind.MODIFIED:
        return _modified(index, relation, term)
    if relation not in _EQUALITY and relation not in ("any", "all", "adj"):
        raise _relation_for_index(index, relation)
    if index.kind is IndexKind.ISBN:
        isbn = marc.normalize_isbn(term)
        if isbn is None:
            raise _invalid(index, term, "an ISBN")
        return (("isbn", isbn),)
    if index.kind is IndexKind.ISSN:
        issn = marc.normalize_issn(term)
        if issn is None:
            raise _invalid(index, term, "an ISSN")
        return (("issn", issn),)
    if index.kind is IndexKind.IDENTIFIER:
        for scheme, normalize in (
            ("isbn", marc.normalize_isbn),
            ("issn", marc.normalize_issn),
            ("lccn", marc.normalize_lccn),
        ):
            if (value := normalize(term)) is not None:
                return ((scheme, value),)
    return (("control_number", term),)


def _year(index: CqlIndex, relation: str, term: str) -> tuple[tuple[str, Any], ...]:
    def year_of(text: str) -> int:
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
            raise _invalid(index, term, "a year (YYYY) or date (YYYY-MM-DD)")
        return int(text[:4])

    if relation == "within":
        bounds = term.split()
        if len(bounds) != 2:
            raise _invalid(index, term, "two years ('1990 1999')")
        return (("year_from", year_of(bounds[0])), ("year_to", year_of(bounds[1])))
    year = year_of(term)
    ranges: dict[str, tuple[tuple[str, Any], ...]] = {
        "=": (("year_from", year), ("year_to", year)),
        "<": (("year_to", year - 1),),
        "<=": (("year_to", year),),
        ">": (("year_from", year + 1),),
        ">=": (("year_from", year),),
    }
    ranges["=="] = ranges["exact"] = ranges["="]
    if relation not in ranges:
        raise _relation_for_index(index, relation)
    return ranges[relation]


def _moment(index: CqlIndex, term: str) -> tuple[datetime, timedelta | None, int]:
    """A time and the length of the period it names (a year, month, day or second)."""
    match = _MODIFIED.match(term)
    if match is None:
        raise _invalid(index, term, "a date (YYYY-MM-DD) or time (YYYY-MM-DDThh:mm:ssZ)")
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError:
        raise _invalid(index, term, "a real date") from None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    if hour is not None:
        return moment, timedelta(seconds=1) if second else timedelta(minutes=1), 0
    if day is not None:
        return moment, timedelta(days=1), 0
    # A month or a year: the period's end is the start of the next one.
    months = 1 if month is not None else 12
    return moment, None, months


def _after_period(moment: datetime, step: timedelta | None, months: int) -> datetime:
    if step is not None:
        return moment + step
    total = moment.month - 1 + months
    return moment.replace(year=moment.year + total // 12, month=total % 12 + 1)


def _modified(index: CqlIndex, relation: str, term: str) -> tuple[tuple[str, Any], ...]:
    if relation == "within":
        bounds = term.split()
        if len(bounds) != 2:
            raise _invalid(index, term, "two dates ('2026-01-01 2026-06-30')")
        start, _, _ = _moment(index, bounds[0])
        end = _after_period(*_moment(index, bounds[1]))
        return (("since", start), ("before", end))
    moment, step, months = _moment(index, term)
    end = _after_period(moment, step, months)
    ranges: dict[str, tuple[tuple[str, Any], ...]] = {
        "=": (("since", moment), ("before", end)),
        "<": (("before", moment),),
        "<=": (("before", end),),
        ">": (("since", end),),
        ">=": (("since", moment),),
    }
    ranges["=="] = ranges["exact"] = ranges["="]
    if relation not in ranges:
        raise _relation_for_index(index, relation)
    return ranges[relation]


def _filters(constraints: tuple[tuple[str, Any], ...]) -> Filters | None:
    """Filters meeting every constraint, or None when no record can meet them all."""
    values: dict[str, Any] = {}
    for name, value in constraints:
        if name not in values:
            values[name] = value
        elif name in ("year_from", "since"):
            values[name] = max(values[name], value)
        elif name in ("year_to", "before"):
            values[name] = min(values[name], value)
        elif values[name] != value:
            return None  # two different ISBNs (or record numbers) for one record
    year_from, year_to = values.get("year_from"), values.get("year_to")
    if year_from is not None and year_to is not None and year_from > year_to:
        return None
    since, before = values.get("since"), values.get("before")
    if since is not None and before is not None and since >= before:
        return None
    return Filters(
        isbn=values.get("isbn"),
        issn=values.get("issn"),
        lccn=values.get("lccn"),
        control_number=values.get("control_number"),
        year_from=year_from,
        year_to=year_to,
        updated_since=since,
        updated_before=before,
    )


def _sort(keys: tuple[SortKey, ...]) -> Sort | None:
    if not keys:
        return None
    if len(keys) > 1:
        raise Diagnostic(Code.TOO_MANY_SORT_KEYS, "1", "sort by one index only")
    key = keys[0]
    index = find_index(key.index)
    orders = _SORT_INDEXES.get(index.qualified.lower()) if index is not None else None
    if orders is None:
        raise Diagnostic(
            Code.UNSUPPORTED_INDEX,
            key.index,
            f"cannot sort by {key.index}: sort by dc.title, dc.date or rec.lastModificationDate",
        )
    descending = False
    for modifier in key.modifiers:
        name = modifier.name.removeprefix("sort.")
        if name == "descending":
            descending = True
        elif name == "ascending":
            descending = False
        elif name not in ("ignorecase", "ignoreaccents", "missinglow", "missinghigh"):
            raise Diagnostic(Code.UNSUPPORTED_SORT_SEQUENCE, _modifier_text(modifier))
    return orders[1] if descending else orders[0]
