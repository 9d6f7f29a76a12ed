"""MARC 21 for the union catalogue: read, write, normalise, validate, summarise, fold.

The rest of the application imports MARC things from here only, never pymarc.
"""

from app.marc.attribution import HeldCopy, attribute, with_holdings
from app.marc.canonical import StoredForm, stored_form
from app.marc.detect import detect_format
from app.marc.diff import FieldChange, diff
from app.marc.dublin_core import dublin_core
from app.marc.fold import fold
from app.marc.formats import Format
from app.marc.identity import assign_identity, format_005, mark_deleted, stamp
from app.marc.iso2709 import set_iso2709_lengths
from app.marc.marcjson import from_stored_json, to_json
from app.marc.merge import content_fingerprint, keep_local_fields, same_content, tag_matches
from app.marc.mnemonic import to_mnemonic_line
from app.marc.normalize import normalize
from app.marc.parsed import ParsedRecord, RawRecord
from app.marc.prepublication import (
    ROLES,
    CipData,
    Contributor,
    InvalidCipData,
    NotPrepublication,
    PublicationFacts,
    check_cip_data,
    check_publication_facts,
    is_prepublication,
    prepublication_record,
    publish_record,
)
from app.marc.problems import (
    InvalidRecord,
    MarcError,
    MarcProblem,
    RecordTooLong,
    UnreadableRecord,
)
from app.marc.reading import parse, read, read_one, read_pieces
from app.marc.records import Field, Indicators, Record, Subfield, indicators_of
from app.marc.search_text import MATERIAL_NAMES, SearchText, filing_title, material, search_text
from app.marc.standard_numbers import (
    normalize_isbn,
    normalize_issn,
    normalize_lccn,
    normalize_system_number,
)
from app.marc.summary import RecordSummary, subject_heading, summarize, trim_punctuation
from app.marc.validate import validate
from app.marc.writing import marcxml_element, write, write_collection, write_stored_collection

__all__ = [
    "MATERIAL_NAMES",
    "ROLES",
    "CipData",
    "Contributor",
    "Field",
    "FieldChange",
    "Format",
    "HeldCopy",
    "Indicators",
    "InvalidCipData",
    "InvalidRecord",
    "MarcError",
    "MarcProblem",
    "NotPrepublication",
    "ParsedRecord",
    "PublicationFacts",
    "RawRecord",
    "Record",
    "RecordSummary",
    "RecordTooLong",
    "SearchText",
    "StoredForm",
    "Subfield",
    "UnreadableRecord",
    "assign_identity",
    "attribute",
    "check_cip_data",
    "check_publication_facts",
    "content_fingerprint",
    "detect_format",
    "diff",
    "dublin_core",
    "filing_title",
    "fold",
    "format_005",
    "from_stored_json",
    "indicators_of",
    "is_prepublication",
    "keep_local_fields",
    "marcxml_element",
    "mark_deleted",
    "material",
    "normalize",
    "normalize_isbn",
    "normalize_issn",
    "normalize_lccn",
    "normalize_system_number",
    "parse",
    "prepublication_record",
    "publish_record",
    "read",
    "read_one",
    "read_pieces",
    "same_content",
    "search_text",
    "set_iso2709_lengths",
    "stamp",
    "stored_form",
    "subject_heading",
    "summarize",
    "tag_matches",
    "to_json",
    "to_mnemonic_line",
    "trim_punctuation",
    "validate",
    "with_holdings",
    "write",
    "write_collection",
    "write_stored_collection",
]
