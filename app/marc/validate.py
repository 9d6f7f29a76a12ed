"""Rules a record must meet before it is stored, and the softer ones worth telling about.

Errors (block storing): a structure MARCXML cannot hold (leader, tag, indicator, subfield
code, data field without subfields, forbidden character), a bibliographic record without
245, an ISBN in 020 $a or an ISSN in 022 $a whose check digit is wrong.
Warnings: anything else that looks wrong but is common in real, usable records: U+FFFD in
the text, an 020 $a / 022 $a that holds no number at all or an impossible one, 008 of the
wrong length or missing, a repeated 245 or 001/003/005/008.
"""

from __future__ import annotations

from stdnum import isbn, issn
from stdnum.exceptions import InvalidChecksum, ValidationError

from app.marc.problems import MarcProblem, error, warning
from app.marc.records import Field, Record, Subfield, indicators_of, is_control_tag, leader_of
from app.marc.slim import DATA_TAG, FORBIDDEN_CHARACTERS, INDICATORS, LEADER, SUBFIELD_CODES
from app.marc.standard_numbers import isbn_candidate, issn_candidate, valid_isbn13

BIBLIOGRAPHIC_TYPES = frozenset("acdefgijkmoprt")
# Authority z; holdings u v x y; classification w; community information q; and b, archival
# material, obsolete since 1995 but still in real catalogues (Duke's, in the corpus).
MARC21_RECORD_TYPES = BIBLIOGRAPHIC_TYPES | frozenset("zuvxywqb")
HOLDINGS_TYPES = frozenset("uvxy")
AUTHORITY_TYPES = frozenset("z")
_NON_REPEATABLE_CONTROL = ("001", "003", "005", "008")


def validate(record: Record, *, normalized: bool = False) -> tuple[MarcProblem, ...]:
    """Check a record; return its errors and warnings, each with its tag ("LDR" for the leader).

    Positions are None: the caller knows where the record came from. Records as read()
    returns them are already normalised, so structural errors only come from records built
    or edited in code; for a record known `normalized`, the structure of its fields is not
    checked again (the same problems are found, faster). Authority, holdings and other
    non-bibliographic records (leader/06 z, u, v, x, y, q, w) need no 245.
    """
    problems: list[MarcProblem] = []
    leader = leader_of(record)
    if not LEADER.match(leader):
        problems.append(
            error("invalid-leader", f"leader {leader!r} is not a valid MARC 21 leader", tag="LDR")
        )
    check = _check_replacements if normalized else _check_field
    for field in record.fields:
        check(field, problems)
    record_type = leader[6:7]
    if record_type not in MARC21_RECORD_TYPES:
        message = f"leader/06 {record_type!r} is not a MARC 21 type of record (UNIMARC?)"
        problems.append(error("record-type", message, tag="LDR"))
    counts: dict[str, int] = {}
    for field in record.fields:
        counts[field.tag] = counts.get(field.tag, 0) + 1
    if record_type in BIBLIOGRAPHIC_TYPES:
        if not counts.get("245"):
            problems.append(
                error("missing-245", "a bibliographic record needs a title (245)", tag="245")
            )
        elif counts["245"] > 1:
            problems.append(warning("repeated-245", "245 is not repeatable", tag="245"))
    for tag in _NON_REPEATABLE_CONTROL:
        if counts.get(tag, 0) > 1:
            problems.append(warning("repeated-field", f"{tag} is not repeatable", tag=tag))
    _check_008(record, record_type, problems)
    for field in record.fields:
        if field.tag == "020" and not field.control_field:
            for sub in field.subfields:
                if sub.code == "a":
                    _check_standard_number(sub.value, problems, tag="020", kind="isbn")
        elif field.tag == "022" and not field.control_field:
            for sub in field.subfields:
                if sub.code == "a":
                    _check_standard_number(sub.value, problems, tag="022", kind="issn")
    return tuple(problems)


def _check_field(field: Field, problems: list[MarcProblem]) -> None:
    tag = str(field.tag)
    if field.control_field:
        if not (is_control_tag(tag) and tag != "000"):
            problems.append(error("invalid-tag", f"{tag!r} is not a control field tag", tag=tag))
        _check_text(field.data or "", tag, tag, problems)
        return
    if not DATA_TAG.match(tag) or is_control_tag(tag):
        problems.append(error("invalid-tag", f"{tag!r} is not a data field tag", tag=tag))
    for which, indicator in enumerate(indicators_of(field), start=1):
        if indicator not in INDICATORS or len(indicator) != 1:
            message = f"{tag} indicator {which} {indicator!r} is not a MARC 21 indicator"
            problems.append(error("invalid-indicator", message, tag=tag))
    subfields = field.subfields
    if not subfields:
        problems.append(error("empty-field", f"{tag} has no subfields", tag=tag))
    elif _all_clean(subfields):
        return
    for sub in subfields:
        if len(sub.code) != 1 or sub.code not in SUBFIELD_CODES:
            message = f"{tag}: subfield code {sub.code!r} is not valid"
            problems.append(error("invalid-subfield-code", message, tag=tag))
        _check_text(sub.value, f"{tag} ${sub.code}", tag, problems)


def _check_replacements(field: Field, problems: list[MarcProblem]) -> None:
    """What _check_field finds in a field normalize() has made: U+FFFD in its text, if any."""
    tag = field.tag
    if field.control_field:
        if "\ufffd" in (field.data or ""):
            _check_text(field.data or "", tag, tag, problems)
        return
    if any("\ufffd" in value for _, value in field.subfields):
        for sub in field.subfields:
            _check_text(sub.value, f"{tag} ${sub.code}", tag, problems)


def _all_clean(subfields: list[Subfield]) -> bool:
    """Whether no subfield has a problem, checked for the whole field at once (the common
    case); the subfields are then looked at one by one only to say what is wrong."""
    if not SUBFIELD_CODES.issuperset([code for code, _ in subfields]):
        return False
    text = "\n".join([value for _, value in subfields])  # a line feed is allowed text
    return "\ufffd" not in text and not FORBIDDEN_CHARACTERS.search(text)


def _check_text(text: str, where: str, tag: str, problems: list[MarcProblem]) -> None:
    if "\ufffd" in text:
        message = f"{where}: contains U+FFFD, a character lost in an earlier conversion"
        problems.append(warning("replacement-character", message, tag=tag))
    if FORBIDDEN_CHARACTERS.search(text):
        message = f"{where}: contains characters MARC/XML cannot hold"
        problems.append(error("forbidden-character", message, tag=tag))


def _check_008(record: Record, record_type: str, problems: list[MarcProblem]) -> None:
    if record_type in HOLDINGS_TYPES:
        expected = 32
    elif record_type in BIBLIOGRAPHIC_TYPES or record_type in AUTHORITY_TYPES:
        expected = 40
    else:
        return
    fixed = [f for f in record.fields if f.tag == "008" and f.control_field]
    if not fixed:
        problems.append(warning("missing-008", "no fixed-length data elements (008)", tag="008"))
        return
    length = len(fixed[0].data or "")
    if length != expected:
        message = f"008 is {length} characters long; this kind of record needs {expected}"
        problems.append(warning("008-length", message, tag="008"))


def _check_standard_number(value: str, problems: list[MarcProblem], *, tag: str, kind: str) -> None:
    """Check one 020 $a (kind "isbn") or 022 $a (kind "issn") with python-stdnum."""
    candidate = isbn_candidate(value) if kind == "isbn" else issn_candidate(value)
    if kind == "isbn" and candidate is not None and valid_isbn13(candidate):
        return
    name = kind.upper()
    if candidate is None:
        message = f"{tag} $a {value!r}: no {name} found (a cancelled {name} belongs in $z)"
        problems.append(warning(f"{kind}-format", message, tag=tag))
        return
    try:
        (isbn if kind == "isbn" else issn).validate(candidate)
    except InvalidChecksum:
        message = f"{tag} $a {candidate}: bad check digit"
        problems.append(error(f"{kind}-check-digit", message, tag=tag))
    except ValidationError as exc:
        message = f"{tag} $a {candidate}: not a valid {name} ({exc})"
        problems.append(warning(f"{kind}-format", message, tag=tag))
