"""Benchmark usage counting on the download path: GET /records/{id}?format=mrc with counting on
and off (the statistics issue).

Uses the records bench/search.py generates (varied corpus records), loaded with `catalog
import`, served by `catalog serve --workers 1`, restarted for each setting of
CATALOG_COUNT_USAGE (rate limits off). One client fetches random records as .mrc, one at a
time: a few hundred untimed, then N timed; p50/p95/p99 and requests/s of each setting, and the
difference. With counting on, it then checks through GET /api/v1/stats (an admin key made with
the CLI) that the downloads counted reached the database after a flush; with counting off, that
none did.

    .venv/bin/python bench/usage.py --records 10000 --workdir /tmp/usage-bench
    .venv/bin/python bench/usage.py --engine postgresql --records 10000 --workdir /tmp/usage-bench
    # again on the same data, without generating or loading anything:
    .venv/bin/python bench/usage.py --records 10000 --workdir /tmp/usage-bench --reuse-db
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
from common import CATALOG, catalog_env, percentile, run_catalog, served
from search import Database, Report, database, load, records_file
from sqlalchemy import create_engine, text

SEED = 20261126
INSTITUTION = "VN-BENCH"
FORMAT = "mrc"
RECORD_END = b"\x1d"


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the servers started in the block (served() copies
    os.environ), and put back what was there before."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def downloadable_ids(db: Database) -> list[int]:
    """Numbers of the records a GET ?format=mrc answers with 200: not deleted, with ISO 2709."""
    engine = create_engine(db.url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id FROM record WHERE deleted_at IS NULL AND marc IS NOT NULL")
            )
            return sorted(int(row[0]) for row in rows)
    finally:
        engine.dispose()


def admin_key(url: str, log: Path) -> str:
    """A new admin key of the bench institution (registered the first time), made with the CLI."""
    # On a reused database the institution is there already: that failure is expected.
    run_catalog(
        ["institutions", "add", INSTITUTION, "--name", "Bench", "--kind", "national"],
        url,
        log=log,
        check=False,
    )
    with log.open("ab") as sink:
        done = subprocess.run(
            [CATALOG, "keys", "create", "--institution", INSTITUTION, "--role", "admin"],
            env=catalog_env(url),
            stdout=subprocess.PIPE,
            stderr=sink,
            check=True,
            text=True,
        )
    return done.stdout.strip().splitlines()[-1]


def downloads_counted(client: httpx.Client, key: str) -> int:
    """Downloads as .mrc the statistics hold, over their default period (the last 30 days)."""
    response = client.get(
        "/api/v1/stats",
        params={"group_by": "format"},
        headers={"Authorization": f"Bearer {key}"},
    )
    response.raise_for_status()
    return sum(row["downloaded"] for row in response.json()["items"] if row["key"] == FORMAT)


@dataclass
class Run:
    """One server's figures: counting on or off."""

    counting: bool
    round: int
    requests: int
    warmup: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    requests_per_s: float
    errors: int
    counted: int | None  # downloads the statistics gained during the run
    expected: int  # downloads they should have gained: every GET answered 200, warm-up included
    waited_s: float  # after the last request, until the statistics showed them (or gave up)

    @property
    def setting(self) -> str:
        return "on" if self.counting else "off"


def fetch(
    client: httpx.Client, ids: list[int], *, count: int, warmup: int, rng: random.Random
) -> tuple[list[float], float, int, list[str]]:
    """GET `warmup` + `count` random records as .mrc, one at a time; the timed latencies (ms),
    the seconds the timed ones took in all, how many answered 200 (warm-up included), errors."""
    timings: list[float] = []
    errors: list[str] = []
    answered = 0
    began = 0.0
    for n in range(warmup + count):
        if n == warmup:
            began = time.perf_counter()
        record = rng.choice(ids)
        started = time.perf_counter()
        response = client.get(f"/api/v1/records/{record}", params={"format": FORMAT})
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or not response.content.endswith(RECORD_END):
            errors.append(f"{response.status_code} for record {record}: {response.text[:200]}")
            continue
        answered += 1
        if n >= warmup:
            timings.append(elapsed)
    return timings, time.perf_counter() - began, answered, errors


def wait_for_counts(
    client: httpx.Client,
    key: str,
    *,
    baseline: int,
    expected: int,
    interval: float,
    patience: float,
) -> tuple[int, float]:
    """Wait a flush interval, then ask the statistics until they gained `expected` downloads
    or `patience` seconds passed; what they gained and the seconds waited."""
    started = time.perf_counter()
    time.sleep(interval)
    while True:
        gained = downloads_counted(client, key) - baseline
        waited = time.perf_counter() - started
        if gained >= expected or waited > patience:
            return gained, waited
        time.sleep(0.2)


def measure(
    db: Database,
    ids: list[int],
    key: str,
    log: Path,
    *,
    counting: bool,
    round_: int,
    count: int,
    warmup: int,
    workers: int,
    flush_seconds: float,
) -> Run:
    settings = {
        "CATALOG_COUNT_USAGE": "true" if counting else "false",
        "CATALOG_USAGE_FLUSH_SECONDS": str(flush_seconds),
    }
    with (
        environment(settings),
        served(db.url, workers, log=log) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        baseline = downloads_counted(client, key)
        # The same records in the same order whichever the setting.
        rng = random.Random(SEED + round_)
        timings, seconds, answered, errors = fetch(client, ids, count=count, warmup=warmup, rng=rng)
        expected = answered if counting else 0
        # With counting off nothing should come, so wait only the flush interval and a little.
        gained, waited = wait_for_counts(
            client,
            key,
            baseline=baseline,
            expected=expected,
            interval=flush_seconds,
            patience=10 * flush_seconds + 5 if counting else 2 * flush_seconds,
        )
    for error in errors[:10]:
        print(f"  error: {error}")
    if not timings:
        timings = [float("nan")]
    return Run(
        counting=counting,
        round=round_,
        requests=count,
        warmup=warmup,
        p50_ms=round(percentile(timings, 0.50), 2),
        p95_ms=round(percentile(timings, 0.95), 2),
        p99_ms=round(percentile(timings, 0.99), 2),
        mean_ms=round(statistics.fmean(timings), 2),
        max_ms=round(max(timings), 1),
        requests_per_s=round(len(timings) / seconds, 1) if seconds else 0.0,
        errors=len(errors),
        counted=gained,
        expected=expected,
        waited_s=round(waited, 1),
    )


def pooled(runs: list[Run], counting: bool) -> dict[str, float]:
    """Medians over the rounds of one setting."""
    mine = [r for r in runs if r.counting is counting]
    return {
        name: round(statistics.median(getattr(r, name) for r in mine), 2)
        for name in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "requests_per_s")
    }


def table(engine: str, count: int, runs: list[Run]) -> str:
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[engine]
    lines = [
        "| engine | records | round | counting | p50 ms | p95 ms | p99 ms | requests/s "
        "| counted / made |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {name} | {count:,} | {r.round} | {r.setting} | {r.p50_ms} | {r.p95_ms} | "
            f"{r.p99_ms} | {r.requests_per_s:,} | {r.counted:,} / "
            f"{r.warmup + r.requests - r.errors:,} |"
        )
    on, off = pooled(runs, True), pooled(runs, False)
    rounds = len({r.round for r in runs})
    label = "on − off" + (f" (medians of {rounds} rounds)" if rounds > 1 else "")
    lines.append(
        f"| {name} | {count:,} | | {label} | {on['p50_ms'] - off['p50_ms']:+.2f} | "
        f"{on['p95_ms'] - off['p95_ms']:+.2f} | {on['p99_ms'] - off['p99_ms']:+.2f} | "
        f"{on['requests_per_s'] - off['requests_per_s']:+,.1f} | |"
    )
    return "\n".join(lines)


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=5000, help="timed GETs per setting")
    parser.add_argument("--warmup", type=int, default=300, help="untimed GETs per setting")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="on/off pairs; the order alternates (on then off, off then on, …)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--flush-seconds",
        type=float,
        default=1.0,
        help="CATALOG_USAGE_FLUSH_SECONDS of the servers (the service's default is 5)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the generated file and database")
    parser.add_argument("--reuse-db", action="store_true", help="skip loading if already loaded")
    parser.add_argument("--pg-setting", action="append", default=[], metavar="NAME=VALUE")
    return parser.parse_args()


def main() -> None:
    options = parse_options()
    count: int = options.records
    workdir: Path = options.workdir or Path(tempfile.mkdtemp(prefix="catalog-usage-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "engine": options.engine,
        "records": count,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "requests": options.requests,
        "warmup": options.warmup,
        "workers": options.workers,
        "flush_seconds": options.flush_seconds,
    }
    loading = Report(options.engine, count, {})
    source, _, _ = records_file(workdir, count)
    runs: list[Run] = []
    with database(options.engine, workdir, count, options.pg_setting) as db:
        load(db, source, workdir, loading, reuse=options.reuse_db)
        summary["load"] = loading.summary.get("load")
        ids = downloadable_ids(db)
        print(f"{len(ids):,} records downloadable as .mrc", flush=True)
        log = workdir / f"serve-usage-{options.engine}-{count}.log"
        key = admin_key(db.url, log)
        for round_ in range(1, options.rounds + 1):
            order = (True, False) if round_ % 2 else (False, True)
            for counting in order:
                run = measure(
                    db,
                    ids,
                    key,
                    log,
                    counting=counting,
                    round_=round_,
                    count=options.requests,
                    warmup=options.warmup,
                    workers=options.workers,
                    flush_seconds=options.flush_seconds,
                )
                runs.append(run)
                print(
                    f"round {round_}, counting {run.setting}: p50 {run.p50_ms} / "
                    f"p95 {run.p95_ms} / p99 {run.p99_ms} ms, {run.requests_per_s:,} "
                    f"requests/s, {run.errors} errors; the statistics gained {run.counted:,} "
                    f"downloads of {run.expected:,} expected (after {run.waited_s} s)",
                    flush=True,
                )
                if run.counted != run.expected:
                    print(f"  WARNING: {run.counted:,} counted, {run.expected:,} expected")
    summary["runs"] = [asdict(r) for r in runs]
    summary["on"] = pooled(runs, True)
    summary["off"] = pooled(runs, False)
    out = workdir / f"usage-{options.engine}-{count}.json"
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print()
    print(table(options.engine, count, runs))
    print(f"\nsummary: {out}")


if __name__ == "__main__":
    main()
