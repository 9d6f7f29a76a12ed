"""The CIP block of an approved record, as plain text, HTML and PDF."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime

import pypdf
import pytest
from lxml import etree
from pypdf.generic import DictionaryObject

from app import marc
from app.cip.block import (
    DEFAULT_HEADING,
    CipBlock,
    block_html,
    block_lines,
    block_pdf,
    block_text,
    cip_block,
)
from app.marc.records import data_field, insert_in_tag_order, new_record

WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
REQUEST = marc.CipData(
    title="Lịch sử Thư viện Việt Nam",
    subtitle="từ khởi thủy đến năm 1945",
    contributors=(
        marc.Contributor("Nguyễn Thị Hường"),
        marc.Contributor("Đặng Văn Đức", "translator"),
    ),
    edition="Tái bản lần thứ 2",
    series="Tủ sách Thư viện học",
    series_number="3",
    publisher="Nxb. Đại học Quốc gia Hà Nội",
    place="Hà Nội",
    expected_date="2025-09",
    isbns=("9786046212348",),
    pages=320,
    size_cm=21,
    summary="Tóm tắt không in trong khối CIP.",
)
DESCRIPTION = (
    "Lịch sử Thư viện Việt Nam : từ khởi thủy đến năm 1945 / Nguyễn Thị Hường ;"
    " Dịch: Đặng Văn Đức. - Tái bản lần thứ 2. - Hà Nội : Nxb. Đại học Quốc gia Hà Nội,"
    " 2025. - 320 tr. ; 21 cm. - (Tủ sách Thư viện học ; 3)"
)
TRACINGS = (
    "1. Thư viện học -- Lịch sử -- Việt Nam. 2. Thư viện quốc gia. I. Đặng Văn Đức."
    " II. Lịch sử Thư viện Việt Nam."
)


def approved_record() -> marc.Record:
    """The prepublication record as a cataloguer approves it: numbered, classified, indexed."""
    record = marc.prepublication_record(REQUEST, agency="VN-NLV", created=WHEN)
    record = marc.assign_identity(
        record, control_number="CIP-2025-000123", org_code="VN-NLV", timestamp=WHEN
    )
    for field in (
        data_field("082", "0", "4", [("a", "027.0/597"), ("2", "23")]),
        data_field("504", " ", " ", [("a", "Thư mục: tr. 301-318")]),
        data_field(
            "650",
            " ",
            "7",
            [("a", "Thư viện học"), ("x", "Lịch sử"), ("z", "Việt Nam."), ("2", "Bộ TĐCĐ")],
        ),
        data_field("650", " ", "7", [("a", "Thư viện quốc gia"), ("2", "Bộ TĐCĐ")]),
    ):
        insert_in_tag_order(record, field)
    return record


def test_the_block_holds_every_part_of_the_record() -> None:
    assert cip_block(approved_record()) == CipBlock(
        heading=DEFAULT_HEADING,
        main_entry="Nguyễn Thị Hường",
        description=DESCRIPTION,
        notes=("Thư mục: tr. 301-318.",),
        isbns=("978-604-62-1234-8",),
        subjects=("Thư viện học -- Lịch sử -- Việt Nam", "Thư viện quốc gia"),
        added_entries=("Đặng Văn Đức", "Lịch sử Thư viện Việt Nam"),
        classification="027.0597 - dc23",
        control_number="CIP-2025-000123",
    )


def test_the_text_block_line_by_line() -> None:
    text = block_text(cip_block(approved_record()))
    assert text.splitlines() == [
        "Biên mục trên xuất bản phẩm của Thư viện Quốc gia Việt Nam",
        "",
        "Nguyễn Thị Hường",
        "    " + DESCRIPTION,
        "    Thư mục: tr. 301-318.",
        "    ISBN 978-604-62-1234-8",
        "    " + TRACINGS,
        "    027.0597 - dc23",
        "    CIP-2025-000123",
    ]
    assert text.endswith("\n")
    assert "Tóm tắt" not in text  # the summary (520) stays out of the block


def test_the_heading_is_configurable() -> None:
    block = cip_block(approved_record(), heading="  Dữ liệu biên mục trước xuất bản  ")
    assert block_lines(block)[0] == "Dữ liệu biên mục trước xuất bản"


def test_a_bare_record_without_isbd_punctuation_still_makes_a_block() -> None:
    record = new_record(
        "00000nam a2200000 a 4500",
        [
            data_field("245", "0", "0", [("a", "Truyện Kiều"), ("b", "thơ"), ("c", "Nguyễn Du")]),
            data_field("260", " ", " ", [("a", "Huế"), ("b", "Nxb. Thuận Hóa"), ("c", "2020")]),
        ],
    )
    assert block_lines(cip_block(record)) == (
        DEFAULT_HEADING,
        "",
        "    Truyện Kiều : thơ / Nguyễn Du. - Huế : Nxb. Thuận Hóa, 2020",
    )


def test_a_traced_series_and_many_added_entries_take_roman_numbers() -> None:
    record = approved_record()
    for name in ("Trần Văn An", "Phạm Thị Bích"):
        insert_in_tag_order(record, data_field("700", "0", " ", [("a", name + ","), ("e", "ed.")]))
    insert_in_tag_order(
        record, data_field("830", " ", "0", [("a", "Tủ sách Thư viện học ;"), ("v", "3.")])
    )
    assert cip_block(record).tracing_items[2:] == (
        "I. Đặng Văn Đức.",
        "II. Trần Văn An.",
        "III. Phạm Thị Bích.",
        "IV. Lịch sử Thư viện Việt Nam.",
        "V. Tủ sách Thư viện học ; 3.",
    )


def test_html_is_escaped_and_well_formed() -> None:
    request = marc.CipData(
        title='Sách <b>đỏ</b> & "đen"',
        expected_date="2025",
        contributors=(marc.Contributor("Ngô Tất Tố"),),
    )
    record = marc.prepublication_record(request, agency="VN-NLV", created=WHEN)
    block = cip_block(record, heading="Biên mục <CIP> & cộng sự")
    fragment = block_html(block)
    assert "<b>" not in fragment
    assert "Sách &lt;b&gt;đỏ&lt;/b&gt; &amp; &quot;đen&quot;" in fragment
    assert "Biên mục &lt;CIP&gt; &amp; cộng sự" in fragment
    root = etree.fromstring(fragment)  # only <div>, <p> and <span>: XML-well-formed
    texts = {p.get("class"): "".join(p.itertext()) for p in root.iter("p")}
    assert block.description == 'Sách <b>đỏ</b> & "đen" / Ngô Tất Tố. - 2025.'
    # A printed line never starts with ISBD's "/": the space before it does not break.
    assert texts["cip-description"] == 'Sách <b>đỏ</b> & "đen"\u00a0/ Ngô Tất Tố. - 2025.'
    assert texts["cip-heading"] == "Biên mục <CIP> & cộng sự"
    assert "border:1px solid" in (root.get("style") or "")
    document = block_html(block, document=True)
    assert document.startswith('<!DOCTYPE html>\n<html lang="vi">')
    assert '<meta charset="utf-8">' in document
    assert fragment in document


def test_html_keeps_a_number_with_its_tracing() -> None:
    root = etree.fromstring(block_html(cip_block(approved_record())))
    (tracings,) = [p for p in root.iter("p") if p.get("class") == "cip-tracings"]
    assert tracings.text == (
        "1.\u00a0Thư viện học -- Lịch sử -- Việt Nam. 2.\u00a0Thư viện quốc gia."
        " I.\u00a0Đặng Văn Đức. II.\u00a0Lịch sử Thư viện Việt Nam."
    )


def _words(text: str) -> list[str]:
    """NFC words: pypdf may give decomposed letters, no-break spaces and other line breaks."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ").split()


@pytest.fixture(scope="module")
def pdf_reader() -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(block_pdf(cip_block(approved_record()), created=WHEN)))


def test_the_pdf_gives_back_every_vietnamese_word(pdf_reader: pypdf.PdfReader) -> None:
    (page,) = pdf_reader.pages
    extracted = " ".join(_words(page.extract_text()))
    assert " ".join(_words(DESCRIPTION)) in extracted
    assert "Thư mục: tr. 301-318. ISBN 978-604-62-1234-8" in extracted
    block = cip_block(approved_record())
    for line in block_lines(block):
        if line.strip():
            assert " ".join(_words(line)) in extracted
    vietnamese = {c for c in block_text(block) if not c.isascii()}
    assert vietnamese >= set("ịưửệừởủếăễườĐặứáảầàộạọốụêấẩ")
    assert vietnamese <= set(extracted)


def test_the_pdf_embeds_its_font(pdf_reader: pypdf.PdfReader) -> None:
    (page,) = pdf_reader.pages
    fonts = page["/Resources"]["/Font"]
    names = set()
    for reference in fonts.values():
        font = reference.get_object()
        assert font["/Subtype"] == "/Type0"
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert isinstance(descriptor, DictionaryObject)
        assert len(descriptor["/FontFile2"].get_object().get_data()) > 1000
        assert "/ToUnicode" in font
        names.add(str(font["/BaseFont"]).split("+", 1)[1])
    assert names == {"SourceSerifPro", "SourceSerifProBold"}  # fpdf2 names them family+style


def test_the_pdf_page_is_the_box_and_the_bytes_are_reproducible(
    pdf_reader: pypdf.PdfReader,
) -> None:
    (page,) = pdf_reader.pages
    assert round(float(page.mediabox.width) / 72 * 25.4) == 140  # 120 mm box, 10 mm margins
    assert pdf_reader.metadata is not None
    assert pdf_reader.metadata.title == DEFAULT_HEADING
    block = cip_block(approved_record())
    assert block_pdf(block, created=WHEN) == block_pdf(block, created=WHEN)
