"""Benchmark bulk import (the import issue): records/s end to end and peak memory of
`catalog import` (an import job: read, match, write, index, report), against plain pymarc
reading the same file in the same run (the ceiling).

Uses the records bench/search.py generates (same generator and seed; a workdir shared with it
reuses the file). Each run loads into a fresh database.

    .venv/bin/python bench/imports.py --engine sqlite --records 100000 --workdir /tmp/imports
    .venv/bin/python bench/imports.py --engine postgresql --records 100000 --workdir /tmp/imports
"""

import argparse
import json
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pymarc  # noqa: TID251 - the ceiling is plain pymarc, measured beside our pipeline
from common import CATALOG, TreeRss, catalog_env, run_catalog
from search import commit, database, records_file

TARGETS = {"sqlite": 3_000, "postgresql": 2_000}  # records/s, from the issue
RSS_TARGET_MB = 300


def pymarc_rate(path: Path) -> dict[str, Any]:
    """Plain pymarc reading the file, records and seconds: what parsing alone costs."""
    started = time.perf_counter()
    count = 0
    with path.open("rb") as source:
        for record in pymarc.MARCReader(source, to_unicode=True, force_utf8=True):
            if record is not None:
                count += 1
    elapsed = time.perf_counter() - started
    return {"records": count, "seconds": round(elapsed, 1), "records_per_s": round(count / elapsed)}


def import_rate(
    url: str, path: Path, log: Path, match: str, processes: int | None
) -> dict[str, Any]:
    """`catalog import` of the file into a migrated, empty database: rate and peak RSS."""
    run_catalog(["db", "upgrade"], url, log=log)
    started = time.perf_counter()
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [CATALOG, "import", "--match", match, str(path)],
            env={
                **catalog_env(url),
                **({"CATALOG_IMPORT_PROCESSES": str(processes)} if processes is not None else {}),
            },
            stderr=sink,
        )
        sampler = TreeRss(process.pid)
        process.wait()
        peak_tree_mb = sampler.stop()
    elapsed = time.perf_counter() - started
    # The largest single process (the writer, or one of the processes preparing records).
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with log.open() as text:
        tail = text.read()[-3000:]
    return {
        "exit_code": process.returncode,
        "seconds": round(elapsed, 1),
        "peak_rss_mb": peak_tree_mb,
        "largest_process_rss_mb": round(peak_kb / 1024),
        "log_tail": tail,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--pg-setting", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--match",
        default="isbn",
        help="match points: the generated records share the LCCN and ISSN of the corpus record "
        "they vary, so only their ISBNs tell them apart",
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="CATALOG_IMPORT_PROCESSES for the import (unset: the catalogue's default)",
    )
    options = parser.parse_args()
    count: int = options.records
    workdir: Path = options.workdir or Path(tempfile.mkdtemp(prefix="catalog-imports-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source, _, _ = records_file(workdir, count)
    summary: dict[str, Any] = {
        "engine": options.engine,
        "records": count,
        "processes": options.processes,
        "commit": commit(),
    }
    summary["pymarc"] = pymarc_rate(source)
    print(f"pymarc alone: {summary['pymarc']}", flush=True)
    with database(options.engine, workdir, count, options.pg_setting) as db:
        db.recreate()
        log = workdir / f"import-{options.engine}-{count}.log"
        figures = import_rate(db.url, source, log, options.match, options.processes)
        stored = db.records() or 0
    figures["stored"] = stored
    figures["records_per_s"] = round(count / figures["seconds"])
    summary["import"] = {k: v for k, v in figures.items() if k != "log_tail"}
    print(f"catalog import: {summary['import']}", flush=True)
    target = TARGETS[options.engine]
    print()
    processes = "default" if options.processes is None else options.processes
    print(
        "| engine | records | preparing processes | pymarc alone | `catalog import` end to end "
        "| target | peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {options.engine} | {count:,} | {processes} | "
        f"{summary['pymarc']['records_per_s']:,} records/s | "
        f"{figures['records_per_s']:,} records/s ({stored:,} stored) | {target:,} | "
        f"{figures['peak_rss_mb']} MB (target < {RSS_TARGET_MB}) |"
    )
    out = workdir / f"imports-{options.engine}-{count}-p{processes}.json"
    out.write_text(json.dumps(summary, indent=2))
    print(f"\nsummary: {out}")


if __name__ == "__main__":
    main()
