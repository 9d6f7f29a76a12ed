"""What MARC21slim.xsd and XML 1.0 allow in a record: the shapes normalize() enforces."""

from __future__ import annotations

import re

# Characters XML 1.0 cannot carry (C0 controls but tab, LF and CR, which also covers the
# ISO 2709 delimiters 0x1D-0x1F; U+FFFE, U+FFFF; lone surrogates).
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The same in the data of an ISO 2709 record, where 0x1E and 0x1F end fields and start subfields.
FORBIDDEN_IN_ISO2709_DATA = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1d\ufffe\uffff\ud800-\udfff]")
# tagDataType; a digits-only tag below 010 is a control field for pymarc, so not here.
DATA_TAG = re.compile(
    r"(?:0[1-9A-Z][0-9A-Z]|0[1-9a-z][0-9a-z]|[1-9A-Z][0-9A-Z]{2}|[1-9a-z][0-9a-z]{2})\Z"
)
# controltagDataType allows 00A-00z too, but pymarc would hold those as data fields.
CONTROL_TAG = re.compile(r"00[1-9]\Z")
INDICATORS = frozenset("0123456789abcdefghijklmnopqrstuvwxyz ")
SUBFIELD_CODES = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?{}_^`~[]\\"
)
LEADER_CHARACTERS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# leaderDataType, narrowed to what this catalogue writes: true lengths, UTF-8, 22, 4500.
LEADER = re.compile(
    r"[0-9]{5}[0-9A-Za-z ][0-9A-Za-z][0-9A-Za-z ]{2}a22[0-9]{5}[0-9A-Za-z ]{3}4500\Z"
)


# Signs that others' data writes for a blank: '#' as MARC 21's documentation prints one, a
# backslash as MarcEdit's mnemonic form and FOLIO's MARC-in-JSON do, a no-break space. Read as
# the blank they stand for, nothing is guessed (unlike any other character where one belongs).
BLANK_SIGNS = frozenset("#\\\u00a0")
# The fixed-length control fields: every position a code or a blank, none of them a sign above.
FIXED_LENGTH_TAGS = frozenset(("006", "007", "008"))
_BLANK_SIGN = re.compile(f"[{re.escape(''.join(sorted(BLANK_SIGNS)))}]")


def blank_signs_in(tag: str, data: str) -> bool:
    """Whether a control field holds signs for a blank where a blank belongs (see BLANK_SIGNS)."""
    return tag in FIXED_LENGTH_TAGS and _BLANK_SIGN.search(data) is not None


def blanks_for_signs(data: str) -> str:
    """A fixed-length field's data with its signs for a blank made blanks."""
    return _BLANK_SIGN.sub(" ", data)


def only_blanks(text: str) -> bool:
    """Whether text is blanks and signs for a blank only: dropping it loses nothing."""
    return not text.strip("".join((" ", *BLANK_SIGNS)))
