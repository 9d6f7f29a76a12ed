"""Ranking reads only the parts of a document it needs, and scores exactly as from the whole."""

import pytest

from app import marc
from app.search.document import ALL_PARTS, SearchDocument, search_document
from app.search.parser import parse_keywords
from app.search.query import SearchField
from app.search.ranking import Ranker

from support import sample_files

QUERIES = [
    "thư viện",  # diacritics typed: the exact words count
    "thu vien",
    '"phóng sự báo chí"',
    "báo OR chí",
    "vietnam* war",
    "title:(vietnam) -chart",
    "author:(nguyễn)",
    "subject:(history) notes",
]


def documents() -> list[SearchDocument]:
    found = []
    for path in sample_files():
        for item in marc.read(path.read_bytes()):
            if isinstance(item, marc.ParsedRecord):
                found.append(search_document(len(found) + 1, item.record, year=None))
    return found


@pytest.mark.parametrize("q", QUERIES)
def test_a_ranker_scores_from_its_parts_as_from_the_whole_document(q: str) -> None:
    ranker = Ranker(parse_keywords(q))
    assert ranker.parts <= set(ALL_PARTS)
    scored = 0
    for document in documents():
        values = {name: document.part(name) for name in ranker.parts}
        assert ranker.score(SearchDocument.of_parts(document.record_id, values)) == ranker.score(
            document
        ), (q, document.record_id)
        scored += ranker.score(document) != (0, 0)
    assert scored > 0  # the query finds something to score in the samples


def test_the_exact_words_are_read_only_for_words_typed_with_diacritics() -> None:
    assert "exact" in Ranker(parse_keywords("thư viện")).parts
    assert "exact" not in Ranker(parse_keywords("thu vien")).parts
    assert Ranker(parse_keywords("nguyen", field=SearchField.AUTHOR)).parts == {"author"}
    # Several words: the whole title is read for the phrase bonus.
    assert "title" in Ranker(parse_keywords("nguyen van", field=SearchField.AUTHOR)).parts
