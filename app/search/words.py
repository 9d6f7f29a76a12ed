"""From what was typed to what the index holds: the tokens of each word and phrase."""

from __future__ import annotations

from app.search.query import And, Expr, Not, Or, Text
from app.search.text import exact_tokens, folded_tokens


def tokens_of(text: Text) -> list[str]:
    """The folded tokens a Text looks for, in order ("e-book" is the phrase "e book")."""
    return [token for word in text.words for token in folded_tokens(word)]


def exact_tokens_of(text: Text) -> list[str]:
    """The tokens of a Text with the diacritics typed, for ranking exact forms first."""
    return [token for word in text.words for token in exact_tokens(word)]


def prune(expr: Expr) -> Expr | None:
    """Drop words with nothing searchable in them ("--", "&"); None when nothing is left."""
    if isinstance(expr, Text):
        return expr if tokens_of(expr) else None
    if isinstance(expr, Not):
        item = prune(expr.item)
        if isinstance(item, Not):  # "NOT -word" is the word
            return item.item
        return Not(item) if item is not None else None
    items = tuple(pruned for item in expr.items if (pruned := prune(item)) is not None)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return And(items) if isinstance(expr, And) else Or(items)
