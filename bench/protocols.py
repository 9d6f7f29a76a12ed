"""Benchmark the library protocols: SRU searchRetrieve latency, Z39.50 search + present through
the Simple2ZOOM gateway, and OAI-PMH ListRecords throughput (protocols issue).

Uses the records bench/search.py generates (varied corpus records: Vietnamese and English
titles, authors, years, ISBNs), loaded with `catalog import`, served by `catalog serve
--workers 1`; the gateway is `catalog z3950 serve` in front of it, driven by one yaz-client.

    .venv/bin/python bench/protocols.py --engine sqlite --records 100000 --workdir /tmp/proto
    .venv/bin/python bench/protocols.py --engine postgresql --records 100000 --workdir /tmp/proto
    # again on the same data, without generating or loading anything:
    .venv/bin/python bench/protocols.py --records 100000 --workdir /tmp/proto --reuse-db
"""

import argparse
import json
import random
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
from common import CATALOG, free_port, percentile, served
from lxml import etree
from search import Report, Sample, commit, database, load, records_file

from app import marc

SRU_RECORDS = 10  # records per SRU response, as the issue asks
Z3950_RECORDS = 10
OAI = "{http://www.openarchives.org/OAI/2.0/}"
SRU_KINDS = ("title words", "author", "isbn", "common word")


def sru_query(kind: str, sample: Sample, rng: random.Random) -> str:
    if kind == "title words":
        picked = sorted(rng.sample(range(len(sample.words)), min(2, len(sample.words))))
        return f'dc.title = "{" ".join(sample.words[i] for i in picked)}"'
    if kind == "author":
        return f'dc.creator = "{marc.fold(sample.family)} {marc.fold(sample.given)}"'
    if kind == "isbn":
        return f"bath.isbn = {sample.isbn}"
    return "cql.anywhere = rung"


def timings_row(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.50), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "p99_ms": round(percentile(values, 0.99), 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


def measure_sru(
    client: httpx.Client, samples: list[Sample], *, count: int, warmup: int
) -> dict[str, Any]:
    rng = random.Random(8)
    found: dict[str, Any] = {}
    for kind in SRU_KINDS:
        timings: list[float] = []
        records: list[int] = []
        for n in range(warmup + count):
            query = sru_query(kind, rng.choice(samples), rng)
            params = {
                "version": "1.2",
                "operation": "searchRetrieve",
                "query": query,
                "maximumRecords": str(SRU_RECORDS),
                "recordSchema": "marcxml",
            }
            started = time.perf_counter()
            response = client.get("/sru", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if n < warmup:
                continue
            root = etree.fromstring(response.content)
            if root.find(".//{*}diagnostic") is not None:
                raise RuntimeError(f"diagnostic for {query}: {response.text[:300]}")
            timings.append(elapsed)
            records.append(len(root.findall(".//{*}recordData")))
        found[kind] = {
            **timings_row(timings),
            "requests": count,
            "mean_records": round(statistics.fmean(records), 1),
            "example": query,
        }
        print(f"SRU {kind}: {found[kind]}", flush=True)
    return found


@contextmanager
def gateway(sru_url: str, log: Path) -> Iterator[int]:
    """`catalog z3950 serve` in front of the SRU; yield its port once it listens."""
    port = free_port()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                CATALOG,
                "z3950",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--sru-url",
                sru_url,
            ],
            stdout=sink,
            stderr=sink,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the gateway did not start (see {log})") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure_z3950(port: int, samples: list[Sample], *, count: int, warmup: int) -> dict[str, Any]:
    """One yaz-client session: a title search then a present of 10 records, `count` times.

    yaz-client prints the time each operation took ("Elapsed: s"); a search + present is the
    sum of the two, measured inside the client, so process start-up is not counted."""
    rng = random.Random(9)
    commands = [f"open tcp:127.0.0.1:{port}/catalog", "format usmarc"]
    for _ in range(warmup + count):
        sample = rng.choice(samples)
        words = " ".join(marc.fold(word) for word in sample.words[:2])
        commands += [f'find @attr 1=4 "{words}"', f"show 1+{Z3950_RECORDS}"]
    done = subprocess.run(
        ["yaz-client"],
        input="\n".join([*commands, "quit"]) + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    # Each "Z> " prompt comes before the next command is read: chunk i+1 answers command i.
    chunks = done.stdout.split("Z> ")[1:]
    timings: list[float] = []
    records = 0
    for n in range(warmup + count):
        find, show = chunks[2 + 2 * n], chunks[3 + 2 * n]
        seconds = [float(s) for s in re.findall(r"Elapsed: ([0-9.]+)", find + show)]
        if len(seconds) != 2 or "Number of hits: 0" in find:
            raise RuntimeError(f"search {n} did not complete:\n{find}\n{show}")
        if n >= warmup:
            timings.append(sum(seconds) * 1000)
            records += show.count("Record type: USmarc")
    result = {**timings_row(timings), "requests": count, "mean_records": records / count}
    print(f"Z39.50 search + present: {result}", flush=True)
    return result


def harvest(client: httpx.Client, prefix: str, verb: str = "ListRecords") -> dict[str, Any]:
    """Harvest the whole repository, following resumption tokens; count records and time."""
    params: dict[str, str] = {"verb": verb, "metadataPrefix": prefix}
    harvested = 0
    deleted = 0
    pages = 0
    size = 0
    started = time.perf_counter()
    while True:
        response = client.get("/oai", params=params)
        response.raise_for_status()
        size += len(response.content)
        pages += 1
        root = etree.fromstring(response.content)
        error = root.find(f"{OAI}error")
        if error is not None:
            raise RuntimeError(f"OAI error {error.get('code')}: {error.text}")
        headers = root.iter(f"{OAI}header")
        for header in headers:
            harvested += 1
            deleted += header.get("status") == "deleted"
        token = root.find(f".//{OAI}resumptionToken")
        if token is None or not (token.text or "").strip():
            break
        params = {"verb": verb, "resumptionToken": (token.text or "").strip()}
    elapsed = time.perf_counter() - started
    result = {
        "verb": verb,
        "metadataPrefix": prefix,
        "records": harvested,
        "deleted": deleted,
        "pages": pages,
        "seconds": round(elapsed, 1),
        "records_per_s": round(harvested / elapsed),
        "mb": round(size / 1e6, 1),
    }
    print(f"OAI {verb} {prefix}: {result}", flush=True)
    return result


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per kind")
    parser.add_argument("--workdir", type=Path, help="keep the generated file and database")
    parser.add_argument("--reuse-db", action="store_true", help="skip loading if already loaded")
    parser.add_argument("--pg-setting", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--skip-z3950", action="store_true", help="no gateway measurement")
    return parser.parse_args()


def table(engine: str, count: int, summary: dict[str, Any]) -> str:
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[engine]
    lines = [
        "| engine | records | measurement | p50 ms | p95 ms | p99 ms | detail |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for kind, row in summary["sru"].items():
        lines.append(
            f"| {name} | {count:,} | SRU searchRetrieve, {kind} (`{row['example']}`) | "
            f"{row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | "
            f"{row['mean_records']} MARCXML records per response |"
        )
    if "z3950" in summary:
        row = summary["z3950"]
        lines.append(
            f"| {name} | {count:,} | Z39.50 search + present via Simple2ZOOM | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['mean_records']:.1f} USMARC records |"
        )
    lines += [
        "",
        "| engine | records | OAI-PMH harvest | records/s | detail |",
        "|---|---:|---|---:|---|",
    ]
    for row in summary["oai"]:
        lines.append(
            f"| {name} | {count:,} | {row['verb']} `{row['metadataPrefix']}` | "
            f"{row['records_per_s']:,} | {row['records']:,} records in {row['pages']:,} pages, "
            f"{row['seconds']:,} s, {row['mb']:,} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    options = parse_options()
    count: int = options.records
    workdir: Path = options.workdir or Path(tempfile.mkdtemp(prefix="catalog-protocols-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"engine": options.engine, "records": count, "commit": commit()}
    loading = Report(options.engine, count, {})
    source, generated, _ = records_file(workdir, count)
    samples = [Sample(**s) for s in generated["samples"] if len(s["words"]) >= 2]
    with database(options.engine, workdir, count, options.pg_setting) as db:
        load(db, source, workdir, loading, reuse=options.reuse_db)
        summary["load"] = loading.summary.get("load")
        log = workdir / f"serve-protocols-{options.engine}-{count}.log"
        with (
            served(db.url, 1, log=log) as base,
            httpx.Client(base_url=base, timeout=600) as client,
        ):
            summary["sru"] = measure_sru(
                client, samples, count=options.queries, warmup=options.warmup
            )
            if not options.skip_z3950 and shutil.which("yaz-client"):
                with gateway(f"{base}/sru", workdir / "gateway.log") as port:
                    summary["z3950"] = measure_z3950(
                        port, samples, count=options.queries, warmup=options.warmup
                    )
            summary["oai"] = [
                harvest(client, "marc21"),
                harvest(client, "oai_dc"),
                harvest(client, "marc21", "ListIdentifiers"),
            ]
    out = workdir / f"protocols-{options.engine}-{count}.json"
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print()
    print(table(options.engine, count, summary))
    print(f"\nsummary: {out}")


if __name__ == "__main__":
    main()
