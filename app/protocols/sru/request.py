"""An SRU request read from its parameters, checked as the version it speaks asks.

Version: `version` says it (1.1, 1.2 or 2.0). Without it, a request that names an `operation`
is read as 1.2 (1.x clients always send both) and any other as 2.0, which dropped the
`operation` parameter: a `query` means searchRetrieve, no query means explain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.protocols.sru.diagnostics import Code, Diagnostic

VERSIONS = ("1.1", "1.2", "2.0")
HIGHEST_VERSION = VERSIONS[-1]


class Operation(StrEnum):
    EXPLAIN = "explain"
    SEARCH_RETRIEVE = "searchRetrieve"
    SCAN = "scan"


class RecordSchema(StrEnum):
    """The record schemas this server sends, by their short names."""

    MARCXML = "marcxml"
    DC = "dc"


SCHEMA_IDENTIFIERS: dict[RecordSchema, str] = {
    RecordSchema.MARCXML: "info:srw/schema/1/marcxml-v1.1",
    RecordSchema.DC: "info:srw/schema/1/dc-v1.1",
}
SCHEMA_TITLES: dict[RecordSchema, str] = {
    RecordSchema.MARCXML: "MARC 21 in MARCXML",
    RecordSchema.DC: "Simple Dublin Core",
}
_SCHEMA_NAMES: dict[str, RecordSchema] = {
    "marcxml": RecordSchema.MARCXML,
    "marc21": RecordSchema.MARCXML,
    "marc21xml": RecordSchema.MARCXML,
    "marc21-xml": RecordSchema.MARCXML,
    "info:srw/schema/1/marcxml-v1.1": RecordSchema.MARCXML,
    "info:srw/schema/1/marcxml-v1.1-light": RecordSchema.MARCXML,
    "http://www.loc.gov/marc21/slim": RecordSchema.MARCXML,
    "dc": RecordSchema.DC,
    "info:srw/schema/1/dc-v1.1": RecordSchema.DC,
    "info:srw/schema/1/dc-schema": RecordSchema.DC,
    "http://purl.org/dc/elements/1.1/": RecordSchema.DC,
}
_COMMON = frozenset({"version", "operation", "stylesheet", "extraRequestData", "recordPacking"})
_SEARCH_1 = frozenset(
    {"query", "startRecord", "maximumRecords", "recordSchema", "recordXPath", "resultSetTTL"}
    | {"sortKeys"}
)
_SEARCH_2 = (
    _SEARCH_1
    | {"queryType", "recordXMLEscaping", "renderedBy", "httpAccept"}
    | {
        "responseType",
        "facetLimit",
        "facetStart",
        "facetSort",
        "facetRangeField",
        "facetLowValue",
        "facetHighValue",
        "facetCount",
    }
)
_SCAN = frozenset({"scanClause", "responsePosition", "maximumTerms"})
RESPONSE_TYPES = ("application/sru+xml", "application/xml", "text/xml")


@dataclass(frozen=True, slots=True)
class SruRequest:
    """What a client asked, once checked; `escaping` is how records are sent ("xml": as XML,
    "string": as escaped text), `media_type` the Content-Type of the answer."""

    version: str
    operation: Operation
    query: str | None = None
    start_record: int = 1
    maximum_records: int | None = None
    schema: RecordSchema = RecordSchema.MARCXML
    escaping: str = "xml"
    media_type: str = "text/xml"


def version_of(params: Sequence[tuple[str, str]]) -> str:
    """The version to answer in, even when the request is wrong in other ways."""
    given = dict(params)
    version = given.get("version")
    if version is None:
        return "1.2" if "operation" in given else "2.0"
    if version in VERSIONS:
        return version
    # An unknown version is answered in the highest version not above it (1.x for 1.5).
    lower = [known for known in VERSIONS if _as_tuple(known) <= _as_tuple(version)]
    return lower[-1] if lower else VERSIONS[0]


def _as_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def read_request(params: Sequence[tuple[str, str]]) -> SruRequest:
    """Check the parameters of a request. Raises Diagnostic for the first thing wrong."""
    version = version_of(params)
    given: dict[str, str] = {}
    for name, value in params:
        if name in given and not name.startswith("x-"):
            raise Diagnostic(
                Code.UNSUPPORTED_PARAMETER_VALUE, name, f"{name} is given more than once"
            )
        given[name] = value
    if "version" in given and given["version"] not in VERSIONS:
        raise Diagnostic(
            Code.UNSUPPORTED_VERSION,
            HIGHEST_VERSION,
            f"version {given['version']!r} is not supported; use one of {', '.join(VERSIONS)}",
        )
    operation = _operation(version, given)
    allowed = _COMMON
    if operation is Operation.SEARCH_RETRIEVE:
        allowed |= _SEARCH_2 if version == "2.0" else _SEARCH_1
    elif version == "2.0":
        allowed |= {"recordXMLEscaping", "httpAccept"}
    if operation is Operation.SCAN:
        raise Diagnostic(Code.UNSUPPORTED_OPERATION, "scan", "scan is not supported")
    for name in given:
        if name not in allowed and not name.startswith("x-"):
            raise Diagnostic(Code.UNSUPPORTED_PARAMETER, name, f"{name} is not a parameter here")
    if "stylesheet" in given:
        raise Diagnostic(Code.STYLESHEETS_NOT_SUPPORTED, given["stylesheet"])
    escaping = _escaping(version, given)
    media_type = _media_type(version, given)
    if operation is Operation.EXPLAIN:
        return SruRequest(version, operation, escaping=escaping, media_type=media_type)
    return _search_request(version, given, escaping, media_type)


def _operation(version: str, given: dict[str, str]) -> Operation:
    if version == "2.0":
        if "scanClause" in given:
            return Operation.SCAN
        return Operation.SEARCH_RETRIEVE if "query" in given else Operation.EXPLAIN
    name = given.get("operation")
    if name is None:
        if "query" in given:
            raise Diagnostic(Code.MANDATORY_PARAMETER_MISSING, "operation")
        return Operation.EXPLAIN
    try:
        return Operation(name)
    except ValueError:
        raise Diagnostic(
            Code.UNSUPPORTED_OPERATION, name, f"operation {name!r} is not one SRU defines"
        ) from None


def _escaping(version: str, given: dict[str, str]) -> str:
    if version == "2.0":
        escaping = given.get("recordXMLEscaping", "xml")
        if escaping not in ("xml", "string"):
            raise Diagnostic(Code.UNSUPPORTED_RECORD_PACKING, escaping)
        if given.get("recordPacking", "packed") != "packed":
            raise Diagnostic(
                Code.UNSUPPORTED_PARAMETER_VALUE,
                "recordPacking",
                "only packed records are sent (recordPacking=packed)",
            )
        return escaping
    packing = given.get("recordPacking", "xml")
    if packing not in ("xml", "string"):
        raise Diagnostic(Code.UNSUPPORTED_RECORD_PACKING, packing)
    return packing


def _media_type(version: str, given: dict[str, str]) -> str:
    accept = given.get("httpAccept")
    if accept is None:
        return "application/sru+xml" if version == "2.0" else "text/xml"
    if accept not in RESPONSE_TYPES:
        raise Diagnostic(
            Code.UNSUPPORTED_PARAMETER_VALUE,
            "httpAccept",
            f"answers are sent as {', '.join(RESPONSE_TYPES)}",
        )
    return accept


def _search_request(
    version: str, given: dict[str, str], escaping: str, media_type: str
) -> SruRequest:
    query = given.get("query")
    if query is None or not query.strip():
        raise Diagnostic(Code.MANDATORY_PARAMETER_MISSING, "query")
    if given.get("queryType", "cql") != "cql":
        raise Diagnostic(
            Code.UNSUPPORTED_PARAMETER_VALUE, "queryType", "only CQL queries are supported"
        )
    if "recordXPath" in given:
        raise Diagnostic(Code.XPATH_UNSUPPORTED, given["recordXPath"])
    if "sortKeys" in given:
        raise Diagnostic(
            Code.SORT_NOT_SUPPORTED, given["sortKeys"], "sort with CQL's sortby instead"
        )
    start = _number(given, "startRecord", minimum=1)
    maximum = _number(given, "maximumRecords", minimum=0)
    schema_name = given.get("recordSchema")
    schema = RecordSchema.MARCXML
    if schema_name is not None:
        found = _SCHEMA_NAMES.get(schema_name.lower())
        if found is None:
            raise Diagnostic(
                Code.UNKNOWN_SCHEMA,
                schema_name,
                "record schemas: marcxml (info:srw/schema/1/marcxml-v1.1), "
                "dc (info:srw/schema/1/dc-v1.1)",
            )
        schema = found
    return SruRequest(
        version,
        Operation.SEARCH_RETRIEVE,
        query=query,
        start_record=1 if start is None else start,
        maximum_records=maximum,
        schema=schema,
        escaping=escaping,
        media_type=media_type,
    )


def _number(given: dict[str, str], name: str, *, minimum: int) -> int | None:
    text = given.get(name)
    if text is None:
        return None
    if not text.strip().isdigit() or len(text.strip()) > 9 or int(text) < minimum:
        raise Diagnostic(
            Code.UNSUPPORTED_PARAMETER_VALUE,
            name,
            f"{name} must be a whole number of at least {minimum}",
        )
    return int(text)
