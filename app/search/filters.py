"""Filters of a query as SQL conditions on the record table, alike on every engine."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select

from app import marc
from app.db.identifiers import CANCELLED_ISBN, control_number_key, org_of
from app.db.models import MAX_KEY, Holding, Institution, RecordIdentifier, StoredRecord
from app.search.query import Filters, Status


def _has_identifier(*pairs: tuple[str, str]) -> ColumnElement[bool]:
    return StoredRecord.id.in_(
        select(RecordIdentifier.record_id).where(
            or_(
                *(
                    and_(RecordIdentifier.scheme == scheme, RecordIdentifier.value == value)
                    for scheme, value in pairs
                )
            )
        )
    )


def _control_number(text: str, org_code: str) -> ColumnElement[bool]:
    """001 of this catalogue (the record id), or a 035 of any other: "(ORG)n" or a bare n."""
    normalized = marc.normalize_system_number(text)
    org = org_of(normalized)
    key = control_number_key(text)
    condition = _has_identifier(("035", normalized) if org is not None else ("ctrl", key))
    if org in (None, org_code) and key.isdigit() and 0 < int(key) <= MAX_KEY:
        condition = or_(condition, StoredRecord.id == int(key))
    return condition


def _escaped_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def conditions(filters: Filters, *, org_code: str) -> list[ColumnElement[bool]]:
    """The WHERE conditions on StoredRecord that the filters stand for."""
    found: list[ColumnElement[bool]] = []
    if filters.status is Status.ACTIVE:
        found.append(StoredRecord.deleted_at.is_(None))
    elif filters.status is Status.DELETED:
        found.append(StoredRecord.deleted_at.is_not(None))
    elif filters.status is Status.CIP:
        found.extend((StoredRecord.deleted_at.is_(None), StoredRecord.status == Status.CIP.value))
    if filters.isbn is not None:
        # A cancelled ISBN (020 $z) still finds its book: a CIP ISBN changed at printing.
        found.append(_has_identifier(("isbn", filters.isbn), (CANCELLED_ISBN, filters.isbn)))
    for scheme, value in (("issn", filters.issn), ("lccn", filters.lccn)):
        if value is not None:
            found.append(_has_identifier((scheme, value)))
    if filters.control_number is not None:
        text = filters.control_number.strip()
        found.append(_control_number(text, org_code) if text else false())
    if filters.ddc:
        found.append(StoredRecord.ddc.like(_escaped_prefix(filters.ddc), escape="\\"))
    if filters.language:
        found.append(StoredRecord.language == filters.language.lower())
    if filters.year_from is not None:
        found.append(StoredRecord.year >= filters.year_from)
    if filters.year_to is not None:
        found.append(StoredRecord.year <= filters.year_to)
    if filters.material:
        found.append(StoredRecord.material == filters.material)
    if filters.updated_since is not None:
        found.append(StoredRecord.updated_at >= filters.updated_since)
    if filters.updated_before is not None:
        found.append(StoredRecord.updated_at < filters.updated_before)
    if filters.held_by is not None:
        found.append(
            StoredRecord.id.in_(
                select(Holding.record_id)
                .join(Institution, Institution.id == Holding.institution_id)
                .where(Institution.code == filters.held_by)
            )
        )
    return found
