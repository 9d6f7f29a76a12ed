"""The CIP block: a catalogue record as the publisher prints it on the book's verso.

Layout, after the blocks the Vietnamese National Library gives publishers, in ISBD:

    Biên mục trên xuất bản phẩm của Thư viện Quốc gia Việt Nam       (heading, configurable)

    Nguyễn Thị Hường                                                  (main entry, 1XX)
        Lịch sử Thư viện Việt Nam : từ khởi thủy… / Nguyễn Thị Hường ; Dịch: Đặng Văn Đức.
        - Tái bản lần thứ 2. - Hà Nội : Nxb. Đại học Quốc gia Hà Nội, 2025. - 320 tr. ;
        21 cm. - (Tủ sách Thư viện học ; 3)                           (245 250 264 300 490)
        Thư mục: tr. 301-318.                                         (notes, 500/502/504/505/546)
        ISBN 978-604-62-1234-8                                        (020, hyphenated)
        1. Thư viện học -- Lịch sử -- Việt Nam. I. Đặng Văn Đức. II. Lịch sử Thư viện Việt Nam.
        027.0597 - dc23                                               (082 $a - dc + $2)
        CIP-2025-000123                                               (001, as it is)

Tracings: Arabic numbers for subjects (the cataloguer's 6XX headings; the publisher's 653
keywords only when there is no heading, as they would repeat them), Roman numbers for
added entries (7XX), then the title when it is not the main entry (245 first indicator 1),
then traced series (8XX); a 490 0_ series is untraced, as MARC says. The summary (520) and
audience (521) stay out: the block describes the book, the cover sells it. The record's
control number (001) closes the block as the CIP number, without a label, right-aligned in
HTML and PDF, where the library prints its CIP number. Every part is optional: a missing one
leaves no line, no empty separator.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import as_file, files
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos
from fpdf.fonts import TTFFont
from stdnum import isbn

from app import marc

DEFAULT_HEADING = "Biên mục trên xuất bản phẩm của Thư viện Quốc gia Việt Nam"
INDENT = "    "

# Source Serif Pro (SIL Open Font License), from the font-source-serif-pro package: a serif
# face like those blocks are printed in, whose cmap holds every precomposed Vietnamese letter.
FONT_PACKAGE = "font_source_serif_pro"
FONT_FILES = {"": "files/SourceSerifPro-Regular.ttf", "B": "files/SourceSerifPro-Bold.ttf"}
FONT_FAMILY = "SourceSerifPro"

_MAIN_ENTRY_CODES = {"100": "abcqd", "110": "abcdn", "111": "andc", "130": "anp"}
_ADDED_ENTRY_CODES = {
    "700": "abcqdt",
    "710": "abcdnt",
    "711": "andct",
    "720": "a",
    "730": "anp",
    "740": "anp",
}
_SERIES_ENTRY_CODES = {"800": "abcqdtv", "810": "abcdntv", "811": "andctv", "830": "anpv"}
_NOTE_TAGS = ("500", "502", "504", "505", "546")
_NOTE_SKIPPED = frozenset("35678")
# ISBD separators a subfield ends with when the record carries ISBD punctuation.
_SEPARATOR_ENDINGS = (":", "/", ";", "=", ",", ".", "+", "-")
_KEYWORDS = "653"
_BEFORE_PUNCTUATION = re.compile(r" (?=[:;=/](?: |$))")
_NUMBER_AND_UNIT = re.compile(r"([0-9]) (?=(?:tr|cm|tập|tờ|p|v|mm)\b)")
_TRAILING_SEPARATORS = re.compile(r"[\s/:;=,+]+\Z")
_ENDS_SENTENCE = (".", "?", "!")
_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


@dataclass(frozen=True, slots=True)
class CipBlock:
    """The parts of a CIP block, as printed (NFC text, ISBD punctuation, no markup).

    description is the title paragraph, its areas joined by ". - "; isbns are hyphenated,
    with their qualifiers ("978-604-62-1234-8 (bìa mềm)"); subjects and added_entries are
    the tracings without their numbers; classification is "027.0597 - dc23".
    """

    heading: str
    main_entry: str | None
    description: str
    notes: tuple[str, ...]
    isbns: tuple[str, ...]
    subjects: tuple[str, ...]
    added_entries: tuple[str, ...]
    classification: str | None
    control_number: str | None

    @property
    def tracing_items(self) -> tuple[str, ...]:
        """Each tracing with its number: ("1. Subject.", "I. Added entry.", "II. Title.")."""
        return (
            *(f"{number}. {_sentence(s)}" for number, s in enumerate(self.subjects, start=1)),
            *(
                f"{_roman(number)}. {_sentence(entry)}"
                for number, entry in enumerate(self.added_entries, start=1)
            ),
        )

    @property
    def tracings(self) -> str | None:
        """The numbered tracings on one line: "1. Subject. I. Added entry. II. Title."."""
        return " ".join(self.tracing_items) or None


def cip_block(record: marc.Record, *, heading: str = DEFAULT_HEADING) -> CipBlock:
    """Build the CIP block of a record (see the module's docstring for what comes from where).

    Works on any bibliographic record, with or without ISBD punctuation in its subfields;
    parts the record lacks are empty. Text is made NFC.
    """
    title = _first(record, "245")
    main_entry = next(
        (
            _joined(field, codes)
            for field in _data_fields(record)
            if (codes := _MAIN_ENTRY_CODES.get(field.tag))
        ),
        None,
    )
    return CipBlock(
        heading=_nfc(heading.strip()),
        main_entry=_nfc(main_entry) if main_entry else None,
        description=_nfc(_description(record)),
        notes=tuple(_nfc(note) for note in _notes(record)),
        isbns=tuple(_nfc(number) for number in _isbns(record)),
        subjects=_subjects(record),
        added_entries=_unique(_added_entries(record, title)),
        classification=_classification(record),
        control_number=_control_number(record),
    )


def block_lines(block: CipBlock) -> tuple[str, ...]:
    """The block's lines as block_text joins them: heading, a blank line, the main entry,
    then every other part indented by four spaces, one line per paragraph (never wrapped)."""
    lines = [block.heading, ""]
    if block.main_entry:
        lines.append(block.main_entry)
    paragraphs = [*_paragraphs(block, block.tracings), block.classification, block.control_number]
    lines.extend(INDENT + paragraph for paragraph in paragraphs if paragraph)
    return tuple(lines)


def block_text(block: CipBlock) -> str:
    """Render the block as plain text, lines ending in a newline (see block_lines)."""
    return "".join(line + "\n" for line in block_lines(block))


def block_html(block: CipBlock, *, document: bool = False) -> str:
    """Render the block as HTML: a bordered box with inline styles, every text escaped.

    A fragment (one <div>) to put in a page, or with document=True a complete UTF-8 HTML
    document holding it, for a browser to show or print.
    """
    paragraph = "margin:0 0 0.35em 1.5em"
    parts = [
        '<div class="cip-block" lang="vi" style="border:1px solid #000;padding:0.8em 1em;'
        "max-width:34em;font-family:'Source Serif Pro','Times New Roman',serif;"
        'font-size:10pt;line-height:1.4">',
        f'<p class="cip-heading" style="margin:0 0 0.8em;text-align:center;font-weight:bold">'
        f"{_escape(block.heading)}</p>",
    ]
    if block.main_entry:
        parts.append(f'<p class="cip-main-entry" style="margin:0">{_escape(block.main_entry)}</p>')
    if block.description:
        description = _escape(_unbreakable(block.description))
        parts.append(f'<p class="cip-description" style="{paragraph}">{description}</p>')
    parts.extend(
        f'<p class="cip-note" style="{paragraph}">{_escape(note)}</p>' for note in block.notes
    )
    parts.extend(
        f'<p class="cip-isbn" style="{paragraph}">ISBN {_escape(number)}</p>'
        for number in block.isbns
    )
    tracings = _unbroken_tracings(block)
    if tracings:
        parts.append(f'<p class="cip-tracings" style="{paragraph}">{_escape(tracings)}</p>')
    if block.classification or block.control_number:
        parts.append(
            f'<p class="cip-footer" style="{paragraph};display:flex;'
            'justify-content:space-between;gap:1em">'
            f'<span class="cip-classification">{_escape(block.classification or "")}</span>'
            f'<span class="cip-control-number">{_escape(block.control_number or "")}</span></p>'
        )
    parts.append("</div>")
    fragment = "\n".join(parts)
    if not document:
        return fragment + "\n"
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_escape(block.heading)}</title>\n</head>\n<body>\n{fragment}\n</body>\n</html>\n"
    )


def block_pdf(block: CipBlock, *, created: datetime | None = None) -> bytes:
    """Render the block as a one-page PDF the size of the box (120 mm wide, 10 mm margins).

    The Source Serif Pro font is embedded (subset to the letters used), so Vietnamese prints
    and extracts as text anywhere. created is the document's creation date, the time of
    rendering when None (PDF metadata must hold one); given, the same block and date always
    give the same bytes.
    """
    layout = _PdfLayout()
    with ExitStack() as stack:
        fonts = {
            style: stack.enter_context(as_file(files(FONT_PACKAGE) / name))
            for style, name in FONT_FILES.items()
        }
        # fpdf2 measures text only on a page, so a scratch document sizes the real one's page.
        scratch = _document(layout, fonts)
        stack.callback(_close_fonts, scratch)
        scratch.add_page()
        box_height = layout.padding * 2 + _render(scratch, block, layout, dry_run=True)
        pdf = _document(layout, fonts)
        stack.callback(_close_fonts, pdf)
        pdf.set_title(block.heading)
        pdf.set_lang("vi")
        pdf.set_creator("shared-catalog")
        if created is not None:
            pdf.set_creation_date(created)
        pdf.add_page(format=(layout.page_width, box_height + 2 * layout.margin))
        pdf.rect(layout.margin, layout.margin, layout.box_width, box_height)
        pdf.set_xy(layout.text_x, layout.margin + layout.padding)
        _render(pdf, block, layout, dry_run=False)
        return bytes(pdf.output())


@dataclass(frozen=True, slots=True)
class _PdfLayout:
    """Dimensions of the PDF block, in millimetres; font sizes in points."""

    margin: float = 10
    box_width: float = 120
    padding: float = 4
    indent: float = 5
    font_size: float = 9.5
    line_height: float = 4.4

    @property
    def page_width(self) -> float:
        return self.box_width + 2 * self.margin

    @property
    def text_x(self) -> float:
        return self.margin + self.padding

    @property
    def text_width(self) -> float:
        return self.box_width - 2 * self.padding


def _document(layout: _PdfLayout, fonts: dict[str, Path]) -> FPDF:
    pdf = FPDF(unit="mm", format=(layout.page_width, 297))
    for style, path in fonts.items():
        pdf.add_font(FONT_FAMILY, style, str(path))
    pdf.set_auto_page_break(False)
    pdf.set_margins(layout.margin, layout.margin)
    pdf.c_margin = 0
    return pdf


def _close_fonts(pdf: FPDF) -> None:
    # fpdf2 closes a font file when it writes the font out, so never for the scratch
    # document, nor for a font the block did not use.
    for font in pdf.fonts.values():
        if isinstance(font, TTFFont):
            font.close()


def _render(pdf: FPDF, block: CipBlock, layout: _PdfLayout, *, dry_run: bool) -> float:
    """Write the block at the current position, or only measure it; return its height."""
    height = 0.0

    def paragraph(text: str, *, indent: float, style: str = "", align: Align = Align.L) -> None:
        nonlocal height
        pdf.set_font(FONT_FAMILY, style, layout.font_size)
        if not dry_run:
            pdf.set_x(layout.text_x + indent)
        used = pdf.multi_cell(
            layout.text_width - indent,
            layout.line_height,
            text,
            align=align,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            dry_run=dry_run,
            output=MethodReturnValue.HEIGHT,
        )
        if not isinstance(used, float | int):
            raise TypeError(f"fpdf2 multi_cell gave {used!r} for its height")
        height += used

    paragraph(block.heading, indent=0, style="B", align=Align.C)
    height += layout.line_height / 2
    if not dry_run:
        pdf.set_y(pdf.get_y() + layout.line_height / 2)
    if block.main_entry:
        paragraph(block.main_entry, indent=0)
    for text in _paragraphs(block, _unbroken_tracings(block)):
        paragraph(_unbreakable(text), indent=layout.indent)
    if block.classification or block.control_number:
        if not dry_run:
            pdf.set_font(FONT_FAMILY, "", layout.font_size)
            half = (layout.text_width - layout.indent) / 2
            pdf.set_x(layout.text_x + layout.indent)
            pdf.cell(half, layout.line_height, block.classification or "", align=Align.L)
            pdf.cell(half, layout.line_height, block.control_number or "", align=Align.R)
        height += layout.line_height
    return height


def _subjects(record: marc.Record) -> tuple[str, ...]:
    headings = [field for field in _data_fields(record) if field.tag.startswith("6")]
    controlled = [field for field in headings if field.tag != _KEYWORDS]
    traced = controlled or headings
    return _unique(subject for field in traced if (subject := marc.subject_heading(field)))


def _unbreakable(text: str) -> str:
    """The text with no-break spaces where a printed line must not break: before ISBD's
    ":", ";", "=" and "/", and between a number and its unit ("21 cm", "232 tr.")."""
    text = _BEFORE_PUNCTUATION.sub("\u00a0", text)
    return _NUMBER_AND_UNIT.sub("\\1\u00a0", text)


def _unbroken_tracings(block: CipBlock) -> str | None:
    # A no-break space keeps "II." on the line of what it numbers when the text wraps.
    return " ".join(item.replace(". ", ".\u00a0", 1) for item in block.tracing_items) or None


def _paragraphs(block: CipBlock, tracings: str | None) -> Iterator[str]:
    """The indented paragraphs between the main entry and the classification."""
    if block.description:
        yield block.description
    yield from block.notes
    yield from (f"ISBN {number}" for number in block.isbns)
    if tracings:
        yield tracings


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_nfc(value) for value in values))


def _roman(number: int) -> str:
    digits = []
    for value, numeral in _ROMAN:
        count, number = divmod(number, value)
        digits.append(numeral * count)
    return "".join(digits)


def _sentence(text: str) -> str:
    return text if text.endswith(_ENDS_SENTENCE) else text + "."


def _data_fields(record: marc.Record) -> Iterator[marc.Field]:
    return (field for field in record.fields if not field.control_field)


def _first(record: marc.Record, *tags: str) -> marc.Field | None:
    for tag in tags:
        for field in _data_fields(record):
            if field.tag == tag:
                return field
    return None


def _joined(field: marc.Field, codes: str) -> str | None:
    """The subfields with these codes, joined by spaces, final ISBD punctuation trimmed."""
    parts = [s.value.strip() for s in field.subfields if s.code in codes and s.value.strip()]
    return marc.trim_punctuation(" ".join(parts)) or None if parts else None


def _isbd(field: marc.Field, codes: str, separators: dict[str, str]) -> str:
    """The subfields with these codes as one ISBD area: a subfield that already ends with
    ISBD punctuation is followed by a space, otherwise by its follower's separator."""
    text = ""
    for sub in field.subfields:
        value = " ".join(sub.value.split())
        if sub.code not in codes or not value:
            continue
        if not text:
            text = value
        elif text.endswith(_SEPARATOR_ENDINGS):
            text = f"{text} {value}"
        else:
            text = f"{text}{separators.get(sub.code, ' ')}{value}"
    return _TRAILING_SEPARATORS.sub("", text)


def _description(record: marc.Record) -> str:
    areas: list[str] = []
    title = _first(record, "245")
    if title is not None:
        areas.append(_isbd(title, "abnpc", {"b": " : ", "c": " / ", "n": ". ", "p": ". "}))
    edition = _first(record, "250")
    if edition is not None:
        areas.append(_isbd(edition, "ab", {"b": " / "}))
    published = _publication_field(record)
    if published is not None:
        areas.append(_isbd(published, "abc", {"a": " ; ", "b": " : ", "c": ", "}))
    extent = _first(record, "300")
    if extent is not None:
        areas.append(_isbd(extent, "abce", {"b": " : ", "c": " ; ", "e": " + "}))
    series = [
        _isbd(field, "avx", {"v": " ; ", "x": ", "})
        for field in _data_fields(record)
        if field.tag in ("490", "440")
    ]
    series_area = " ".join(f"({marc.trim_punctuation(s)})" for s in series if s)
    if series_area:
        areas.append(series_area)
    text = ""
    for area in (a for a in areas if a):
        if text:
            text += " - " if text.endswith(_ENDS_SENTENCE) else ". - "
        text += area
    return text


def _publication_field(record: marc.Record) -> marc.Field | None:
    for field in _data_fields(record):
        if field.tag == "264" and marc.indicators_of(field)[1] == "1":
            return field
    return _first(record, "260")


def _notes(record: marc.Record) -> Iterator[str]:
    for field in _data_fields(record):
        if field.tag in _NOTE_TAGS:
            text = " ".join(
                " ".join(s.value.split())
                for s in field.subfields
                if s.code not in _NOTE_SKIPPED and s.value.strip()
            )
            if text:
                yield _sentence(text)


def _isbns(record: marc.Record) -> Iterator[str]:
    for field in _data_fields(record):
        if field.tag != "020":
            continue
        qualifiers = [q.strip(" ()") for q in (s.value for s in field.subfields if s.code == "q")]
        for sub in field.subfields:
            if sub.code != "a" or not sub.value.strip():
                continue
            number, _, rest = sub.value.strip().partition(" ")
            shown = isbn.format(number) if isbn.is_valid(number) else number
            extra = [rest.strip(" ()")] if rest.strip(" ()") else []
            notes = [q for q in (*extra, *qualifiers) if q]
            yield f"{shown} ({'; '.join(notes)})" if notes else shown


def _added_entries(record: marc.Record, title: marc.Field | None) -> Iterator[str]:
    for field in _data_fields(record):
        codes = _ADDED_ENTRY_CODES.get(field.tag)
        if codes and (entry := _joined(field, codes)):
            yield entry
    if title is not None and marc.indicators_of(title)[0] == "1":
        title_proper = _joined(title, "anp")
        if title_proper:
            yield title_proper
    for field in _data_fields(record):
        codes = _SERIES_ENTRY_CODES.get(field.tag)
        if codes and (entry := _isbd(field, codes, {"v": " ; "})):
            yield marc.trim_punctuation(entry)


def _classification(record: marc.Record) -> str | None:
    field = _first(record, "082")
    if field is None:
        return None
    numbers = [s.value for s in field.subfields if s.code == "a" and s.value.strip()]
    if not numbers:
        return None
    # Segmentation marks (/ and ') tell where to cut the number; printed blocks leave them out.
    number = numbers[0].replace("/", "").replace("'", "").strip()
    editions = [s.value.strip() for s in field.subfields if s.code == "2" and s.value.strip()]
    if not editions:
        return number
    edition = re.match(r"[0-9]+", editions[0])
    return f"{number} - dc{edition.group() if edition else editions[0]}"


def _control_number(record: marc.Record) -> str | None:
    for field in record.fields:
        if field.tag == "001" and field.control_field:
            return (field.data or "").strip() or None
    return None
