"""SRU diagnostics: the standard list's numbers (info:srw/diagnostic/1/N) that this server uses.

SRU clients act on the number, so every failure is reported as one of these inside a normal
SRU response, never as an HTTP error page.
"""

from __future__ import annotations

from enum import IntEnum

DIAGNOSTIC_SET = "info:srw/diagnostic/1/"


class Code(IntEnum):
    """Numbers and standard messages from the SRU diagnostics list."""

    GENERAL_SYSTEM_ERROR = 1
    UNSUPPORTED_OPERATION = 4
    UNSUPPORTED_VERSION = 5
    UNSUPPORTED_PARAMETER_VALUE = 6
    MANDATORY_PARAMETER_MISSING = 7
    UNSUPPORTED_PARAMETER = 8
    QUERY_SYNTAX_ERROR = 10
    TOO_MANY_CHARACTERS_IN_QUERY = 12
    UNSUPPORTED_CONTEXT_SET = 15
    UNSUPPORTED_INDEX = 16
    UNSUPPORTED_INDEX_COMBINATION = 18
    UNSUPPORTED_RELATION = 19
    UNSUPPORTED_RELATION_MODIFIER = 20
    UNSUPPORTED_RELATION_FOR_INDEX = 22
    UNSUPPORTED_RELATION_FOR_TERM = 24
    EMPTY_TERM = 27
    MASKING_NOT_SUPPORTED = 28
    ANCHORING_NOT_SUPPORTED = 31
    TERM_INVALID_FOR_INDEX = 36
    UNSUPPORTED_BOOLEAN = 37
    PROXIMITY_NOT_SUPPORTED = 39
    UNSUPPORTED_BOOLEAN_MODIFIER = 46
    QUERY_FEATURE_UNSUPPORTED = 48
    FIRST_RECORD_OUT_OF_RANGE = 61
    UNKNOWN_SCHEMA = 66
    UNSUPPORTED_RECORD_PACKING = 71
    XPATH_UNSUPPORTED = 72
    SORT_NOT_SUPPORTED = 80
    UNSUPPORTED_SORT_SEQUENCE = 82
    TOO_MANY_SORT_KEYS = 84
    UNSUPPORTED_SORT_DIRECTION = 90
    STYLESHEETS_NOT_SUPPORTED = 110


MESSAGES: dict[Code, str] = {
    Code.GENERAL_SYSTEM_ERROR: "General system error",
    Code.UNSUPPORTED_OPERATION: "Unsupported operation",
    Code.UNSUPPORTED_VERSION: "Unsupported version",
    Code.UNSUPPORTED_PARAMETER_VALUE: "Unsupported parameter value",
    Code.MANDATORY_PARAMETER_MISSING: "Mandatory parameter not supplied",
    Code.UNSUPPORTED_PARAMETER: "Unsupported parameter",
    Code.QUERY_SYNTAX_ERROR: "Query syntax error",
    Code.TOO_MANY_CHARACTERS_IN_QUERY: "Too many characters in query",
    Code.UNSUPPORTED_CONTEXT_SET: "Unsupported context set",
    Code.UNSUPPORTED_INDEX: "Unsupported index",
    Code.UNSUPPORTED_INDEX_COMBINATION: "Unsupported combination of indexes",
    Code.UNSUPPORTED_RELATION: "Unsupported relation",
    Code.UNSUPPORTED_RELATION_MODIFIER: "Unsupported relation modifier",
    Code.UNSUPPORTED_RELATION_FOR_INDEX: "Unsupported combination of relation and index",
    Code.UNSUPPORTED_RELATION_FOR_TERM: "Unsupported combination of relation and term",
    Code.EMPTY_TERM: "Empty term unsupported",
    Code.MASKING_NOT_SUPPORTED: "Masking character not supported",
    Code.ANCHORING_NOT_SUPPORTED: "Anchoring character not supported",
    Code.TERM_INVALID_FOR_INDEX: "Term in invalid format for index or relation",
    Code.UNSUPPORTED_BOOLEAN: "Unsupported boolean operator",
    Code.PROXIMITY_NOT_SUPPORTED: "Proximity not supported",
    Code.UNSUPPORTED_BOOLEAN_MODIFIER: "Unsupported boolean modifier",
    Code.QUERY_FEATURE_UNSUPPORTED: "Query feature unsupported",
    Code.FIRST_RECORD_OUT_OF_RANGE: "First record position out of range",
    Code.UNKNOWN_SCHEMA: "Unknown schema for retrieval",
    Code.UNSUPPORTED_RECORD_PACKING: "Unsupported record packing",
    Code.XPATH_UNSUPPORTED: "XPath retrieval unsupported",
    Code.SORT_NOT_SUPPORTED: "Sort not supported",
    Code.UNSUPPORTED_SORT_SEQUENCE: "Unsupported sort sequence",
    Code.TOO_MANY_SORT_KEYS: "Too many sort keys to sort",
    Code.UNSUPPORTED_SORT_DIRECTION: "Unsupported direction",
    Code.STYLESHEETS_NOT_SUPPORTED: "Stylesheets not supported",
}


class Diagnostic(Exception):
    """A fatal diagnostic: the request cannot be answered with records.

    `details` is what the list asks for (the parameter's name, the index, the character
    offset of a syntax error); `message` says it in words for a person reading the response."""

    def __init__(self, code: Code, details: str | None = None, message: str | None = None) -> None:
        super().__init__(f"{int(code)} {MESSAGES[code]}: {details or ''}")
        self.code = code
        self.details = details
        self.message = message or MESSAGES[code]

    @property
    def uri(self) -> str:
        return f"{DIAGNOSTIC_SET}{int(self.code)}"
