"""What the benchmarks share: the corpus, the `catalog` command, a served catalogue, percentiles.

Import it before `app`: it puts the checkout (and tests/, for postgres_server) on sys.path.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from app import marc  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
CATALOG = str(ROOT / ".venv" / "bin" / "catalog")


def corpus_records() -> list[marc.Record]:
    """Every record with a title in the corpus's ISO 2709 files, as read."""
    records = []
    for path in sorted((CORPUS / "iso2709").rglob("*")):
        if path.is_file():
            with path.open("rb") as source:
                records.extend(
                    item.record
                    for item in marc.read(source, marc.Format.MRC)
                    if isinstance(item, marc.ParsedRecord) and item.record.get("245")
                )
    return records


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def catalog_env(url: str) -> dict[str, str]:
    return {**os.environ, "CATALOG_DATABASE_URL": url, "CATALOG_LOG_LEVEL": "WARNING"}


@contextmanager
def _output(log: Path | None) -> Iterator[int | IO[bytes]]:
    if log is None:
        yield subprocess.DEVNULL
        return
    with log.open("ab") as sink:
        yield sink


def run_catalog(args: list[str], url: str, *, log: Path | None = None, check: bool = True) -> int:
    """Run `catalog ARGS` on a database; its stderr goes to `log` (or nowhere). The exit code."""
    with _output(log) as sink:
        done = subprocess.run([CATALOG, *args], env=catalog_env(url), check=check, stderr=sink)
    return done.returncode


@contextmanager
def served(
    url: str, workers: int, *, log: Path | None = None, timeout: float = 120
) -> Iterator[str]:
    """Run `catalog serve` on a database until the block ends; yield its base URL.

    Waits until /health answers 200, so a migration or index check at start-up is not timed."""
    port = free_port()
    with _output(log) as sink:
        process = subprocess.Popen(
            [CATALOG, "serve", "--port", str(port), "--workers", str(workers)],
            env=catalog_env(url),
            stderr=sink,
            stdout=sink,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"catalog serve exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"catalog serve not healthy after {timeout:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def percentile(values: list[float], fraction: float) -> float:
    """The value at `fraction` (0.95 for p95) of the sorted values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
