"""A record made ready to store, without the database: what a bulk import does in other
processes, ahead of its writer.

Apart from app.services.records so that those processes import only this (no SQLAlchemy, no
driver): each holds the modules it imports for as long as it lives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from app import marc
from app.db.identifiers import CONTENT_KEY, identifier_pairs
from app.plain_data import PlainData
from app.search.collation import title_sort_key
from app.search.document import SearchDocument, search_document


@dataclass(frozen=True, slots=True)
class PreparedRecord(PlainData):
    """A record made ready to store under any number: everything stored about it but its
    number (001) and the time of the write (005), computed once (see prepare_record).

    Plain data: a bulk import prepares records in other processes, ahead of its writer."""

    form: marc.StoredForm
    columns: dict[str, Any]  # the record's columns but its stored forms (title, year, …)
    identifiers: tuple[tuple[str, str], ...]  # distinct; the content fingerprint last
    document: SearchDocument  # for record number 0: the writer sets the number


def prepare_record(
    record: marc.Record,
    *,
    org_code: str,
    summary: marc.RecordSummary | None = None,
    number_width: int = 1,
    field_bytes: tuple[bytes, ...] | None = None,
) -> PreparedRecord:
    """Prepare a record as read() returns it (normalised) for storage in this catalogue.

    `summary` is marc.summarize(record), when the caller has it already; `number_width` the
    number of digits its number will likely have, and `field_bytes` its fields as read (see
    marc.stored_form)."""
    summary = summary if summary is not None else marc.summarize(record)
    form = marc.stored_form(
        record, org_code=org_code, number_width=number_width, field_bytes=field_bytes
    )
    # Numbering changes 001, 003, 005 and may add an 035: of what is stored from the summary,
    # only the system numbers (035) differ from the incoming record's.
    numbered = dataclasses.replace(summary, control_numbers=form.control_numbers)
    return PreparedRecord(
        form=form,
        columns={
            "title": _clip(summary.title, 2000),
            "main_entry": _clip(summary.main_entry, 1000),
            "year": summary.year,
            "language": _clip(summary.language, 3),
            "publisher": _clip(summary.publisher, 1000),
            "ddc": _clip(summary.ddc, 100),
            "record_type": summary.record_type[:2],
            "material": summary.material,
            "title_key": title_sort_key(marc.filing_title(record)),
        },
        # The content fingerprint finds a record sent again even when it has no number.
        identifiers=(*dict.fromkeys(identifier_pairs(numbered)), (CONTENT_KEY, form.fingerprint)),
        document=search_document(0, record, year=summary.year),
    )


def accept(parsed: marc.ParsedRecord) -> tuple[marc.Record, tuple[marc.MarcProblem, ...]]:
    """The record and its warnings if it may be stored; raises InvalidRecord if not.

    Needs no database: a bulk import checks records in other processes."""
    problems = parsed.warnings + marc.validate(parsed.record, normalized=True)
    if any(p.severity == "error" for p in problems):
        raise marc.InvalidRecord(tuple(p.at(parsed.position) for p in problems))
    return parsed.record, problems


def _clip(text: str | None, length: int) -> str | None:
    return text[:length] if text is not None else None
