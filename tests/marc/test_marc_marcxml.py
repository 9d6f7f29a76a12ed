"""MARCXML: namespaces, hostile documents, broken documents, and schema-valid output."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lxml import etree

from app import marc
from app.marc import marcxml, mnemonic
from app.marc.marcxml import make_parser

if TYPE_CHECKING:
    from conftest import Corpus

LEADER = "00000nam a2200000 i 4500"


def _records(xml: str, *, prefix: str = "", namespace: bool = True, count: int = 2) -> str:
    p = f"{prefix}:" if prefix else ""
    declaration = ""
    if namespace:
        declaration = f' xmlns{":" + prefix if prefix else ""}="http://www.loc.gov/MARC21/slim"'
    body = "".join(
        f"<{p}record><{p}leader>{LEADER}</{p}leader>"
        f'<{p}controlfield tag="001">vn{n}</{p}controlfield>'
        f'<{p}datafield tag="245" ind1="1" ind2="0"><{p}subfield code="a">{xml} {n}'
        f"</{p}subfield></{p}datafield></{p}record>"
        for n in range(count)
    )
    prolog = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f"{prolog}<{p}collection{declaration}>{body}</{p}collection>"


def _titles(items: list[marc.ParsedRecord | marc.MarcProblem]) -> list[str]:
    return [i.record["245"]["a"] for i in items if isinstance(i, marc.ParsedRecord)]


def test_prefixed_default_and_absent_namespaces_all_read() -> None:
    for document in (
        _records("Truyện Kiều", prefix="marc"),
        _records("Truyện Kiều"),
        _records("Truyện Kiều", namespace=False),
    ):
        items = list(marc.read(document.encode()))
        assert _titles(items) == ["Truyện Kiều 0", "Truyện Kiều 1"]
        assert all(i.warnings == () for i in items if isinstance(i, marc.ParsedRecord))


def test_a_lone_record_reads(corpus: Corpus) -> None:
    items = corpus.read("malformed/pymarc/bad_tag.xml")
    assert len(items) == 1
    assert isinstance(items[0], marc.ParsedRecord)
    assert items[0].record["245"]["a"] == "The Untamed"
    assert items[0].record["042"]["a"] == "dc"
    assert "tag-padded" in [w.code for w in items[0].warnings]


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 i 4500</leader>
<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&lol9;</subfield></datafield></record>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE record [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 i 4500</leader>
<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&secret;</subfield></datafield></record>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE record SYSTEM "http://example.org/marc.dtd">
<record><leader>00000nam a2200000 i 4500</leader></record>
"""


def test_an_entity_bomb_is_refused_without_expanding() -> None:
    items = list(marc.read(BOMB))
    assert [(i.code, i.position) for i in items if isinstance(i, marc.MarcProblem)] == [
        ("xml-doctype-forbidden", 0)
    ]
    assert len(items) == 1


def test_external_entities_and_dtds_are_refused() -> None:
    for document in (EXTERNAL, EXTERNAL_DTD):
        items = list(marc.read(document, marc.Format.MARCXML))
        assert len(items) == 1
        assert isinstance(items[0], marc.MarcProblem)
        assert items[0].code == "xml-doctype-forbidden"


def test_the_parser_itself_neither_loads_nor_expands_entities() -> None:
    parser = make_parser()
    parser.feed(EXTERNAL)
    parser.close()
    subfields = [
        element
        for event, element in parser.read_events()
        if event == "end" and isinstance(element, etree._Element)
        if str(element.tag).endswith("}subfield")
    ]
    assert len(subfields) == 1
    assert [str(text) for text in subfields[0].itertext()] == ["&secret;"]


def test_a_document_cut_in_the_middle_yields_the_records_before_the_break() -> None:
    document = _records("Nhà xuất bản", count=3).encode()
    cut = document[: document.rindex(b"<record") + 60]
    items = list(marc.read(cut))
    assert _titles(items) == ["Nhà xuất bản 0", "Nhà xuất bản 1"]
    last = items[-1]
    assert isinstance(last, marc.MarcProblem)
    assert (last.code, last.position, last.severity) == ("xml-syntax", 2, "error")


def _offsets(items: list[marc.ParsedRecord | marc.MarcProblem]) -> list[int | None]:
    return [item.offset for item in items]


def test_each_record_comes_with_the_byte_offset_of_its_start_tag() -> None:
    # Blank lines before the declaration, a comment, a CDATA section and a processing
    # instruction that hold "<record>" without being one, and more than a chunk of records,
    # so that some start tags straddle the chunks the parser is fed.
    real = _records("Thư viện số", prefix="marc", count=600)
    close = real.index("<marc:record>")
    noise = "<!-- <record> --><?note <record> ?>"
    cdata = "<![CDATA[<record>]]>"
    document = (
        ("\n\n" + real[:close] + noise + real[close:])
        .replace("</marc:subfield>", cdata + "</marc:subfield>", 1)
        .encode()
    )
    assert len(document) > 2 * 64 * 1024
    items = list(marc.read(document))
    assert len(items) == 600
    starts = [n for n in range(len(document)) if document.startswith(b"<marc:record>", n)]
    assert _offsets(items) == starts
    # A record that cannot be read is reported at its offset too.
    broken = _records("Sách", count=3).replace('tag="001"', "", 2).encode()
    problem = list(marc.read(broken))[1]
    assert isinstance(problem, marc.MarcProblem)
    assert problem.offset == broken.index(b"<record>", broken.index(b"<record>") + 1)


def test_records_of_the_corpus_have_their_offsets(corpus: Corpus) -> None:
    start_tag = re.compile(rb"<(?:[\w.-]+:)?record[\s/>]")
    checked = 0
    for corpus_file in corpus.in_folders("marcxml"):
        data = corpus_file.path.read_bytes()
        read = corpus.read(corpus_file.name)
        offsets = _offsets([item for item in read if isinstance(item, marc.ParsedRecord)])
        assert None not in offsets, corpus_file.name
        assert offsets == sorted(set(offsets)), corpus_file.name  # one each, in file order
        assert all(start_tag.match(data, offset or 0) for offset in offsets), corpus_file.name
        checked += len(offsets)
    assert checked > 100


def test_text_that_is_not_xml_is_one_problem() -> None:
    items = list(marc.read(b"<html><body>Not found</body", marc.Format.MARCXML))
    assert len(items) == 1
    assert isinstance(items[0], marc.MarcProblem)
    assert items[0].code == "unreadable-file"


def test_a_record_element_that_is_not_marc_is_reported_and_reading_goes_on() -> None:
    document = _records("Sách", count=2).replace(
        "<record>", "<record><title>not marc</title></record><record>", 1
    )
    items = list(marc.read(document.encode()))
    kinds = [i.code if isinstance(i, marc.MarcProblem) else "record" for i in items]
    assert kinds == ["not-a-record", "record", "record"]
    assert [i.position for i in items] == [0, 1, 2]


def test_output_is_a_standalone_document_in_the_marc_namespace(
    marcxml_schema: etree.XMLSchema,
) -> None:
    record = marc.read_one(_records("Lịch sử", count=1).encode()).record
    data = marc.write(record, marc.Format.MARCXML)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<record xmlns="http://')
    root = etree.fromstring(data)
    assert root.tag == "{http://www.loc.gov/MARC21/slim}record"
    assert marcxml_schema.validate(root)


def test_xml_forbidden_characters_still_give_schema_valid_output(
    marcxml_schema: etree.XMLSchema,
) -> None:
    record = marc.Record()
    record.leader = marc.Record(leader="00000nam a2200000 i 4500").leader
    record.add_field(
        marc.Field(tag="001", data="vn\x01\x1d1"),
        marc.Field(
            tag="245",
            indicators=marc.Indicators("1", "0"),
            subfields=[marc.Subfield("a", "Tên\x0b sách\x1f\ufffe\ud800 ok\r\nnext")],
        ),
    )
    data = marc.write(record, marc.Format.MARCXML)
    assert marcxml_schema.validate(etree.fromstring(data))
    back = marc.read_one(data).record
    assert back["001"].data == "vn\ufffd\ufffd1"
    assert back["245"]["a"] == "Tên\ufffd sách\ufffd\ufffd\ufffd ok\r\nnext"


def test_a_collection_streams_out_and_validates(
    corpus: Corpus, marcxml_schema: etree.XMLSchema
) -> None:
    records = corpus.records("vietnamese/lc-subject-authorities-citing-vietnamese-works.mrc")
    records += corpus.records("vietnamese/cornell-9220704-phong-su-bao-chi.mrc")
    pieces = list(marc.write_collection(iter(records), marc.Format.MARCXML))
    assert len(pieces) == len(records) + 2
    data = b"".join(pieces)
    root = etree.fromstring(data)
    assert root.tag == "{http://www.loc.gov/MARC21/slim}collection"
    assert marcxml_schema.validate(root)
    back = [i.record for i in marc.read(data) if isinstance(i, marc.ParsedRecord)]
    assert [marc.to_json(r) for r in back] == [marc.to_json(r) for r in records]


def _resident_bytes() -> int:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class _GeneratedCollection:
    """A MARCXML collection made on the fly, so the test holds no upload in memory either."""

    def __init__(self, records: int) -> None:
        self._parts = self._generate(records)
        self._buffer = b""

    @staticmethod
    def _generate(records: int) -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim">'
        notes = "".join(
            f'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">{"Ghi chú " * 40}{n}'
            "</subfield></datafield>"
            for n in range(10)
        )
        for n in range(records):
            yield (
                f"<record><leader>{LEADER}</leader>"
                f'<controlfield tag="001">{n}</controlfield>{notes}</record>'
            ).encode()
        yield b"</collection>"

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        data, self._buffer = (
            (self._buffer, b"") if size < 0 else (self._buffer[:size], self._buffer[size:])
        )
        return data


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc for RSS")
def test_reading_a_long_collection_keeps_memory_flat() -> None:
    # 5,000 records of 4 KB: about 60 MB of parsed tree if read elements were kept.
    before = _resident_bytes()
    peak = before
    count = 0
    for item in marc.read(_GeneratedCollection(5_000), marc.Format.MARCXML):  # type: ignore[arg-type]
        assert isinstance(item, marc.ParsedRecord)
        count += 1
        if count % 500 == 0:
            peak = max(peak, _resident_bytes())
    assert count == 5_000
    assert peak - before < 20_000_000


def test_a_stored_record_is_written_from_its_iso_2709_as_from_the_record(
    corpus: Corpus,
) -> None:
    """Exports write MARCXML and .mrk from the stored ISO 2709 without building records: for
    every record of the corpus the bytes are the record's own, or None (the caller builds it)."""
    made = declined = 0
    for corpus_file in corpus.in_folders("iso2709", "vietnamese", "json", "marcxml"):
        for record in corpus.records(corpus_file.name):
            try:
                iso = marc.write(record, marc.Format.MRC)
            except marc.RecordTooLong:
                continue
            assert mnemonic.stored_record(iso) == marc.write(record, marc.Format.MRK)
            quick = marcxml.stored_collection_record(iso)
            if quick is None:
                declined += 1
                continue
            assert quick == marcxml.collection_record(record)
            made += 1
    assert made > 5_000
    assert declined < made / 100
    odd = marc.read_one(
        b"=LDR  00000nam a2200000 i 4500\n=245  10$aA & B <c> \r d$&x\n", marc.Format.MRK
    ).record
    # A subfield code to escape in an attribute: built the long way, never guessed.
    assert marcxml.stored_collection_record(marc.write(odd, marc.Format.MRC)) is None
    odd["245"].subfields = odd["245"].subfields[:1]
    escaped = marcxml.stored_collection_record(marc.write(odd, marc.Format.MRC))
    assert escaped == marcxml.collection_record(marc.normalize(odd)[0])
    assert b"A &amp; B &lt;c&gt; &#13; d" in escaped
