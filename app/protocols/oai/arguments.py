"""An OAI-PMH request's arguments, checked as the protocol asks (sections 3.1, 3.6 and 4).

Arguments are read from the raw query string or form body, not from a framework's parsed
mapping, because the protocol's errors depend on what such mappings hide: a repeated argument,
an empty one, bytes that are not UTF-8.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl

from app.protocols.oai.dates import BadDate, window

MAX_ARGUMENTS = 50
# What XML 1.0 can carry: an argument with anything else could not be echoed or quoted.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# metadataPrefix and setSpec as OAI-PMH.xsd defines them.
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+\Z")
SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*\Z")

IDENTIFY = "Identify"
LIST_METADATA_FORMATS = "ListMetadataFormats"
LIST_SETS = "ListSets"
GET_RECORD = "GetRecord"
LIST_IDENTIFIERS = "ListIdentifiers"
LIST_RECORDS = "ListRecords"
RESUMPTION_TOKEN = "resumptionToken"  # noqa: S105 - an argument name, not a secret


class ErrorCode(StrEnum):
    """The error codes of OAI-PMH 2.0, section 3.6."""

    BAD_ARGUMENT = "badArgument"
    BAD_RESUMPTION_TOKEN = "badResumptionToken"  # noqa: S105 - an error code, not a secret
    BAD_VERB = "badVerb"
    CANNOT_DISSEMINATE_FORMAT = "cannotDisseminateFormat"
    ID_DOES_NOT_EXIST = "idDoesNotExist"
    NO_RECORDS_MATCH = "noRecordsMatch"
    NO_METADATA_FORMATS = "noMetadataFormats"
    NO_SET_HIERARCHY = "noSetHierarchy"


@dataclass(frozen=True, slots=True)
class OaiError:
    """One error of a response: its code and, for people, what was wrong."""

    code: ErrorCode
    message: str


class OaiFailure(Exception):
    """A request answered with errors instead of its verb's element."""

    def __init__(self, *errors: OaiError) -> None:
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in errors))
        self.errors = errors

    @property
    def echoes_arguments(self) -> bool:
        """Whether <request> may repeat the arguments: not when they were the problem (3.2)."""
        return not any(e.code in (ErrorCode.BAD_VERB, ErrorCode.BAD_ARGUMENT) for e in self.errors)


def failure(code: ErrorCode, message: str) -> OaiFailure:
    """A failure with one error."""
    return OaiFailure(OaiError(code, message))


@dataclass(frozen=True, slots=True)
class VerbArguments:
    """The arguments a verb takes; an exclusive argument comes alone (besides verb)."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    exclusive: str | None = None

    @property
    def allowed(self) -> frozenset[str]:
        extra = {self.exclusive} if self.exclusive else set()
        return self.required | self.optional | extra


_LISTS = VerbArguments(
    required=frozenset({"metadataPrefix"}),
    optional=frozenset({"from", "until", "set"}),
    exclusive=RESUMPTION_TOKEN,
)
VERBS: dict[str, VerbArguments] = {
    IDENTIFY: VerbArguments(),
    LIST_METADATA_FORMATS: VerbArguments(optional=frozenset({"identifier"})),
    LIST_SETS: VerbArguments(exclusive=RESUMPTION_TOKEN),
    GET_RECORD: VerbArguments(required=frozenset({"identifier", "metadataPrefix"})),
    LIST_IDENTIFIERS: _LISTS,
    LIST_RECORDS: _LISTS,
}


@dataclass(frozen=True, slots=True)
class OaiRequest:
    """A request whose verb and arguments are well formed, in the order they were given."""

    verb: str
    arguments: tuple[tuple[str, str], ...]  # verb included

    def get(self, name: str) -> str | None:
        """The value of an argument, or None when it was not given."""
        for key, value in self.arguments:
            if key == name:
                return value
        return None


def parse_arguments(encoded: bytes) -> tuple[tuple[str, str], ...]:
    """Decode a query string or application/x-www-form-urlencoded body into (name, value) pairs.

    Raises OaiFailure (badArgument) for what cannot be read: bytes or escapes that are not
    UTF-8, characters XML cannot carry, too many arguments."""
    try:
        pairs = parse_qsl(
            encoded.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_ARGUMENTS,
        )
    except ValueError:  # UnicodeDecodeError included
        raise failure(
            ErrorCode.BAD_ARGUMENT,
            f"the arguments are not UTF-8 form-encoded pairs (at most {MAX_ARGUMENTS})",
        ) from None
    if any(_NOT_XML.search(name) or _NOT_XML.search(value) for name, value in pairs):
        raise failure(ErrorCode.BAD_ARGUMENT, "an argument holds characters XML cannot carry")
    return tuple(pairs)


def _verb(pairs: Sequence[tuple[str, str]]) -> str:
    verbs = [value for name, value in pairs if name == "verb"]
    if not verbs:
        raise failure(ErrorCode.BAD_VERB, "the verb argument is missing")
    if len(verbs) > 1:
        raise failure(ErrorCode.BAD_VERB, "the verb argument is repeated")
    if verbs[0] not in VERBS:
        raise failure(
            ErrorCode.BAD_VERB,
            f"{verbs[0]!r} is not an OAI-PMH verb; the verbs are {', '.join(VERBS)}",
        )
    return verbs[0]


def _argument_problems(verb: str, pairs: Sequence[tuple[str, str]]) -> list[str]:
    spec = VERBS[verb]
    given = Counter(name for name, _ in pairs if name != "verb")
    problems = [f"{verb} takes no argument {name!r}" for name in given if name not in spec.allowed]
    problems += [f"the argument {name} is repeated" for name, n in given.items() if n > 1]
    if spec.exclusive and spec.exclusive in given:
        others = sorted(set(given) - {spec.exclusive})
        if others:
            problems.append(
                f"{spec.exclusive} is exclusive: it comes with verb alone, not with "
                + ", ".join(others)
            )
        return problems
    problems += [
        f"{verb} needs the argument {name}" for name in sorted(spec.required) if name not in given
    ]
    return problems


def _value_problems(pairs: Sequence[tuple[str, str]]) -> list[str]:
    values = dict(pairs)
    problems = [f"the argument {name} is empty" for name, value in pairs if value == ""]
    prefix = values.get("metadataPrefix")
    if prefix and not _PREFIX.match(prefix):
        problems.append(f"{prefix!r} is not a metadataPrefix")
    set_spec = values.get("set")
    if set_spec and not SET_SPEC.match(set_spec):
        problems.append(f"{set_spec!r} is not a setSpec")
    if values.get("from") or values.get("until"):
        try:
            window(values.get("from") or None, values.get("until") or None)
        except BadDate as error:
            problems.append(str(error))
    return problems


def check(pairs: Sequence[tuple[str, str]]) -> OaiRequest:
    """The request these arguments make, if well formed.

    Raises OaiFailure with badVerb (missing, repeated or unknown verb) or with one badArgument
    per problem (unknown, repeated, missing or malformed arguments, an exclusive argument with
    others, dates of two granularities or in the wrong order)."""
    verb = _verb(pairs)
    problems = _argument_problems(verb, pairs)
    if not problems:
        problems = _value_problems(pairs)
    if problems:
        raise OaiFailure(*(OaiError(ErrorCode.BAD_ARGUMENT, p) for p in problems))
    return OaiRequest(verb=verb, arguments=tuple(pairs))
