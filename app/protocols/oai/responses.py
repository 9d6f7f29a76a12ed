"""The OAI-PMH response document, built with lxml: envelope, headers, records, errors."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from app.protocols.oai.arguments import OaiError
from app.protocols.oai.dates import GRANULARITY, datestamp
from app.protocols.oai.formats import SCHEMA_LOCATION, XSI_NS, MetadataFormat
from app.protocols.oai.sets import OaiSet

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
PROTOCOL_VERSION = "2.0"


def _child(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def envelope(
    *,
    response_date: datetime,
    base_url: str,
    arguments: Sequence[tuple[str, str]] | None,
) -> etree._Element:
    """<OAI-PMH> with responseDate and request; `arguments` None leaves request bare (3.2)."""
    # lxml-stubs refuse the None key that declares a default namespace.
    nsmap = {None: OAI_NS, "xsi": XSI_NS}
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap=nsmap)  # type: ignore[arg-type]
    root.set(SCHEMA_LOCATION, f"{OAI_NS} {OAI_SCHEMA}")
    _child(root, "responseDate", datestamp(response_date))
    request = _child(root, "request", base_url)
    for name, value in arguments or ():
        request.set(name, value)
    return root


def records_sent(root: etree._Element) -> int:
    """How many records (with their metadata, not just headers) a response carries."""
    return len(root.findall(f"./{{{OAI_NS}}}*/{{{OAI_NS}}}record/{{{OAI_NS}}}metadata"))


def serialize(root: etree._Element) -> bytes:
    """The document as UTF-8 bytes, with its XML declaration."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def add_errors(root: etree._Element, errors: Iterable[OaiError]) -> None:
    """Append one <error> per error."""
    for error in errors:
        _child(root, "error", error.message).set("code", str(error.code))


def verb_element(root: etree._Element, verb: str) -> etree._Element:
    """Append the element named after the verb, which holds its answer."""
    return _child(root, verb)


@dataclass(frozen=True, slots=True)
class Header:
    """What a record's <header> says."""

    identifier: str
    datestamp: datetime
    deleted: bool
    set_specs: tuple[str, ...]


def add_header(parent: etree._Element, header: Header) -> None:
    """Append a <header>; a tombstone's says status="deleted"."""
    element = _child(parent, "header")
    if header.deleted:
        element.set("status", "deleted")
    _child(element, "identifier", header.identifier)
    _child(element, "datestamp", datestamp(header.datestamp))
    for spec in header.set_specs:
        _child(element, "setSpec", spec)


def add_record(parent: etree._Element, header: Header, metadata: etree._Element | None) -> None:
    """Append a <record>: its header, then its metadata unless it is a tombstone."""
    record = _child(parent, "record")
    add_header(record, header)
    if metadata is not None and not header.deleted:
        _child(record, "metadata").append(metadata)


def add_resumption_token(
    parent: etree._Element, token: str | None, *, complete_list_size: int, cursor: int
) -> None:
    """Append a <resumptionToken>; an empty one (token None) ends an incomplete list."""
    element = _child(parent, "resumptionToken", token)
    element.set("completeListSize", str(complete_list_size))
    element.set("cursor", str(cursor))


@dataclass(frozen=True, slots=True)
class Identity:
    """What Identify says of the repository."""

    repository_name: str
    base_url: str
    admin_email: str
    earliest_datestamp: datetime
    repository_identifier: str
    sample_identifier: str


def add_identify(root: etree._Element, identity: Identity) -> None:
    """Append <Identify>, with an oai-identifier description of the identifiers."""
    element = verb_element(root, "Identify")
    _child(element, "repositoryName", identity.repository_name)
    _child(element, "baseURL", identity.base_url)
    _child(element, "protocolVersion", PROTOCOL_VERSION)
    _child(element, "adminEmail", identity.admin_email)
    _child(element, "earliestDatestamp", datestamp(identity.earliest_datestamp))
    _child(element, "deletedRecord", "persistent")
    _child(element, "granularity", GRANULARITY)
    description = _child(element, "description")
    scheme = etree.SubElement(
        description,
        f"{{{OAI_IDENTIFIER_NS}}}oai-identifier",
        nsmap={None: OAI_IDENTIFIER_NS},  # type: ignore[dict-item]  # as in envelope()
    )
    scheme.set(SCHEMA_LOCATION, f"{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}")
    for name, value in (
        ("scheme", "oai"),
        ("repositoryIdentifier", identity.repository_identifier),
        ("delimiter", ":"),
        ("sampleIdentifier", identity.sample_identifier),
    ):
        etree.SubElement(scheme, f"{{{OAI_IDENTIFIER_NS}}}{name}").text = value


def add_metadata_formats(root: etree._Element, formats: Iterable[MetadataFormat]) -> None:
    """Append <ListMetadataFormats>."""
    element = verb_element(root, "ListMetadataFormats")
    for fmt in formats:
        entry = _child(element, "metadataFormat")
        _child(entry, "metadataPrefix", fmt.prefix)
        _child(entry, "schema", fmt.schema)
        _child(entry, "metadataNamespace", fmt.namespace)


def add_sets(root: etree._Element, sets: Iterable[OaiSet]) -> None:
    """Append <ListSets>."""
    element = verb_element(root, "ListSets")
    for oai_set in sets:
        entry = _child(element, "set")
        _child(entry, "setSpec", oai_set.spec)
        _child(entry, "setName", oai_set.name)
