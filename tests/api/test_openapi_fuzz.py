"""Issue 15, item 11: schemathesis (every check: tests/api/schemathesis.toml, which `--checks all` on the
command line would override per operation) against a served Einblick with the demo broker finds
no server error, no answer the OpenAPI document does not describe, and no request the document allows
refused for a rule it does not state (tests/api/schemathesis_hooks.py: only unknown references and
rules across fields may be refused). On the database of the suite's run: SQLite, or a new PostgreSQL
database when the suite runs on PostgreSQL.

Bounded for CI (EINBLICK_FUZZ_EXAMPLES, default 15 examples per operation and phase); the README gives
the figures of a longer run and how to repeat it."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.servers import console_env, demo_logins, einblick, start_serve, stop

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None (SQLite in the data directory) or a new PostgreSQL database, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    name = f"einblick_fuzz_{secrets.token_hex(4)}"
    # A connection of its own for each statement: an idle one held through the run may be ended by
    # other tests' clean-ups meanwhile.
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlsplit(url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_schemathesis_finds_nothing(tmp_path, database_url):
    extra = {"DATABASE_URL": database_url} if database_url else {}
    # The fuzzer is one client making thousands of requests: the per-token limit is not under test here.
    env = console_env(
        tmp_path / "data",
        EMAIL_URL="outbox:",
        EINBLICK_API_RATE="1000000/m",
        EINBLICK_API_ANON_RATE="1000000/m",
        **extra,
    )
    einblick(env, "migrate", "--verbosity", "0")
    token = demo_logins(einblick(env, "demo").stdout).token
    examples = int(os.environ.get("EINBLICK_FUZZ_EXAMPLES", "15"))
    process, base = start_serve(env, tmp_path / "serve.log", workers=2)
    try:
        done = subprocess.run(  # noqa: S603 - the schemathesis of this virtualenv
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(ROOT / "tests/api/schemathesis.toml"),
                "run",
                f"{base}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                str(examples),
                # One worker: hypothesis parses lambdas' source with ast.parse, which is not thread-safe in
                # CPython 3.11.7 ("SystemError: AST constructor recursion depth mismatch", gh-106905).
                "--workers",
                "1",
                "--no-color",
            ],
            cwd=tmp_path,  # its own files (.schemathesis/) stay out of the checkout
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
                "NO_COLOR": "1",
            },
            capture_output=True,
            text=True,
            timeout=max(600, 12 * examples),  # a longer run on a shared machine takes longer
            check=False,
        )
    finally:
        stop(process)
    report = done.stdout + done.stderr
    summary = report[report.rfind("SUMMARY") :]
    print(summary)  # the figures, with -s

    assert done.returncode == 0, report[-20000:]  # no failure, no error
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    assert selected and selected[1] == selected[2], summary  # every operation of the document ...
    assert f"Tested: {selected[1]}" in summary, summary  # ... was tried
    assert "Internal Server Error" not in (tmp_path / "serve.log").read_text()
