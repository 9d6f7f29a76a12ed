"""Z39.50 through Index Data's Simple2ZOOM gateway, which answers Z39.50 by asking our SRU.

We write no BER: the gateway (Debian package libnet-z3950-simple2zoom-perl) speaks Z39.50 to
clients and SRU to /sru. This module writes its configuration from the same index list that
SRU's explain shows, so a Bib-1 use attribute always lands on an index /sru answers.
"""

from __future__ import annotations

from lxml import etree

from app.protocols.sru.indexes import INDEXES
from app.protocols.sru.request import SCHEMA_IDENTIFIERS, RecordSchema

USMARC_OID = "1.2.840.10003.5.10"  # the Z39.50 record syntax clients ask for MARC 21 with
DEFAULT_DATABASE = "catalog"


def gateway_config(sru_url: str, *, database: str = DEFAULT_DATABASE) -> bytes:
    """Simple2ZOOM's configuration: one Z39.50 database that searches `sru_url`."""
    client = etree.Element("client")
    entry = etree.SubElement(client, "database", name=database)
    etree.SubElement(entry, "zurl").text = sru_url
    # Result sets are searched again rather than referred to: SRU here keeps none.
    etree.SubElement(entry, "resultsetid").text = "search"
    # Asking for MARCXML by name from the first request lets the gateway keep the records a
    # present fetches in one SRU request; without it, it fetches them again one at a time.
    marcxml = SCHEMA_IDENTIFIERS[RecordSchema.MARCXML]
    for name, value in (("sru", "get"), ("sru_version", "1.2"), ("schema", marcxml)):
        etree.SubElement(entry, "option", name=name).text = value
    search = etree.SubElement(entry, "search")
    etree.SubElement(search, "querytype").text = "cql"
    for index in INDEXES:
        if index.bib1 is not None:
            mapping = etree.SubElement(search, "map", use=str(index.bib1))
            etree.SubElement(mapping, "index").text = index.qualified
    etree.SubElement(
        entry,
        "schema",
        oid=USMARC_OID,
        sru=marcxml,
        format="MARC21",
        encoding="UTF-8",
    )
    return etree.tostring(client, xml_declaration=True, encoding="UTF-8", pretty_print=True)
