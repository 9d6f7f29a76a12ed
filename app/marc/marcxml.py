"""MARCXML (MARC21 slim): a hardened streaming reader and schema-valid writers.

make_parser() is the one place an XML parser is created for untrusted input: no DTD loading,
no entity expansion, no network, no huge trees; a document with a DOCTYPE is refused outright,
so entity bombs and external entities never get a chance to expand.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from lxml import etree

from app.marc.detect import UTF8_BOM
from app.marc.iso2709 import stored_parts
from app.marc.parsed import Decoded
from app.marc.problems import MarcProblem, error, warning
from app.marc.records import (
    DEFAULT_LEADER,
    Field,
    Record,
    field_from_parts,
    fit_leader,
    indicators_of,
    leader_of,
    new_record,
    unicode_leader,
)
from app.marc.streams import CHUNK_SIZE, PrefixedStream

MARC_NS = "http://www.loc.gov/MARC21/slim"
# MarcXchange (ISO 25577) is MARCXML under another name; records in no namespace are common.
_RECORD_NAMESPACES = frozenset(
    {MARC_NS, "", "info:lc/xmlns/marcxchange-v1", "info:lc/xmlns/marcxchange-v2"}
)
_RECORD_TYPES = frozenset({"Bibliographic", "Authority", "Holdings", "Classification", "Community"})
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def make_parser() -> etree.XMLPullParser:
    """Create the incremental parser every MARCXML read goes through (see module docstring)."""
    return etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _split(tag: object) -> tuple[str, str] | None:
    if not isinstance(tag, str):
        return None
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _names(local: str) -> frozenset[str]:
    return frozenset(
        f"{{{namespace}}}{local}" if namespace else local for namespace in _RECORD_NAMESPACES
    )


_MARC_NAMES = {
    local: _names(local)
    for local in ("record", "collection", "leader", "controlfield", "datafield")
}


def _is_marc(element: etree._Element, name: str) -> bool:
    return element.tag in _MARC_NAMES[name]


# Where "<record" may stand without being a tag (comments, CDATA, processing instructions),
# and what ends each.
_NOT_MARKUP = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
# One of those, or a start tag whose local name is "record", under any prefix (a name may hold
# any letter: in UTF-8, bytes 0x80 and over).
_RECORD_TAG_OR_NOT_MARKUP = re.compile(
    rb"<!--|<!\[CDATA\[|<\?|<(?:[A-Za-z_\x80-\xff][-.\w\x80-\xff]*:)?record[\s/>]"
)
# Longer than any start of a tag the pattern looks for: what a chunk's end may cut.
_TAIL_BYTES = 256


class _RecordTags:
    """The byte offset of each start tag named `record` (under any prefix, in any namespace)
    in a document fed to it in chunks, in document order. lxml tells an element's line, not its
    byte offset, so the bytes the parser is fed are scanned beside it: in a well-formed document
    these tags and the parser's start events of elements named `record` are the same ones."""

    def __init__(self) -> None:
        self._buffer = b""
        self._at = 0  # the offset of the buffer's first byte in the document
        self._until: bytes | None = None  # the end of the comment, CDATA or PI we are in
        self.offsets: deque[int] = deque()

    def skip(self, count: int) -> None:
        """Count bytes the parser was not fed (blanks before the XML declaration)."""
        self._at += count

    def feed(self, chunk: bytes) -> None:
        buffer = self._buffer + chunk
        done = 0
        while True:
            if self._until is not None:
                end = buffer.find(self._until, done)
                if end < 0:
                    done = max(done, len(buffer) - len(self._until) + 1)
                    break
                done, self._until = end + len(self._until), None
                continue
            found = _RECORD_TAG_OR_NOT_MARKUP.search(buffer, done)
            if found is None:
                done = max(done, len(buffer) - _TAIL_BYTES)
                break
            self._until = _NOT_MARKUP.get(found.group())
            if self._until is None:
                self.offsets.append(self._at + found.start())
            done = found.end()
        self._buffer = buffer[done:]
        self._at += done

    def next_offset(self) -> int | None:
        return self.offsets.popleft() if self.offsets else None


def read_marcxml(stream: BinaryIO | PrefixedStream) -> Iterator[Decoded | MarcProblem]:
    """Read MARCXML records one by one, whether in a <collection> or a lone <record>, each with
    the byte offset of its start tag (None in a document not in an ASCII-compatible encoding).

    Elements are cleared once read, so memory stays flat however long the document.
    A syntax error (or a document cut short) ends reading: the records before it come out,
    then the problem.
    """
    parser = make_parser()
    tags = _RecordTags()
    starts: dict[etree._Element, int | None] = {}
    started = False
    marc_root = False
    records_seen = 0
    head = b""
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if not head:
            read = len(chunk)
            chunk = _without_leading_blanks(chunk)
            tags.skip(read - len(chunk))
        if len(head) < 4096:
            head += chunk[: 4096 - len(head)]
        failure: etree.XMLSyntaxError | None = None
        tags.feed(chunk)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except etree.XMLSyntaxError as exc:
            failure = exc
        for event, element in parser.read_events():
            if not isinstance(element, etree._Element):
                continue
            if not started:
                started = True
                marc_root = _is_marc(element, "collection") or _is_marc(element, "record")
                if _has_doctype(element):
                    yield _doctype_problem()
                    return
            if event == "start":
                if _local(element) == "record":
                    offset = tags.next_offset()
                    if _is_marc(element, "record"):
                        starts[element] = offset
                continue
            if _is_marc(element, "record"):
                records_seen += 1
                yield _record(element, starts.pop(element, None))
                _forget(element)
            elif _is_stray_field(element):
                records_seen += 1
                yield error("not-a-record", f"<{_local(element)}> outside any <record>")
                _forget(element)
        if failure is not None:
            if not started and b"<!DOCTYPE" in head.upper():
                yield _doctype_problem()
            elif records_seen == 0:
                yield error("unreadable-file", f"the data is not well-formed XML: {failure}")
            else:
                yield error("xml-syntax", f"XML is not well-formed: {failure}")
            return
        if not chunk:
            break
    if records_seen == 0 and not marc_root:
        yield error("unreadable-file", "no MARCXML <record> found in the document")


def _without_leading_blanks(chunk: bytes) -> bytes:
    """Drop blank lines before the XML declaration, which XML forbids but uploads have."""
    bom = UTF8_BOM if chunk.startswith(UTF8_BOM) else b""
    body = chunk[len(bom) :]
    stripped = body.lstrip(b" \t\r\n")
    return bom + stripped if stripped.startswith(b"<") else chunk


def _has_doctype(element: etree._Element) -> bool:
    docinfo: Any = element.getroottree().docinfo  # lxml-stubs lack DocInfo.doctype
    return bool(docinfo.doctype)


def _doctype_problem() -> MarcProblem:
    return error(
        "xml-doctype-forbidden",
        "XML with a DOCTYPE is refused (entity declarations could expand or reach out)",
    )


def _local(element: etree._Element) -> str:
    parts = _split(element.tag)
    return parts[1] if parts else "?"


def _is_stray_field(element: etree._Element) -> bool:
    parent = element.getparent()
    if parent is None or not _is_marc(parent, "collection"):
        return False
    return any(_is_marc(element, name) for name in ("leader", "controlfield", "datafield"))


def _forget(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def _text(element: etree._Element) -> str:
    return "".join(str(text) for text in element.itertext())


def _record(element: etree._Element, offset: int | None) -> Decoded | MarcProblem:
    read = _record_at(element, offset)
    return read.at_byte(offset) if isinstance(read, MarcProblem) else read


def _record_at(element: etree._Element, offset: int | None) -> Decoded | MarcProblem:
    warnings: list[MarcProblem] = []
    kind = element.get("type")
    if kind is not None and kind not in _RECORD_TYPES:
        warnings.append(warning("xml-record-type", f'<record type="{kind}"> is not a MARCXML type'))
    leader: str | None = None
    fields: list[Field] = []
    for child in element:
        parts = _split(child.tag)
        if parts is None:
            continue
        local = parts[1]
        if local == "leader":
            leader = _text(child)
        elif local == "controlfield":
            tag = child.get("tag")
            if tag is None:
                return error("missing-tag", f"<controlfield> without a tag: {_text(child)[:40]!r}")
            fields.append(field_from_parts(tag, data=_text(child), warnings=warnings))
        elif local == "datafield":
            field = _datafield(child, warnings)
            if isinstance(field, MarcProblem):
                return field
            fields.append(field)
        else:
            warnings.append(warning("unknown-element", f"<{local}> in a record was ignored"))
    if leader is None and not fields:
        return error("not-a-record", "<record> holds no leader and no fields: not MARCXML")
    if leader is None:
        warnings.append(
            warning("missing-leader", f"no leader; assumed {DEFAULT_LEADER!r} (a book)", tag="LDR")
        )
        leader = DEFAULT_LEADER
    leader = unicode_leader(fit_leader(leader, warnings))
    return Decoded(new_record(leader, fields), offset, tuple(warnings))


def _datafield(element: etree._Element, warnings: list[MarcProblem]) -> Field | MarcProblem:
    tag = element.get("tag")
    if tag is None:
        return error("missing-tag", "<datafield> without a tag attribute")
    indicators = []
    for name in ("ind1", "ind2"):
        value = element.get(name)
        if value is None or len(value) != 1:
            warnings.append(
                warning("missing-indicator", f"{tag} {name} is {value!r}; set to blank", tag=tag)
            )
            value = " "
        indicators.append(value)
    subfields: list[tuple[str, str]] = []
    for child in element:
        parts = _split(child.tag)
        if parts is None:
            continue
        if parts[1] != "subfield":
            warnings.append(warning("unknown-element", f"{tag}: <{parts[1]}> was ignored", tag=tag))
            continue
        code = child.get("code")
        if code is None:
            return error("missing-subfield-code", f"{tag}: <subfield> without a code", tag=tag)
        subfields.append((code, _text(child)))
    return field_from_parts(
        tag, indicators=(indicators[0], indicators[1]), subfields=subfields, warnings=warnings
    )


def record_element(record: Record, *, namespace: str | None = MARC_NS) -> etree._Element:
    """Build the <record> element of a normalised record (no namespace when namespace is None)."""
    prefix = f"{{{namespace}}}" if namespace else ""
    nsmap = {None: namespace} if namespace else None
    # lxml-stubs do not allow the None key that declares a default namespace.
    root = etree.Element(f"{prefix}record", nsmap=nsmap)  # type: ignore[arg-type]
    etree.SubElement(root, f"{prefix}leader").text = leader_of(record)
    for field in record.fields:
        if field.control_field:
            etree.SubElement(root, f"{prefix}controlfield", {"tag": field.tag}).text = (
                field.data or ""
            )
            continue
        first, second = indicators_of(field)
        element = etree.SubElement(
            root, f"{prefix}datafield", {"tag": field.tag, "ind1": first, "ind2": second}
        )
        for sub in field.subfields:
            etree.SubElement(element, f"{prefix}subfield", {"code": sub.code}).text = sub.value
    return root


def encode_record(record: Record) -> bytes:
    """Serialise one normalised record as a standalone MARCXML document."""
    return XML_DECLARATION + etree.tostring(record_element(record), encoding="UTF-8")


def encode_collection(records: Iterable[Record]) -> Iterator[bytes]:
    """Serialise normalised records as one <collection> document, a record at a time."""
    return collection(collection_record(record) for record in records)


def collection(records: Iterable[bytes]) -> Iterator[bytes]:
    """A <collection> document of <record>s made by collection_record() or
    stored_collection_record()."""
    yield XML_DECLARATION + f'<collection xmlns="{MARC_NS}">\n'.encode()
    yield from records
    yield b"</collection>\n"


def collection_record(record: Record) -> bytes:
    """The <record> of a normalised record inside a <collection>, with its line's end."""
    # Unqualified names inside <collection xmlns=...> are in the MARC namespace.
    return etree.tostring(record_element(record, namespace=None), encoding="UTF-8") + b"\n"


# As lxml escapes text; attributes here are only ever letters, digits and blanks.
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_PLAIN_ATTRIBUTE = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ")


def stored_collection_record(iso2709: bytes) -> bytes | None:
    """collection_record() of a record this service stored, made from its stored ISO 2709
    (normalised, UTF-8) without building the record: the same bytes, at a fraction of the
    cost. None for anything not as this service stores records, for the caller to decode."""
    stored = stored_parts(iso2709)
    if stored is None:
        return None
    leader, fields = stored
    parts = ["<record><leader>", leader.translate(_TEXT_ESCAPES), "</leader>"]
    for tag, data, subfields in fields:
        if not set(tag) <= _PLAIN_ATTRIBUTE:
            return None
        if subfields is None:
            parts.append(
                f'<controlfield tag="{tag}">{data.translate(_TEXT_ESCAPES)}</controlfield>'
            )
            continue
        if not set(data) <= _PLAIN_ATTRIBUTE:
            return None
        parts.append(f'<datafield tag="{tag}" ind1="{data[0]}" ind2="{data[1]}">')
        for code, value in subfields:
            if code not in _PLAIN_ATTRIBUTE:
                return None
            parts.append(f'<subfield code="{code}">{value.translate(_TEXT_ESCAPES)}</subfield>')
        parts.append("</datafield>")
    parts.append("</record>\n")
    return "".join(parts).encode()
