"""Which MARC format a request body is in, and which one the client wants back."""

from dataclasses import dataclass

from app import marc
from app.api.errors import NotAcceptable, UnsupportedMediaType

ENVELOPE = "application/json"

# Media types a body may declare; None means "detect the format from the bytes".
_BODY_TYPES: dict[str, marc.Format | None] = {
    "application/marc": marc.Format.MRC,
    "application/marcxml+xml": marc.Format.MARCXML,
    "application/xml": marc.Format.MARCXML,
    "text/xml": marc.Format.MARCXML,
    "application/marc+json": marc.Format.JSON,
    "application/json": marc.Format.JSON,
    "text/x-marc-mnemonic": marc.Format.MRK,
    "text/plain": marc.Format.MRK,
    "application/octet-stream": None,
    # What `curl --data-binary` sends when nobody says otherwise.
    "application/x-www-form-urlencoded": None,
}

# Media types a client may ask for, in the order offered; the envelope is the default.
_OFFERED: dict[str, marc.Format | None] = {
    ENVELOPE: None,
    "application/marc+json": marc.Format.JSON,
    "application/marcxml+xml": marc.Format.MARCXML,
    "application/xml": marc.Format.MARCXML,
    "text/xml": marc.Format.MARCXML,
    "application/marc": marc.Format.MRC,
    "text/x-marc-mnemonic": marc.Format.MRK,
    "text/plain": marc.Format.MRK,
}

BODY_MEDIA_TYPES = [t for t in _BODY_TYPES if t != "application/x-www-form-urlencoded"]


def media_type(fmt: marc.Format) -> str:
    """The Content-Type of a record download: text formats say they are UTF-8."""
    return fmt.media_type if fmt is marc.Format.MRC else f"{fmt.media_type}; charset=utf-8"


def body_format(content_type: str | None) -> marc.Format | None:
    """The format a body declares, or None to detect it. Raises UnsupportedMediaType."""
    if not content_type:
        return None
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type not in _BODY_TYPES:
        raise UnsupportedMediaType(media_type, BODY_MEDIA_TYPES)
    charset = _charset(parameters)
    if charset is not None and charset not in ("utf-8", "utf8"):
        # MARC text formats here are UTF-8 (MARC-8 lives inside ISO 2709); decoding another
        # charset as UTF-8 would store mojibake.
        raise UnsupportedMediaType(f"{media_type}; charset={charset}", ["charset=utf-8"])
    return _BODY_TYPES[media_type]


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


@dataclass(frozen=True, slots=True)
class _Range:
    media_type: str
    quality: float
    order: int


def _parse_accept(accept: str) -> list[_Range]:
    ranges = []
    for order, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append(_Range(pieces[0].lower(), quality, order))
    return ranges


def _matches(media_range: str, offered: str) -> bool:
    if media_range in ("*/*", offered):
        return True
    kind, _, subtype = media_range.partition("/")
    return subtype == "*" and offered.startswith(kind + "/")


def _specificity(media_range: str) -> int:
    return 0 if media_range == "*/*" else 1 if media_range.endswith("/*") else 2


def negotiate(
    named: marc.Format | None,
    accept: str | None,
    *,
    unavailable: frozenset[marc.Format] = frozenset(),
) -> marc.Format | None:
    """The download format for a record: ?format= first, then Accept; None means the envelope.

    A format in `unavailable` (.mrc of a record too long for it) is passed over for the next one
    Accept allows; when Accept allows nothing else it is still chosen, so that the caller can
    say why it cannot be served. Raises NotAcceptable when Accept allows nothing offered."""
    if named is not None or not accept:
        return named
    ranges = _parse_accept(accept)
    available = {t: f for t, f in _OFFERED.items() if f not in unavailable}
    for offers in (available, _OFFERED):
        found, choice = _best(ranges, offers)
        if found:
            return choice
    raise NotAcceptable(accept, list(_OFFERED))


def _best(
    ranges: list[_Range], offers: dict[str, marc.Format | None]
) -> tuple[bool, marc.Format | None]:
    best: tuple[float, int] | None = None
    choice: marc.Format | None = None
    for position, (offered, fmt) in enumerate(offers.items()):
        # RFC 9110 §12.5.1: a type's quality is that of the most specific range matching it,
        # so "application/json;q=0, */*" excludes the envelope.
        matching = [r for r in ranges if _matches(r.media_type, offered)]
        if not matching:
            continue
        quality = max(matching, key=lambda r: _specificity(r.media_type)).quality
        if quality <= 0:
            continue
        key = (quality, -position)
        if best is None or key > best:
            best, choice = key, fmt
    return best is not None, choice
