"""ISBN, ISSN and LCCN as catalogues write them, reduced to one comparable form."""

from __future__ import annotations

import re

from stdnum import isbn, issn

# Ten or thirteen digits (the last may be X), hyphens or single spaces between them, not
# glued to further digits: "978-604-1-23456-7 (pbk.)" or "ISBN 0 306 40615 2".
_ISBN = re.compile(r"(?<![0-9])(?:[0-9][ -]?){9}(?:(?:[0-9][ -]?){3})?[0-9Xx](?![0-9])")
_ISSN = re.compile(r"(?<![0-9])[0-9]{4}[ -]?[0-9]{3}[0-9Xx](?![0-9Xx])")
_LCCN = re.compile(r"[a-z]{0,3}[0-9]{8}\Z|[a-z]{0,2}[0-9]{10}\Z")


def isbn_candidate(text: str) -> str | None:
    """Return the ISBN-looking digits in text (qualifiers and hyphens dropped), if any."""
    match = _ISBN.search(text)
    if match is None:
        return None
    return re.sub(r"[ -]", "", match.group()).upper()


def normalize_isbn(text: str) -> str | None:
    """Return the ISBN in text as 13 digits without hyphens, or None if there is no valid one.

    Accepts ISBN-10 or ISBN-13, with hyphens or spaces and qualifiers such as "(pbk.)".
    """
    candidate = isbn_candidate(text)
    if candidate is None:
        return None
    if valid_isbn13(candidate):
        return candidate
    if not isbn.is_valid(candidate):
        return None
    return str(isbn.to_isbn13(candidate))


def valid_isbn13(candidate: str) -> bool:
    """Whether a candidate (isbn_candidate's digits) is a valid ISBN-13, checked in a few
    operations; False says only "ask python-stdnum", which also knows ISBN-10 and says why."""
    if len(candidate) != 13 or not candidate.isdigit() or candidate[:3] not in ("978", "979"):
        return False
    odd = sum(map(int, candidate[0:12:2]))
    even = sum(map(int, candidate[1:12:2]))
    return (10 - (odd + 3 * even)) % 10 == int(candidate[12])


def issn_candidate(text: str) -> str | None:
    """Return the ISSN-looking characters in text as NNNN-NNNX, if any."""
    match = _ISSN.search(text)
    if match is None:
        return None
    digits = re.sub(r"[ -]", "", match.group()).upper()
    return f"{digits[:4]}-{digits[4:]}"


def normalize_issn(text: str) -> str | None:
    """Return the ISSN in text as NNNN-NNNX, or None if there is no valid one."""
    candidate = issn_candidate(text)
    if candidate is None or not issn.is_valid(candidate):
        return None
    return candidate


def normalize_lccn(text: str) -> str | None:
    """Normalise an LCCN by the Library of Congress rules, or return None if it is not one.

    Blanks are removed, then anything from a "/" on; a hyphen is removed and the digits
    after it are left-padded with zeros to six. The result must be a prefix of up to three
    letters and eight digits, or up to two letters and ten digits ("n78890351", "2001001114").
    """
    value = "".join(text.split()).lower()
    value = value.split("/", 1)[0]
    if "-" in value:
        before, _, after = value.partition("-")
        if after.isdigit() and len(after) < 6:
            after = after.zfill(6)
        value = before + after
    return value if _LCCN.match(value) else None


# "(OCoLC)ocm00012345", "(OCoLC) 12345", "ocm00012345": OCLC prints its prefixes by the number's
# length (ocm for eight digits, ocn for nine, on for ten and more) and catalogues copy them or
# not, with or without the leading zeros.
_SYSTEM_NUMBER = re.compile(r"\s*\(([^)]*)\)\s*(.*)", re.DOTALL)
_OCLC_NUMBER = re.compile(r"(?:ocm|ocn|on)?0*([0-9]+)", re.IGNORECASE)
_BARE_OCLC_NUMBER = re.compile(r"(?:ocm|ocn|on)0*([0-9]+)", re.IGNORECASE)
OCLC = "OCoLC"


def normalize_system_number(text: str) -> str:
    """A system control number (035 $a) in one comparable form: "(ORG)number" with no blanks
    around either, and an OCLC number as "(OCoLC)" and its digits, however it came.

    A number without "(ORG)" stays as it is (stripped): it is nobody's in particular, but for
    one with OCLC's own prefix ("ocm00012345"), which is OCLC's."""
    text = text.strip()
    found = _SYSTEM_NUMBER.fullmatch(text)
    if found is None:
        bare = _BARE_OCLC_NUMBER.fullmatch(text)
        return f"({OCLC}){bare.group(1)}" if bare else text
    org, number = found.group(1).strip(), found.group(2).strip()
    if org.casefold() == OCLC.casefold() and (oclc := _OCLC_NUMBER.fullmatch(number)):
        return f"({OCLC}){oclc.group(1)}"
    return f"({org}){number}"
