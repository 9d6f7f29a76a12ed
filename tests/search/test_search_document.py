"""The search document of a record: folded and exact tokens by part, fields kept apart, and the
bounds that keep an index row within what both engines accept."""

from app import marc
from app.marc.records import data_field, new_record
from app.search.document import BOUNDARY, MAX_TOKENS_PER_PART, search_document
from app.search.text import MAX_TOKEN_CHARS, folded_tokens


def _record(*fields: marc.Field) -> marc.Record:
    return new_record(
        "00000nam a2200000 a 4500",
        [
            data_field("245", "1", "0", [("a", "Thư viện và bạn đọc /"), ("c", "Lê Văn Đức.")]),
            *fields,
        ],
    )


def test_title_and_author_are_folded_and_their_exact_forms_kept() -> None:
    document = search_document(7, _record(), year=2020)
    assert document.title == "thu vien va ban doc"
    assert document.author == "le van duc"
    assert document.exact.split() == [
        "thư",
        "viện",
        "và",
        "bạn",
        "đọc",
        BOUNDARY,
        "lê",
        "văn",
        "đức",
    ]
    assert (document.record_id, document.year) == (7, 2020)


def test_two_fields_of_a_part_are_kept_apart() -> None:
    notes = [data_field("500", " ", " ", [("a", text)]) for text in ("Sách hay", "Tái bản")]
    assert search_document(1, _record(*notes), year=None).notes == f"sach hay {BOUNDARY} tai ban"


def test_han_characters_are_a_token_each_among_spaced_words() -> None:
    assert folded_tokens("Lịch sử 中国历史 (Trung Quốc)") == [
        "lich",
        "su",
        "中",
        "国",
        "历",
        "史",
        "trung",
        "quoc",
    ]


def test_a_run_longer_than_any_word_is_cut_to_the_longest_token() -> None:
    assert folded_tokens(f"ma {'x' * 250} tran") == ["ma", "x" * MAX_TOKEN_CHARS, "tran"]


def test_a_part_stops_at_its_token_bound_boundaries_included() -> None:
    words = " ".join(f"tu{n}" for n in range(MAX_TOKENS_PER_PART))
    notes = [
        data_field("500", " ", " ", [("a", "mở đầu")]),
        data_field("500", " ", " ", [("a", words)]),
    ]
    tokens = search_document(1, _record(*notes), year=None).notes.split(" ")
    assert len(tokens) == MAX_TOKENS_PER_PART
    assert tokens[:4] == ["mo", "dau", BOUNDARY, "tu0"]
    assert tokens[-1] == f"tu{MAX_TOKENS_PER_PART - 4}"
