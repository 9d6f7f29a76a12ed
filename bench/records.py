"""Benchmark the record store: import rate, upload rate, fetch latency (issue 3's figures).

Generates N records by varying real corpus records (new titles with Vietnamese words, new valid
ISBNs, no 001), then on a fresh database of the chosen engine measures:
  * records stored per second through `catalog import` (a subprocess, as a cataloguer runs it);
  * records stored per second through POST /api/v1/records (a real `catalog serve`, HTTP clients
    in threads);
  * GET /api/v1/records/{id} latency p50/p95, as the JSON envelope and as .mrc.

    .venv/bin/python bench/records.py --engine sqlite --records 10000
    .venv/bin/python bench/records.py --engine postgresql --records 10000
"""

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import psycopg
from common import corpus_records, percentile, run_catalog, served

from app import marc

from postgres_server import find_pg_ctl, running_server

WORDS = [
    "thư viện",
    "Việt Nam",
    "lịch sử",
    "văn học",
    "giáo dục",
    "khoa học",
    "đất nước",
    "người",
    "biên mục",
    "tài liệu",
    "nghiên cứu",
    "quốc gia",
    "tiếng Việt",
    "đời sống",
    "kinh tế",
]


def isbn13(n: int) -> str:
    body = f"978604{n % 10_000_000:07d}"[:12]
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def varied(base: marc.Record, n: int, rng: random.Random) -> marc.Record:
    record, _ = marc.normalize(base)
    for tag in ("001", "003", "005", "020", "035"):
        for field in record.get_fields(tag):
            record.remove_field(field)
    title = record["245"]
    words = " ".join(rng.sample(WORDS, 3))
    title.delete_subfield("a")
    title.add_subfield("a", f"{words} {n} /", pos=0)
    record.add_ordered_field(
        marc.Field(
            tag="020",
            indicators=marc.Indicators(" ", " "),
            subfields=[marc.Subfield("a", isbn13(n))],
        )
    )
    return record


def generate(path: Path, count: int) -> list[bytes]:
    bases = corpus_records()
    rng = random.Random(20261125)
    payloads = []
    with path.open("wb") as sink:
        n = 0
        while len(payloads) < count:
            try:
                data = marc.write(varied(bases[n % len(bases)], n, rng), marc.Format.MRC)
            except marc.RecordTooLong:
                n += 1
                continue
            sink.write(data)
            payloads.append(data)
            n += 1
    return payloads


@contextmanager
def databases(engine: str, workdir: Path) -> Iterator[Iterator[str]]:
    """Yield a source of fresh, empty database URLs of one engine."""
    if engine == "sqlite":
        yield (f"sqlite:///{workdir / f'bench-{n}.db'}" for n in range(100))
        return
    pg_ctl = find_pg_ctl()
    if not pg_ctl:
        sys.exit("PostgreSQL server binaries not found (install Debian's postgresql)")
    with running_server(pg_ctl) as server:

        def fresh() -> Iterator[str]:
            for n in range(100):
                with psycopg.connect(
                    host=server.host,
                    port=server.port,
                    user=server.user,
                    dbname="postgres",
                    autocommit=True,
                ) as admin:
                    admin.execute(f"CREATE DATABASE bench_{n}")
                yield server.url(f"bench_{n}")

        yield fresh()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP uploaders")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--fetches", type=int, default=2000, help="GETs per format")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    try:
        source = workdir / "records.mrc"
        payloads = generate(source, options.records)
        print(
            f"engine={options.engine} records={len(payloads)} "
            f"file={source.stat().st_size / 1e6:.1f} MB",
            flush=True,
        )
        with databases(options.engine, workdir) as fresh:
            url = next(fresh)
            run_catalog(["db", "upgrade"], url)
            started = time.perf_counter()
            run_catalog(["import", str(source)], url)
            elapsed = time.perf_counter() - started
            print(f"catalog import: {len(payloads) / elapsed:,.0f} records/s ({elapsed:.1f} s)")

            url = next(fresh)
            run_catalog(["db", "upgrade"], url)
            with served(url, options.workers) as base:

                def post(batch: list[bytes]) -> None:
                    with httpx.Client(base_url=base, timeout=60) as client:
                        for data in batch:
                            response = client.post(
                                "/api/v1/records",
                                content=data,
                                headers={"Content-Type": "application/marc"},
                            )
                            response.raise_for_status()

                batches = [payloads[i :: options.clients] for i in range(options.clients)]
                started = time.perf_counter()
                with ThreadPoolExecutor(options.clients) as pool:
                    list(pool.map(post, batches))
                elapsed = time.perf_counter() - started
                print(
                    f"POST /records ({options.clients} clients, {options.workers} workers): "
                    f"{len(payloads) / elapsed:,.0f} records/s ({elapsed:.1f} s)"
                )

                rng = random.Random(7)
                with httpx.Client(base_url=base, timeout=60) as client:
                    for label, params in (("JSON", {}), (".mrc", {"format": "mrc"})):
                        timings = []
                        for _ in range(options.fetches):
                            record_id = rng.randint(1, len(payloads))
                            started = time.perf_counter()
                            response = client.get(f"/api/v1/records/{record_id}", params=params)
                            timings.append((time.perf_counter() - started) * 1000)
                            response.raise_for_status()
                        print(
                            f"GET /records/{{id}} {label}: p50 {percentile(timings, 0.5):.1f} ms"
                            f", p95 {percentile(timings, 0.95):.1f} ms "
                            f"(mean {statistics.fmean(timings):.1f} ms, n={len(timings)})"
                        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
