"""SRU responses as XML: SRU 1.1/1.2 (namespace http://www.loc.gov/zing/srw/) and SRU 2.0
(OASIS searchRetrieve), with the records in MARCXML or Dublin Core and ZeeRex for explain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from app import marc
from app.protocols.sru.diagnostics import Diagnostic
from app.protocols.sru.indexes import CONTEXT_SETS, INDEXES
from app.protocols.sru.request import SCHEMA_IDENTIFIERS, SCHEMA_TITLES, RecordSchema

SRU1_NS = "http://www.loc.gov/zing/srw/"
DIAG1_NS = "http://www.loc.gov/zing/srw/diagnostic/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG2_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
SRW_DC_NS = "info:srw/schema/1/dc-schema"
DC_NS = "http://purl.org/dc/elements/1.1/"
_RELATIONS = ("=", "==", "exact", "all", "any", "adj", "<", ">", "<=", ">=", "within")


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What explain tells about this server."""

    title: str
    description: str
    host: str
    port: int
    database: str
    default_records: int
    max_records: int


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """One record of a result and its position in it, from 1."""

    record: marc.Record
    position: int


class _Writer:
    """Elements in the namespaces of one SRU version."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.two = version == "2.0"
        self.ns = SRU2_NS if self.two else SRU1_NS
        self.diag_ns = DIAG2_NS if self.two else DIAG1_NS
        self.prefix = "sruResponse" if self.two else "srw"

    def root(self, name: str) -> etree._Element:
        root = etree.Element(
            f"{{{self.ns}}}{name}", nsmap={self.prefix: self.ns, "diag": self.diag_ns}
        )
        self.add(root, "version", self.version)
        return root

    def add(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            element.text = text
        return element

    def record(
        self,
        parent: etree._Element,
        *,
        schema: str,
        escaping: str,
        data: etree._Element,
        position: int | None,
    ) -> None:
        record = self.add(parent, "record")
        self.add(record, "recordSchema", schema)
        if self.two:
            self.add(record, "recordXMLEscaping", escaping)
        else:
            self.add(record, "recordPacking", escaping)
        holder = self.add(record, "recordData")
        if escaping == "string":
            holder.text = etree.tostring(data, encoding="unicode")
        else:
            holder.append(data)
        if position is not None:
            self.add(record, "recordPosition", str(position))

    def diagnostics(self, parent: etree._Element, found: Sequence[Diagnostic]) -> None:
        if not found:
            return
        holder = self.add(parent, "diagnostics")
        for diagnostic in found:
            element = etree.SubElement(holder, f"{{{self.diag_ns}}}diagnostic")
            etree.SubElement(element, f"{{{self.diag_ns}}}uri").text = diagnostic.uri
            if diagnostic.details is not None:
                etree.SubElement(element, f"{{{self.diag_ns}}}details").text = diagnostic.details
            etree.SubElement(element, f"{{{self.diag_ns}}}message").text = diagnostic.message


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def dublin_core_element(record: marc.Record) -> etree._Element:
    """The record as SRU's Dublin Core schema (info:srw/schema/1/dc-v1.1)."""
    root = etree.Element(f"{{{SRW_DC_NS}}}dc", nsmap={"srw_dc": SRW_DC_NS, "dc": DC_NS})
    for name, value in marc.dublin_core(record):
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = value
    return root


def _record_data(record: marc.Record, schema: RecordSchema) -> etree._Element:
    if schema is RecordSchema.DC:
        return dublin_core_element(record)
    return marc.marcxml_element(record)


def search_response(
    version: str,
    *,
    total: int,
    records: Sequence[ResultRecord],
    schema: RecordSchema,
    escaping: str,
    next_position: int | None,
) -> bytes:
    """A searchRetrieveResponse with records."""
    writer = _Writer(version)
    root = writer.root("searchRetrieveResponse")
    writer.add(root, "numberOfRecords", str(total))
    if records:
        holder = writer.add(root, "records")
        for found in records:
            writer.record(
                holder,
                schema=SCHEMA_IDENTIFIERS[schema],
                escaping=escaping,
                data=_record_data(found.record, schema),
                position=found.position,
            )
    if next_position is not None:
        writer.add(root, "nextRecordPosition", str(next_position))
    if writer.two:
        writer.add(root, "resultCountPrecision", "info:srw/vocabulary/resultCountPrecision/1/exact")
    return _document(root)


def failed_search_response(version: str, diagnostic: Diagnostic, *, total: int = 0) -> bytes:
    """A searchRetrieveResponse that only reports what went wrong."""
    writer = _Writer(version)
    root = writer.root("searchRetrieveResponse")
    writer.add(root, "numberOfRecords", str(total))
    writer.diagnostics(root, [diagnostic])
    return _document(root)


def explain_response(
    version: str,
    info: ServerInfo,
    *,
    escaping: str = "xml",
    diagnostics: Sequence[Diagnostic] = (),
) -> bytes:
    """An explainResponse carrying this server's ZeeRex record."""
    writer = _Writer(version)
    root = writer.root("explainResponse")
    writer.record(
        root, schema=ZEEREX_NS, escaping=escaping, data=_zeerex(info, version), position=None
    )
    writer.diagnostics(root, diagnostics)
    return _document(root)


def _zeerex(info: ServerInfo, version: str) -> etree._Element:
    def add(
        parent: etree._Element, tag: str, text: str | None = None, **attributes: str
    ) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ZEEREX_NS}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    root = etree.Element(f"{{{ZEEREX_NS}}}explain", nsmap={None: ZEEREX_NS})  # type: ignore[dict-item]
    server = add(root, "serverInfo", protocol="SRU", version=version, transport="http")
    add(server, "host", info.host)
    add(server, "port", str(info.port))
    add(server, "database", info.database)
    database = add(root, "databaseInfo")
    add(database, "title", info.title, lang="en", primary="true")
    add(database, "description", info.description, lang="en", primary="true")
    indexes = add(root, "indexInfo")
    for name, identifier in CONTEXT_SETS.items():
        add(indexes, "set", name=name, identifier=identifier)
    for index in INDEXES:
        element = add(indexes, "index", id=index.qualified)
        add(element, "title", index.title, lang="en")
        mapping = add(element, "map")
        add(mapping, "name", index.name, set=index.context_set)
    schemas = add(root, "schemaInfo")
    for schema, identifier in SCHEMA_IDENTIFIERS.items():
        element = add(schemas, "schema", identifier=identifier, name=schema.value)
        add(element, "title", SCHEMA_TITLES[schema], lang="en")
    config = add(root, "configInfo")
    add(config, "default", str(info.default_records), type="numberOfRecords")
    add(config, "default", RecordSchema.MARCXML.value, type="retrieveSchema")
    add(config, "setting", str(info.max_records), type="maximumRecords")
    for relation in _RELATIONS:
        add(config, "supports", relation, type="relation")
    add(config, "supports", "*", type="maskingCharacter")
    add(config, "supports", "", type="sort")
    return root
