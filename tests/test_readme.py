"""The README cannot rot: its settings table names every setting, and its curl examples run."""

import re
import shlex
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from app.db import migrations
from app.db.engine import create_database
from app.main import create_app
from app.services.access import Role
from app.services.records import RecordService
from app.settings import Settings

from support import ROOT, SteppingClock, fresh_database_url, load_samples, member_key

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table() -> None:
    table = set(re.findall(r"^\| `(CATALOG_[A-Z_]+)` \|", README, re.M))
    fields = {f"CATALOG_{name.upper()}" for name in Settings.model_fields}
    assert fields - table == set(), "settings missing from the README"
    assert table - fields == set(), "README documents settings that do not exist"


def curl_commands() -> Iterator[list[str]]:
    """Each `curl …` of the README's shell blocks, with continuation lines joined, and each
    `sed -i …` that edits a file the curls before it wrote."""
    for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", README, re.S):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith(("curl ", "sed -i ")):
                yield shlex.split(line)


def request_of(
    argv: list[str], workdir: Path
) -> tuple[str, str, dict[str, str], bytes | None, str | None]:
    method, url, headers, body, output = "GET", "", {}, None, None
    query: list[tuple[str, str]] = []  # -G: --data-urlencode goes to the query string
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-X", "--request"):
            method = next(args)
        elif arg in ("-H", "--header"):
            name, _, value = next(args).partition(":")
            headers[name.strip()] = value.strip()
        elif arg in ("--data-binary", "-d", "--data"):
            value = next(args)
            path = value[1:]
            source = workdir / path if (workdir / path).exists() else ROOT / path
            body = source.read_bytes() if value.startswith("@") else value.encode()
            method = "POST" if method == "GET" else method
        elif arg == "--data-urlencode":
            name, _, value = next(args).partition("=")
            query.append((name, value))
        elif arg in ("-o", "--output"):
            output = next(args)
        elif arg.startswith("http"):
            url = arg
        elif arg.startswith("-") and arg not in ("-s", "-i", "-f", "-S", "-sS", "-si", "-L", "-sG"):
            pytest.fail(f"the README uses a curl option this test does not know: {arg}")
    path = url.removeprefix("http://localhost:8000")
    if query:
        path += ("&" if "?" in path else "?") + urlencode(query)
    return method, path, headers, body, output


def test_readme_curl_examples_run_against_a_fresh_catalogue(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = fresh_database_url("sqlite", request, tmp_path)
    migrations.upgrade(url)
    settings = Settings(database_url=url)
    clock = SteppingClock(datetime(2026, 11, 25, tzinfo=UTC))
    database = create_database(url)
    service = RecordService(database, org_code=settings.marc_org_code, clock=clock)
    load_samples(service)
    commands = list(curl_commands())
    assert len(commands) >= 6
    with TestClient(create_app(settings, database=database, clock=clock)) as client:
        # The keys the README says to make first, with the CLI, for the national library.
        secrets = {
            "$CATALOG_ADMIN_KEY": member_key(client.app, Role.ADMIN, "VN-NLV"),  # type: ignore[arg-type]
            "$CATALOG_KEY": member_key(client.app, Role.CATALOGUER, "VN-NLV"),  # type: ignore[arg-type]
        }
        for argv in commands:
            if argv[0] == "sed":
                subprocess.run(argv, cwd=tmp_path, check=True)
                continue
            method, path, headers, body, output = request_of(argv, tmp_path)
            for name in headers:
                for variable, secret in secrets.items():
                    headers[name] = headers[name].replace(variable, secret)
            response = client.request(method, path, headers=headers, content=body)
            assert response.status_code < 400, (
                f"{shlex.join(argv)} → {response.status_code}: {response.text[:300]}"
            )
            if output:
                (tmp_path / output).write_bytes(response.content)
    database.engine.dispose()  # type: ignore[union-attr]
