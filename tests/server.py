"""The real server for tests whose point is the server (gunicorn's handling of the request, several
workers sharing one cache): `einblick serve` on a free port with a fresh SQLite data directory, the
console script for its commands, and raw HTTP against it. tests/test_cli.py starts it the same way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.ports import free_port

EINBLICK = Path(sys.executable).with_name("einblick")


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    env: dict[str, str]

    def einblick(self, *args: str) -> str:
        """Run a command of this installation; its output."""
        done = subprocess.run(  # noqa: S603 - our own console script
            [str(EINBLICK), *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"einblick {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def token(self, broker: str = "e2e") -> str:
        """A broker and a read-write token of it; the token."""
        self.einblick("broker", "create", broker, "--name", f"{broker.upper()} Makler")
        return self.einblick("token", "create", "--broker", broker).strip().splitlines()[-1].strip()

    def raw(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send these bytes as they are; status, headers (lower-case names) and body of the answer
        (its chunks joined), read until the server closes the connection."""
        with socket.create_connection((self.host, self.port), timeout=30) as sock:
            sock.sendall(request)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = _dechunked(body)
        return int(status_line.split()[1]), headers, body


def _dechunked(body: bytes) -> bytes:
    joined = b""
    while True:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return joined
        joined += rest[:size]
        body = rest[size + 2 :]


def installation_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a fresh installation: SQLite in its own data directory, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SECRET_KEY")}
    return {**env, "EINBLICK_DATA_DIR": str(data_dir), **settings}


@contextmanager
def serving(tmp_path: Path, *, workers: int = 1, **settings: str) -> Iterator[Server]:
    """`einblick serve` with a fresh data directory and these environment settings, once it answers;
    on another port when a parallel test worker took the first one; stopped whatever happens."""
    env = installation_env(tmp_path / "data", **settings)
    log_path = tmp_path / "serve.log"
    for _ in range(3):
        port = free_port()
        with log_path.open("w") as log:
            process = subprocess.Popen(  # noqa: S603 - our own console script
                [str(EINBLICK), "serve", "--port", str(port), "--workers", str(workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the gunicorn workers stop with it
            )
        try:
            if _answers(process, port, log_path):
                yield Server("127.0.0.1", port, env)
                return
        finally:
            _stop(process)
        if not _port_taken(log_path):
            break
    raise AssertionError(f"serve exited with {process.returncode}:\n{log_path.read_text()}")


def _port_taken(log_path: Path) -> bool:
    return any(words in log_path.read_text() for words in ("Connection in use", "Address already in use"))


def _answers(process: subprocess.Popen[bytes], port: int, log_path: Path) -> bool:
    """Whether this server (not whoever holds its port) answers within 90 s."""
    deadline = time.monotonic() + 90
    while process.poll() is None and not _port_taken(log_path):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /api/v1/openapi.json HTTP/1.0\r\n\r\n")
                if sock.recv(12).startswith(b"HTTP/1."):
                    return not _port_taken(log_path)
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"serve did not answer:\n{log_path.read_text()}")
        time.sleep(0.2)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
