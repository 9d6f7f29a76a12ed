"""The metadata formats this repository disseminates: marc21 (MARCXML) and oai_dc."""

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from app import marc

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{{{XSI_NS}}}schemaLocation"
MARC_NS = "http://www.loc.gov/MARC21/slim"
MARC_SCHEMA = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"


@dataclass(frozen=True, slots=True)
class MetadataFormat:
    """A format as ListMetadataFormats names it, and how a record is written in it."""

    prefix: str
    schema: str
    namespace: str
    render: Callable[[marc.Record], etree._Element]


def marc21(record: marc.Record) -> etree._Element:
    """The record as a MARCXML <record>, with the schema it follows."""
    element = marc.marcxml_element(record)
    element.set(SCHEMA_LOCATION, f"{MARC_NS} {MARC_SCHEMA}")
    return element


def oai_dc(record: marc.Record) -> etree._Element:
    """The record as <oai_dc:dc>, after the Library of Congress crosswalk (marc.dublin_core)."""
    root = etree.Element(
        f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    root.set(SCHEMA_LOCATION, f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    for element, value in marc.dublin_core(record):
        etree.SubElement(root, f"{{{DC_NS}}}{element}").text = value
    return root


FORMATS: dict[str, MetadataFormat] = {
    "marc21": MetadataFormat("marc21", MARC_SCHEMA, MARC_NS, marc21),
    "oai_dc": MetadataFormat("oai_dc", OAI_DC_SCHEMA, OAI_DC_NS, oai_dc),
}
