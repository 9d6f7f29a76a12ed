"""Fixtures for the MARC domain: the real corpus in ../shared/corpus and the MARCXML schema."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from app import marc

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED = REPOSITORY.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMA = SHARED / "schemas" / "MARC21slim.xsd"

_FORMATS = {
    "ISO 2709": marc.Format.MRC,
    "MARCXML": marc.Format.MARCXML,
    "JSON": marc.Format.JSON,
    "JSON (ndjson)": marc.Format.JSON,
    "MARC mnemonic (.mrk)": marc.Format.MRK,
}


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """One file of the corpus, as manifest.tsv lists it."""

    path: Path
    name: str  # relative to the corpus, e.g. "iso2709/pymarc/marc8.dat"
    folder: str  # iso2709, marcxml, json, mnemonic, malformed, vietnamese
    format: marc.Format
    records_ok: int  # what pymarc read from it when the corpus was gathered


@dataclass(frozen=True, slots=True)
class Corpus:
    """The real MARC files the domain is tested on."""

    root: Path
    files: tuple[CorpusFile, ...]

    def in_folders(self, *folders: str) -> Iterator[CorpusFile]:
        """Yield the files of these top-level folders, in manifest order."""
        return (f for f in self.files if f.folder in folders)

    def file(self, name: str) -> CorpusFile:
        """Return one file by its path relative to the corpus."""
        for corpus_file in self.files:
            if corpus_file.name == name:
                return corpus_file
        raise KeyError(name)

    def read(self, name: str) -> list[marc.ParsedRecord | marc.MarcProblem]:
        """Read one file with marc.read (its format detected)."""
        with self.file(name).path.open("rb") as stream:
            return list(marc.read(stream))

    def records(self, name: str) -> list[marc.Record]:
        """Return the readable records of one file."""
        return [i.record for i in self.read(name) if isinstance(i, marc.ParsedRecord)]


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The corpus listed by ../shared/corpus/manifest.tsv; skipped, loudly, when absent."""
    manifest = CORPUS / "manifest.tsv"
    if not manifest.is_file():
        pytest.skip(f"MARC CORPUS MISSING: {manifest} not found; the corpus tests did not run")
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    files = tuple(
        CorpusFile(
            path=CORPUS / row["local_path"],
            name=row["local_path"],
            folder=row["local_path"].split("/", 1)[0],
            format=_FORMATS[row["format"]],
            records_ok=int(row["records_ok"] or 0),
        )
        for row in rows
    )
    return Corpus(CORPUS, files)


@pytest.fixture(scope="session")
def marcxml_schema() -> etree.XMLSchema:
    """MARC21slim.xsd from ../shared/schemas (it imports nothing, so no network)."""
    if not SCHEMA.is_file():
        pytest.skip(f"MARCXML SCHEMA MISSING: {SCHEMA} not found")
    return etree.XMLSchema(file=str(SCHEMA))
