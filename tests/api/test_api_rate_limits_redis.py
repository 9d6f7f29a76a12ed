"""Rate limits shared by several API processes through a real Redis server."""

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db.engine import Database
from app.main import create_app
from app.services.access import Role
from app.settings import Settings

from support import SteppingClock, clear_of_a_minute_boundary, member_key, redis_server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throw-away Redis on loopback, nothing saved to disk."""
    port = _free_port()
    process = subprocess.Popen(
        [
            redis_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_api_processes_share_one_allowance_through_redis(
    settings: Settings, database: Database, clock: SteppingClock, redis_url: str
) -> None:
    shared = settings.model_copy(
        update={
            "rate_limit": "4/minute",
            "anonymous_rate_limit": "3/minute",
            "rate_limit_storage": redis_url,
        }
    )
    # Two apps, each with its own limiter, as two API processes of a deployment would be.
    first = TestClient(create_app(shared, database=database, clock=clock))
    second = TestClient(create_app(shared, database=database, clock=clock))
    clear_of_a_minute_boundary()
    key = {"Authorization": f"Bearer {member_key(first.app, Role.READER)}"}  # type: ignore[arg-type]
    statuses = [
        client.get("/api/v1/me", headers=key).status_code
        for client in (first, second, first, second, first)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    refused = second.get("/api/v1/me", headers=key)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    anonymous = [c.get("/api/v1/institutions").status_code for c in (second, first, second, first)]
    assert anonymous == [200, 200, 200, 429]


def test_with_memory_storage_each_process_counts_on_its_own(
    settings: Settings, database: Database, clock: SteppingClock
) -> None:
    alone = settings.model_copy(update={"rate_limit": "2/minute", "anonymous_rate_limit": ""})
    first = TestClient(create_app(alone, database=database, clock=clock))
    second = TestClient(create_app(alone, database=database, clock=clock))
    clear_of_a_minute_boundary()
    key = {"Authorization": f"Bearer {member_key(first.app, Role.READER)}"}  # type: ignore[arg-type]
    statuses = [c.get("/api/v1/me", headers=key).status_code for c in (first, first, second)]
    assert statuses == [200, 200, 200]
    assert first.get("/api/v1/me", headers=key).status_code == 429
