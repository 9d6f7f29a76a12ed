"""What the benchmarks share: the corpus, the `catalog` command, a served catalogue, percentiles.

Import it before `app`: it puts the checkout (and tests/, for postgres_server) on sys.path.
"""

import os
import socket
import subprocess
import sys
import threading
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
    """The environment of a benchmarked `catalog`: its database, quiet logs, and no rate
    limits, which a single client asking as fast as it can would otherwise run into (they
    are measured by the tests, not here)."""
    return {
        **os.environ,
        "CATALOG_DATABASE_URL": url,
        "CATALOG_LOG_LEVEL": "WARNING",
        "CATALOG_RATE_LIMIT": "",
        "CATALOG_ANONYMOUS_RATE_LIMIT": "",
    }


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


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (0 once it is gone)."""
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


class TreeRss:
    """Samples the summed RSS of a process tree in a thread: what a command with worker
    processes really holds at its peak (ru_maxrss gives only the largest single process)."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.peak_kb = 0
        self._pid = pid
        self._every = every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(self._every):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(self._pid))

    def stop(self) -> int:
        """Stop sampling; the peak in MB."""
        self._done.set()
        self._thread.join()
        return round(self.peak_kb / 1024)
