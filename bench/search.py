"""Benchmark search: load time, database size, query latency by kind, export rate (search issue).

Generates N records by varying real corpus records (new Vietnamese or English titles, authors,
years, ISBNs and a subject; one word, "rừng", in the title of exactly one record in five), loads
them with `catalog import` into a fresh database of the chosen engine, then through a real
`catalog serve --workers 1` measures p50/p95/p99 of five kinds of search returning 20 hits with
facets, and the rate of a whole-catalogue export. The database's files are read once before
measuring, so the page cache holds them as on a server that has run a while (--cold: not).

    .venv/bin/python bench/search.py --engine sqlite --records 100000 --workdir /tmp/search-bench
    .venv/bin/python bench/search.py --engine postgresql --records 100000 \\
        --workdir /tmp/search-bench
    # measure the queries again on the same data, without generating or loading anything:
    .venv/bin/python bench/search.py --engine sqlite --records 100000 \\
        --workdir /tmp/search-bench --reuse-db
"""

import argparse
import json
import os
import platform
import pwd
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
from common import ROOT, corpus_records, free_port, percentile, run_catalog, served
from stdnum import ean
from stdnum import isbn as isbn_numbers

from app import marc

from postgres_server import find_pg_ctl

SEED = 20261125
# Bump when the generated records change, so a workdir never reuses a file of older rules.
GENERATOR = 1
SAMPLES = 2000
COMMON_WORD = "rừng"  # "forest": in no corpus record, and no other word here folds to "rung"
COMMON_EVERY = 5  # one record in five has it in its title
YEARS = (1950, 2026)
LIMIT = 20
ENGLISH_SHARE = 0.25  # of the titles without the common word

VIETNAMESE = (
    "lịch sử", "văn học", "giáo dục", "khoa học", "kinh tế", "xã hội", "văn hóa", "đất nước",
    "con người", "thư viện", "tài liệu", "nghiên cứu", "quốc gia", "tiếng Việt", "đời sống",
    "truyện ngắn", "thơ", "tiểu thuyết", "ký ức", "tuổi trẻ", "gia đình", "quê hương", "làng",
    "phố cổ", "Hà Nội", "Sài Gòn", "Huế", "Việt Nam", "miền Bắc", "miền Trung", "miền Nam",
    "Tây Nguyên", "đồng bằng", "sông Hồng", "Mê Kông", "biển", "đảo", "núi", "mùa xuân",
    "mùa thu", "mùa đông", "mùa hạ", "ánh sáng", "bóng tối", "tình yêu", "chiến tranh",
    "hòa bình", "cách mạng", "phát triển", "công nghệ", "thông tin", "y học", "nông nghiệp",
    "công nghiệp", "môi trường", "pháp luật", "chính trị", "triết học", "tôn giáo",
    "nghệ thuật", "âm nhạc", "hội họa", "sân khấu", "điện ảnh", "kiến trúc", "ngôn ngữ",
    "từ điển", "giáo trình", "cẩm nang", "hướng dẫn", "tuyển tập", "hồi ký", "nhật ký",
    "câu chuyện", "những", "người", "của", "và", "trong", "về", "cho", "mới", "xưa", "nay",
    "hiện đại", "truyền thống", "dân gian", "phụ nữ", "trẻ em", "học sinh", "sinh viên",
    "giáo viên", "bác sĩ", "nông dân", "công nhân", "thành phố", "nông thôn", "dòng sông",
    "cánh đồng", "con đường", "bầu trời", "mặt trời", "ánh trăng", "hoa sen", "cây tre",
    "lúa", "quê nhà",
)  # fmt: skip
ENGLISH = (
    "history", "library", "science", "river", "mountain", "economy", "education", "culture",
    "language", "village", "war", "peace", "memory", "city", "people", "art", "music", "poetry",
    "stories", "journey", "modern", "ancient", "national", "southern", "northern", "delta",
    "introduction", "guide", "handbook", "essays", "studies", "women", "children", "family",
    "land", "sea", "island", "rice", "trade", "empire", "colonial", "revolution", "reform",
    "health", "medicine", "law", "religion", "theatre", "cinema", "architecture",
)  # fmt: skip
# Family names with roughly their share of the Vietnamese population.
FAMILIES = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Huỳnh": 4, "Phan": 4.5,
    "Vũ": 3.9, "Võ": 3, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1,
    "Lý": 0.5,
}  # fmt: skip
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Ngọc", "Xuân", "Công", "Thu")
GIVEN = (
    "An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương",
    "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nga", "Ngân", "Phong", "Phúc", "Quân",
    "Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Trung", "Tuấn", "Việt", "Yến",
    "Đạt", "Cường", "Duy", "Khoa", "Nhung", "Vân",
)  # fmt: skip
WESTERN_SHARE = 0.15
WESTERN_FAMILIES = (
    "Smith", "Johnson", "Brown", "Taylor", "Miller", "Davis", "Wilson", "Anderson", "Thomas",
    "Moore", "Martin", "Jackson", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
    "Baker",
)  # fmt: skip
WESTERN_GIVEN = (
    "John", "Mary", "James", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William",
    "Elizabeth", "David", "Susan", "Richard", "Jessica", "Joseph", "Sarah", "Charles", "Karen",
    "Thomas", "Nancy",
)  # fmt: skip
SUBJECTS = (
    "Lịch sử", "Văn học Việt Nam", "Giáo dục", "Kinh tế", "Khoa học tự nhiên", "Thư viện học",
    "Địa lý", "Y học", "Nông nghiệp", "Tin học", "Lâm nghiệp", "Văn hóa dân gian",
)  # fmt: skip
# Fields of the corpus record left out of its variants: its identity, and the fields replaced.
DROPPED = frozenset({"001", "003", "005", "008", "020", "035", "100", "110", "111", "130", "245"})
_TOKEN = re.compile(r"[^\W_]+")

KINDS = ("word", "three words", "phrase", "author + years", "isbn")
TARGETS = {  # p95 at 1,000,000 records on SQLite, from the issue
    "word": 150,
    "three words": 50,
    "phrase": 50,
    "author + years": 50,
    "isbn": 50,
}
EXPORT_TARGET = 20_000  # .mrc records/s


def tokens(text: str) -> list[str]:
    """The words of text as the index cuts them, folded."""
    return _TOKEN.findall(marc.fold(text))


# --- generating records ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """What a query needs to know of one generated record."""

    words: list[str]  # title words, as typed with diacritics, lower case
    family: str
    given: str
    year: int
    isbn: str


@dataclass(frozen=True, slots=True)
class Base:
    """A corpus record prepared for varying: the fields kept as they are, shared by variants."""

    leader: Any
    kept: list[marc.Field]
    fixed: str  # its 008, padded to 40 characters
    publication: marc.Field | None  # the 264 _1 or 260 whose $c gets the new year


def isbn13(n: int) -> str:
    """A valid ISBN-13 of Vietnam's group (978-604), distinct for n below 1,000,000."""
    body = f"978604{(n * 611_953 + 271_828) % 1_000_000:06d}"
    return body + ean.calc_check_digit(body)


def _linked(field: marc.Field) -> str | None:
    for sub in field.subfields:
        if sub.code == "6":
            return sub.value[:3]
    return None


def prepare(record: marc.Record) -> Base:
    """Normalise a corpus record once and set aside what every variant replaces."""
    normalized, _ = marc.normalize(record)
    kept: list[marc.Field] = []
    fixed = ""
    publication = None
    for each in normalized.fields:
        if each.tag == "008":
            fixed = each.data or ""
        elif each.tag in DROPPED or (each.tag == "880" and _linked(each) in DROPPED):
            continue
        elif publication is None and (
            (each.tag == "264" and each.indicators[1] == "1") or each.tag == "260"
        ):
            publication = each
        else:
            kept.append(each)
    fixed = fixed.ljust(40)[:40] if len(fixed) >= 18 else "260101s2000    vm            000 0 vie d"
    return Base(leader=normalized.leader, kept=kept, fixed=fixed, publication=publication)


def title_words(n: int, rng: random.Random) -> tuple[list[str], str]:
    """The words of a new title, and its language."""
    if n % COMMON_EVERY == 0:
        parts = rng.sample(VIETNAMESE, rng.randint(1, 3))
        parts.insert(rng.randint(0, len(parts)), COMMON_WORD)
        language = "vie"
    elif rng.random() < ENGLISH_SHARE:
        parts = rng.sample(ENGLISH, rng.randint(3, 5))
        language = "eng"
    else:
        parts = rng.sample(VIETNAMESE, rng.randint(2, 4))
        language = "vie"
    return " ".join(parts).split(" "), language


def author(rng: random.Random) -> tuple[str, str, str, str]:
    """(heading, as written in 245 $c, family name, given name)."""
    if rng.random() < WESTERN_SHARE:
        family = rng.choice(WESTERN_FAMILIES)
        given = rng.choice(WESTERN_GIVEN)
        return f"{family}, {given}", f"{given} {family}", family, given
    family = rng.choices(list(FAMILIES), weights=list(FAMILIES.values()))[0]
    given = rng.choice(GIVEN)
    name = f"{family} {rng.choice(MIDDLE)} {given}"
    return name, name, family, given


def _field(tag: str, ind1: str, ind2: str, *subfields: tuple[str, str]) -> marc.Field:
    return marc.Field(
        tag=tag,
        indicators=marc.Indicators(ind1, ind2),
        subfields=[marc.Subfield(code, value) for code, value in subfields],
    )


def vary(base: Base, n: int, rng: random.Random) -> tuple[marc.Record, Sample]:
    """Record n: the base's other fields, with a new title, author, year, ISBN and subject."""
    words, language = title_words(n, rng)
    heading, statement, family, given = author(rng)
    year = rng.randint(*YEARS)
    number = isbn13(n)
    title = " ".join(words)
    fixed = f"{base.fixed[:6]}s{year}    {base.fixed[15:35]}{language}{base.fixed[38:]}"
    if base.publication is None:
        publication = _field("264", " ", "1", ("c", f"{year}."))
    else:
        subfields = [s for s in base.publication.subfields if s.code != "c"]
        publication = marc.Field(
            tag=base.publication.tag,
            indicators=base.publication.indicators,
            subfields=[*subfields, marc.Subfield("c", f"{year}.")],
        )
    fields = [
        *base.kept,
        marc.Field(tag="008", data=fixed),
        _field("020", " ", " ", ("a", number)),
        _field("100", "1" if "," in heading else "0", " ", ("a", heading)),
        _field("245", "1", "0", ("a", f"{title[0].upper()}{title[1:]} /"), ("c", f"{statement}.")),
        publication,
        _field("650", " ", "4", ("a", rng.choice(SUBJECTS))),
    ]
    record = marc.Record()
    record.leader = base.leader
    record.fields = sorted(fields, key=lambda each: each.tag)
    sample = Sample(
        words=[w.lower() for w in words], family=family, given=given, year=year, isbn=number
    )
    return record, sample


def usable_bases() -> list[Base]:
    """Corpus records whose variants are valid, and which hold no word that folds as the common
    word does, so that it matches exactly the titles given it."""
    common = tokens(COMMON_WORD)
    for word in (*VIETNAMESE, *ENGLISH, *FAMILIES, *MIDDLE, *GIVEN, *SUBJECTS):
        assert common[0] not in tokens(word), word
    bases = []
    rng = random.Random(SEED)
    for record in corpus_records():
        base = prepare(record)
        variant, _ = vary(base, 1, rng)
        text = marc.search_text(variant)
        words = {
            t for part in text.__slots__ for value in getattr(text, part) for t in tokens(value)
        }
        if common[0] in words:
            continue
        if any(p.severity == "error" for p in marc.validate(variant)):
            continue
        try:
            marc.write(variant, marc.Format.MRC)
        except marc.RecordTooLong:
            continue
        bases.append(base)
    return bases


def generate(path: Path, count: int) -> dict[str, Any]:
    """Write `count` varied records to path (streamed) and a sample of them beside it."""
    started = time.perf_counter()
    bases = usable_bases()
    prepared = time.perf_counter() - started
    started = time.perf_counter()
    rng = random.Random(SEED)
    step = max(1, count // SAMPLES)
    samples: list[dict[str, Any]] = []
    partial = path.with_suffix(".partial")
    with partial.open("wb", buffering=1 << 20) as sink:
        for n in range(count):
            record, sample = vary(bases[n % len(bases)], n, rng)
            sink.write(marc.write(record, marc.Format.MRC))
            if n % step == 0:
                samples.append(asdict(sample))
            if n and n % 100_000 == 0:
                rate = n / (time.perf_counter() - started)
                print(f"  generated {n:,} records ({rate:,.0f} records/s)", flush=True)
    partial.rename(path)
    elapsed = time.perf_counter() - started
    info = {
        "records": count,
        "seed": SEED,
        "generator": GENERATOR,
        "corpus_bases": len(bases),
        "common_word": COMMON_WORD,
        "common_records": len(range(0, count, COMMON_EVERY)),
        "setup_seconds": round(prepared, 1),  # reading and checking the corpus
        "seconds": round(elapsed, 1),
        "records_per_s": round(count / elapsed),
        "bytes": path.stat().st_size,
        "samples": samples,
    }
    sample_path(path).write_text(json.dumps(info, ensure_ascii=False))
    return info


def sample_path(path: Path) -> Path:
    return path.with_suffix(".samples.json")


# --- databases ---------------------------------------------------------------------------


def pg_ctl(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run pg_ctl (as the postgres user when we are root, via the tests' wrapper)."""
    real = find_pg_ctl()
    if not real:
        sys.exit("PostgreSQL server binaries not found (install Debian's postgresql)")
    env = {**os.environ, "CATALOG_TEST_PG_CTL": real, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(ROOT / "tests" / "bin" / "pg_ctl"), *args],
        env=env,
        check=False,
        capture_output=True,
    )


@contextmanager
def postgres_cluster(directory: Path, settings: list[str]) -> Iterator[int]:
    """Run a PostgreSQL server on a data directory kept in `directory`; yield its port.

    Creates the cluster the first time, and reuses it (and its databases) afterwards."""
    data = directory / "data"
    directory.mkdir(exist_ok=True)
    if os.getuid() == 0:
        # The server runs as postgres (tests/bin/pg_ctl): it must reach and own its directory.
        postgres = pwd.getpwnam("postgres")
        os.chown(directory, postgres.pw_uid, postgres.pw_gid)
        parent = directory.parent
        parent.chmod(parent.stat().st_mode | 0o011)
    if pg_ctl(["status", "-D", str(data)]).returncode == 0:
        pg_ctl(["stop", "-D", str(data), "-m", "fast", "-w"])  # left by an interrupted run
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        done = pg_ctl(
            [
                "initdb",
                "-D",
                str(data),
                "-o",
                "--username=postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8",
            ]
        )
        if done.returncode:
            sys.exit(f"initdb failed: {done.stderr.decode(errors='replace')}")
    port = free_port()
    options = " ".join(
        [
            f"-p {port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories='{directory}'",
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off",
            *(f"-c {setting}" for setting in settings),
        ]
    )
    log = directory / "server.log"
    done = pg_ctl(["start", "-D", str(data), "-w", "-t", "600", "-l", str(log), "-o", options])
    if done.returncode:
        sys.exit(f"PostgreSQL did not start: {done.stderr.decode(errors='replace')} (see {log})")
    try:
        yield port
    finally:
        pg_ctl(["stop", "-D", str(data), "-m", "fast", "-w"])


@dataclass
class Database:
    """One engine's database of the benchmark: where it is, how to count and measure it."""

    engine: str
    url: str
    path: Path | None = None  # SQLite
    port: int | None = None  # PostgreSQL
    name: str = ""

    def _pg(self, dbname: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def records(self) -> int | None:
        """How many records it holds; None when there is no such database or schema."""
        try:
            if self.path is not None:
                if not self.path.exists():
                    return None
                with closing(sqlite3.connect(self.path)) as connection:
                    return int(connection.execute("SELECT count(*) FROM record").fetchone()[0])
            with self._pg(self.name) as connection:
                row = connection.execute("SELECT count(*) FROM record").fetchone()
                return int(row[0]) if row else None
        except (sqlite3.Error, psycopg.Error):
            return None

    def recreate(self) -> None:
        if self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with self._pg("postgres") as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.name}")
            admin.execute(f"CREATE DATABASE {self.name}")

    def size(self) -> dict[str, Any]:
        """Bytes on disk: in total, and by table and index (SQLite's dbstat) or by table with
        its indexes and TOAST (PostgreSQL), biggest first."""
        tables: dict[str, int] = {}
        if self.path is not None:
            wal = Path(f"{self.path}-wal")
            total = self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
            with closing(sqlite3.connect(self.path)) as connection:
                try:
                    rows = connection.execute(
                        "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
                    ).fetchall()
                except sqlite3.Error:
                    rows = []
            tables = {name: int(size) for name, size in rows}
        else:
            with self._pg(self.name) as connection:
                row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
                total = int(row[0]) if row else 0
                rows = connection.execute(
                    "SELECT relname, pg_total_relation_size(oid) FROM pg_class "
                    "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace "
                    "ORDER BY 2 DESC"
                ).fetchall()
            tables = {name: int(size) for name, size in rows}
        return {"bytes": total, "tables": tables}


@contextmanager
def database(engine: str, workdir: Path, count: int, settings: list[str]) -> Iterator[Database]:
    if engine == "sqlite":
        path = workdir / f"search-{count}.db"
        yield Database(engine, f"sqlite:///{path}", path=path)
        return
    with postgres_cluster(workdir / "postgresql", settings) as port:
        name = f"search_{count}"
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
        yield Database(engine, url, port=port, name=name)


# --- measuring ---------------------------------------------------------------------------


def query(kind: str, sample: Sample, n: int, rng: random.Random) -> dict[str, Any]:
    """The parameters of the n-th query of a kind; odd ones are typed without diacritics."""
    plain = n % 2 == 1
    if kind == "word":
        return {"q": marc.fold(COMMON_WORD) if plain else COMMON_WORD}
    if kind == "three words":
        picked = sorted(rng.sample(range(len(sample.words)), 3))
        text = " ".join(sample.words[i] for i in picked)
        return {"q": marc.fold(text) if plain else text}
    if kind == "phrase":
        at = rng.randrange(len(sample.words) - 1)
        text = f'"{sample.words[at]} {sample.words[at + 1]}"'
        return {"q": marc.fold(text) if plain else text}
    if kind == "author + years":
        return {
            "author": f"{sample.family} {sample.given}",
            "year_from": sample.year - 5,
            "year_to": sample.year + 5,
        }
    return {"isbn": isbn_numbers.format(sample.isbn) if plain else sample.isbn}


@dataclass
class KindResult:
    kind: str
    example: str
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    mean_total: float  # matches as the API counts them (at most its count bound)
    exact_totals: int  # answers whose total was exact
    mean_items: float
    misses: list[dict[str, Any]]
    errors: list[str]
    slowest: list[tuple[float, str]]  # the five slowest requests: ms, query


def measure(
    client: httpx.Client,
    kind: str,
    samples: list[Sample],
    *,
    count: int,
    warmup: int,
    rng: random.Random,
) -> KindResult:
    words = kind in ("three words", "phrase")
    eligible = [s for s in samples if len(s.words) >= 3] if words else samples
    timings: list[float] = []
    totals: list[int] = []
    items: list[int] = []
    exact = 0
    misses: list[dict[str, Any]] = []
    errors: list[str] = []
    timed: list[tuple[float, str]] = []
    example = ""
    for n in range(warmup + count):
        params = query(kind, rng.choice(eligible), n, rng)
        started = time.perf_counter()
        response = client.get("/api/v1/records", params={**params, "limit": LIMIT})
        elapsed = (time.perf_counter() - started) * 1000
        if n < warmup:
            continue
        shown = "&".join(f"{key}={value}" for key, value in params.items())
        example = example or shown
        if response.status_code != 200:
            errors.append(f"{response.status_code} for {params}: {response.text[:200]}")
            continue
        body = response.json()
        if body.get("facets") is None:
            errors.append(f"no facets for {params}")
        timings.append(elapsed)
        timed.append((round(elapsed, 1), f"{shown} ({body['total']} found)"))
        totals.append(body["total"] or 0)
        items.append(len(body["items"]))
        exact += bool(body["total_exact"])
        if not body["items"]:
            misses.append(params)
    if not timings:
        timings = [float("nan")]
    return KindResult(
        kind=kind,
        example=example,
        requests=count,
        p50_ms=round(percentile(timings, 0.50), 1),
        p95_ms=round(percentile(timings, 0.95), 1),
        p99_ms=round(percentile(timings, 0.99), 1),
        mean_ms=round(statistics.fmean(timings), 1),
        max_ms=round(max(timings), 1),
        mean_total=round(statistics.fmean(totals), 1) if totals else 0,
        exact_totals=exact,
        mean_items=round(statistics.fmean(items), 1) if items else 0,
        misses=misses,
        errors=errors,
        slowest=sorted(timed, reverse=True)[:5],
    )


# What each record of an export holds once: ISO 2709's terminator, the start of the others.
EXPORT_MARKERS = {"mrc": b"\x1d", "marcxml": b"</record>", "json": b'{"leader": ', "mrk": b"=LDR  "}


def export(client: httpx.Client, params: dict[str, str]) -> dict[str, Any]:
    """Stream GET /records/export to nowhere; count its bytes and records."""
    marker = EXPORT_MARKERS[params.get("format", "mrc")]
    records = 0
    size = 0
    tail = b""
    started = time.perf_counter()
    with client.stream("GET", "/api/v1/records/export", params=params, timeout=None) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            window = tail + chunk
            records += window.count(marker)
            tail = window[-(len(marker) - 1) :] if len(marker) > 1 else b""
    elapsed = time.perf_counter() - started
    return {
        "params": params,
        "records": records,
        "bytes": size,
        "seconds": round(elapsed, 2),
        "records_per_s": round(records / elapsed) if elapsed else 0,
        "mb_per_s": round(size / elapsed / 1e6, 1) if elapsed else 0,
    }


# --- the run -----------------------------------------------------------------------------


def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def records_file(workdir: Path, count: int) -> tuple[Path, dict[str, Any], bool]:
    """The generated file of `count` records (made now unless the workdir has it)."""
    path = workdir / f"search-{count}-g{GENERATOR}.mrc"
    if path.exists() and sample_path(path).exists():
        return path, json.loads(sample_path(path).read_text()), True
    print(f"generating {count:,} records into {path}", flush=True)
    return path, generate(path, count), False


@dataclass
class Report:
    """What a run found: Markdown rows as they come, and the JSON summary."""

    engine: str
    count: int
    summary: dict[str, Any]
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    results: list[KindResult] = field(default_factory=list)

    def row(self, what: str, figure: str, detail: str) -> None:
        self.rows.append((what, figure, detail))
        print(f"{what}: {figure} ({detail})", flush=True)

    def tables(self) -> str:
        name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[self.engine]
        lines = ["| engine | records | measurement | figure | detail |", "|---|---:|---|---:|---|"]
        lines += [
            f"| {name} | {self.count:,} | {what} | {figure} | {detail} |"
            for what, figure, detail in self.rows
        ]
        lines += [
            "",
            "| engine | records | query | p50 ms | p95 ms | p99 ms | mean total | misses "
            "| p95 target |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.results:
            total = f"{r.mean_total:,.0f}" + ("" if r.exact_totals == r.requests else "+")
            lines.append(
                f"| {name} | {self.count:,} | {r.kind} (`{r.example}`) | {r.p50_ms} | "
                f"{r.p95_ms} | {r.p99_ms} | {total} | {len(r.misses)} | "
                f"< {TARGETS[r.kind]} ms |"
            )
        return "\n".join(lines)


def load(db: Database, source: Path, workdir: Path, report: Report, *, reuse: bool) -> None:
    """Fill the database from the file with `catalog import`, unless it can be reused."""
    count = report.count
    earlier = report.summary.pop("earlier", {}).get("load")
    held = db.records() if reuse else None
    if held == count:
        print(f"database reused: {db.url} holds {held:,} records", flush=True)
        report.summary["load"] = {"reused": True, "earlier": earlier}
        if earlier and "records_per_s" in earlier:
            report.row(
                "load (`catalog import`, an earlier run)",
                f"{earlier['records_per_s']:,} records/s",
                f"{earlier['seconds']:,.0f} s; {earlier['stored']:,} stored",
            )
        return
    if reuse:
        print(f"database holds {held} records, not {count:,}: loading", flush=True)
    db.recreate()
    log = workdir / f"import-{db.engine}-{count}.log"
    run_catalog(["db", "upgrade"], db.url, log=log)
    print(f"catalog import of {count:,} records into {db.url} …", flush=True)
    started = time.perf_counter()
    # The variants of one corpus record keep its LCCN and ISSN; their ISBNs are distinct, so
    # matching on ISBN alone stores every one of them.
    code = run_catalog(["import", "--match", "isbn", str(source)], db.url, log=log, check=False)
    elapsed = time.perf_counter() - started
    stored = db.records() or 0
    report.summary["load"] = {
        "seconds": round(elapsed, 1),
        "records_per_s": round(stored / elapsed),
        "stored": stored,
        "exit_code": code,
        "log": str(log),
    }
    report.row(
        "load (`catalog import`)",
        f"{stored / elapsed:,.0f} records/s",
        f"{elapsed:,.0f} s; {stored:,} stored of {count:,}",
    )
    if stored != count or code:
        print(f"  WARNING: {count - stored:,} records not stored, exit code {code} (see {log})")


def warm_page_cache(db: Database, workdir: Path, report: Report) -> None:
    """Read the database's files once, so that the operating system's page cache holds them, as
    it does on a server that has been answering for a while when memory allows. Otherwise the
    first queries after a load or a restart read the disk, and the figures depend on what the
    machine happened to keep cached."""
    if db.path is not None:
        files = [path for path in db.path.parent.glob(db.path.name + "*") if path.is_file()]
    else:
        files = [path for path in (workdir / "postgresql").rglob("*") if path.is_file()]
    started = time.perf_counter()
    read = 0
    for path in files:
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(16 * 1024 * 1024):
                    read += len(chunk)
        except OSError:  # a file the server removed meanwhile
            continue
    seconds = time.perf_counter() - started
    report.summary["page_cache"] = {"warmed_bytes": read, "seconds": round(seconds, 1)}
    print(f"page cache warmed: {read / 1e9:,.1f} GB read in {seconds:,.0f} s", flush=True)
    if db.port is not None:
        prewarm_shared_buffers(db, report)


# What a search reads, most read first: a server that has answered for a while holds these in
# its shared buffers when they fit (the rest stays in the page cache).
SEARCH_RELATIONS = (
    "ix_record_search_terms",
    "record_search",
    "ix_record_filters",
    "pk_record_search_text",
    "record_search_text",
)


def prewarm_shared_buffers(db: Database, report: Report) -> None:
    """Load the search's tables and indexes into PostgreSQL's shared buffers (pg_prewarm), as
    the page cache is warmed: a GIN match costs a visit to its heap row, ten times dearer from
    the page cache than from shared buffers."""
    with closing(db._pg(db.name)) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        buffers = connection.execute(
            "SELECT setting::bigint FROM pg_settings WHERE name = 'shared_buffers'"
        ).fetchone()
        warmed: dict[str, int] = {}
        budget = int(buffers[0]) * 3 // 4 if buffers else 0  # blocks, leaving room to work
        # A partitioned table or index has no storage of its own: its parts have, newest first.
        leaves = [
            str(row[0])
            for name in SEARCH_RELATIONS
            for row in connection.execute(
                "SELECT relid FROM pg_partition_tree(%s::regclass) WHERE isleaf "
                "ORDER BY relid::oid DESC",
                (name,),
            ).fetchall()
            or [(name,)]
        ]
        for name in leaves:
            row = connection.execute(
                "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int",
                (name,),
            ).fetchone()
            blocks = int(row[0]) if row else 0
            if blocks > budget:
                break  # it would push out what is loaded already
            loaded = connection.execute("SELECT pg_prewarm(%s::regclass)", (name,)).fetchone()
            warmed[name] = int(loaded[0]) if loaded else 0
            budget -= blocks
    report.summary["shared_buffers_prewarmed"] = warmed
    print(f"shared buffers prewarmed (blocks): {warmed}", flush=True)


def wait_for_autovacuum(db: Database, report: Report, *, timeout: float = 600) -> None:
    """Wait until autovacuum has visited the records a load added, as it does in a server
    that has run for a minute or two since (migration 20261207_vacuum_new_records): searches
    read the newest records' facets by index-only scans, which cost a visit to every row
    whose page vacuum has not yet marked all-visible."""
    query = (
        "SELECT s.n_ins_since_vacuum, o.option_value::bigint FROM pg_stat_user_tables s "
        "JOIN pg_class c ON c.oid = s.relid "
        "CROSS JOIN LATERAL pg_options_to_table(c.reloptions) o "
        "WHERE s.relname = 'record' AND o.option_name = 'autovacuum_vacuum_insert_threshold'"
    )
    started = time.perf_counter()
    with closing(db._pg(db.name)) as connection:
        while True:
            row = connection.execute(query).fetchone()
            if row is None:  # a schema from before that migration: nothing to wait for
                print("autovacuum: no insert threshold set on record, not waited for")
                return
            pending, threshold = int(row[0]), int(row[1])
            waited = time.perf_counter() - started
            if pending <= threshold or waited > timeout:
                break
            time.sleep(5)
    report.summary["autovacuum"] = {"waited_s": round(waited), "inserts_pending": pending}
    print(f"autovacuum: {pending:,} inserts not yet vacuumed, after {waited:,.0f} s", flush=True)


def measure_size(db: Database, report: Report) -> None:
    size = db.size()
    report.summary["size"] = size
    biggest = ", ".join(
        f"{name} {value / 1e6:,.0f} MB" for name, value in list(size["tables"].items())[:4]
    )
    report.row(
        "database size",
        f"{size['bytes'] / 1e6:,.0f} MB",
        f"{size['bytes'] / report.count:,.0f} bytes/record; {biggest}",
    )


def measure_queries(
    client: httpx.Client, samples: list[Sample], report: Report, *, count: int, warmup: int
) -> None:
    rng = random.Random(SEED + 1)
    for kind in KINDS:
        result = measure(client, kind, samples, count=count, warmup=warmup, rng=rng)
        report.results.append(result)
        print(
            f"{kind}: p50 {result.p50_ms} / p95 {result.p95_ms} / p99 {result.p99_ms} ms, "
            f"mean total {result.mean_total:,}, misses {len(result.misses)}, "
            f"errors {len(result.errors)} (e.g. {result.example})",
            flush=True,
        )
        for elapsed, shown in result.slowest:
            print(f"  slow: {elapsed} ms {shown}")
        for miss in result.misses[:10]:
            print(f"  miss: {miss}")
        for error in result.errors[:10]:
            print(f"  error: {error}")
    report.summary["queries"] = {r.kind: asdict(r) for r in report.results}


def measure_exports(
    client: httpx.Client, generated: dict[str, Any], report: Report, *, formats: list[str]
) -> None:
    count = report.count
    matched = export(client, {"format": "mrc", "q": COMMON_WORD})["records"]
    word = report.results[0]
    exact = word.exact_totals == word.requests
    report.summary["common_word"] = {
        "word": COMMON_WORD,
        "matches": matched,
        "share": round(matched / count, 4),
        "generated_with_it": generated["common_records"],
        "api_total": word.mean_total,
        "api_total_exact": exact,
    }
    print(
        f"q={COMMON_WORD} matches {matched:,} records ({matched / count:.1%}; "
        f"{generated['common_records']:,} generated with it); the API's total says "
        f"{word.mean_total:,.0f}{'' if exact else ' (a lower bound)'}",
        flush=True,
    )
    exports = {fmt: export(client, {"format": fmt}) for fmt in formats}
    report.summary["export"] = exports
    for fmt, figures in exports.items():
        target = f"; target {EXPORT_TARGET:,} records/s" if fmt == "mrc" else ""
        report.row(
            f"export `format={fmt}`",
            f"{figures['records_per_s']:,} records/s",
            f"{figures['records']:,} records, {figures['bytes'] / 1e6:,.0f} MB in "
            f"{figures['seconds']:,.1f} s ({figures['mb_per_s']} MB/s){target}",
        )


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per kind")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--workdir", type=Path, help="keep the generated file and database here, to reuse them"
    )
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="skip loading when the database in the workdir already holds N records",
    )
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra PostgreSQL server setting, e.g. shared_buffers=1GB (repeatable)",
    )
    parser.add_argument(
        "--exports",
        default="mrc,marcxml,json,mrk",
        help="formats of the whole-catalogue export to time, in order (comma-separated)",
    )
    parser.add_argument("--skip-marcxml", action="store_true", help="no MARCXML export")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="do not read the database files into the page cache before measuring",
    )
    return parser.parse_args()


def main() -> None:
    options = parse_options()
    count: int = options.records
    workdir: Path = options.workdir or Path(tempfile.mkdtemp(prefix="catalog-search-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = Report(
        options.engine,
        count,
        {
            "engine": options.engine,
            "records": count,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": commit(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "queries_per_kind": options.queries,
            "limit": LIMIT,
            "workers": options.workers,
            "pg_settings": options.pg_setting,
        },
    )
    out = workdir / f"search-{options.engine}-{count}.json"
    if out.exists():
        # A run with --reuse-db keeps the load figures of the run that loaded the database.
        earlier = json.loads(out.read_text())
        loaded = earlier.get("load") or {}
        report.summary["earlier"] = {
            "load": loaded.get("earlier") if loaded.get("reused") else loaded
        }
    try:
        source, generated, reused = records_file(workdir, count)
        samples = [Sample(**s) for s in generated["samples"]]
        report.summary["generation"] = {
            **{k: v for k, v in generated.items() if k != "samples"},
            "reused": reused,
        }
        if reused:
            print(f"records file reused: {source} ({len(samples)} samples)", flush=True)
        else:
            report.row(
                "generation (`app.marc.write`, streamed)",
                f"{generated['records_per_s']:,} records/s",
                f"{generated['seconds']:,.0f} s, {generated['bytes'] / 1e6:,.0f} MB of .mrc, "
                f"{len(samples)} samples",
            )
        with database(options.engine, workdir, count, options.pg_setting) as db:
            load(db, source, workdir, report, reuse=options.reuse_db)
            if db.engine == "postgresql":
                wait_for_autovacuum(db, report)
            measure_size(db, report)
            if options.cold:
                report.summary["page_cache"] = {"warmed_bytes": 0}
            else:
                warm_page_cache(db, workdir, report)
            log = workdir / f"serve-{options.engine}-{count}.log"
            with (
                served(db.url, options.workers, log=log) as base,
                httpx.Client(base_url=base, timeout=300) as client,
            ):
                measure_queries(
                    client, samples, report, count=options.queries, warmup=options.warmup
                )
                skipped = {"marcxml"} if options.skip_marcxml else set()
                formats = [f for f in options.exports.split(",") if f not in skipped]
                measure_exports(client, generated, report, formats=formats)
    finally:
        if options.workdir is None:
            # Keep the summary and the logs of a temporary directory, not its gigabytes.
            for path in workdir.iterdir():
                if path.suffix not in (".json", ".log") or path.name.endswith(".samples.json"):
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)
    report.summary["commit_at_end"] = commit()
    if report.summary["commit_at_end"] != report.summary["commit"]:
        # A server started mid-run runs whatever the checkout held then.
        print(
            f"WARNING: the checkout changed during the run ({report.summary['commit']} → "
            f"{report.summary['commit_at_end']}): some figures may be of either"
        )
    out.write_text(json.dumps(report.summary, ensure_ascii=False, indent=2))
    print()
    print(report.tables())
    print(f"\nsummary: {out}")


if __name__ == "__main__":
    main()
