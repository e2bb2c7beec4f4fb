"""A real Einblick for the tests that need one: the console script run in a data directory of its own,
`einblick serve` on a free port, and a person's HTTP session against it (cookies, CSRF, forms with
files), with nothing of Django's test machinery in between."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from tests.ports import free_port

EINBLICK = Path(sys.executable).with_name("einblick")
# Variables of the developer's or CI's environment that would make an installation share a database,
# a key or a cache with the test run.
NOT_INHERITED = ("DATABASE_URL", "SECRET_KEY", "EINBLICK_MFA_KEY", "REDIS_URL")


def console_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh installation: SQLite in its own data directory."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env["EINBLICK_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def einblick(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 - our own console script
        [str(EINBLICK), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert done.returncode == 0, f"einblick {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def created_token(output: str) -> str:
    """`token create` ends with the token on a line of its own."""
    return output.strip().splitlines()[-1].strip()


def http_get(url: str, token: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a local URL
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


def port_taken(log_path: Path) -> bool:
    """Whether gunicorn found its port taken (it says so, retries for a few seconds, then exits)."""
    return any(words in log_path.read_text() for words in ("Connection in use", "Address already in use"))


def answers(process: subprocess.Popen[bytes], base: str, log_path: Path) -> bool:
    """Whether this server (not whoever holds its port) answers; stopped when it does not within 90 s."""
    deadline = time.monotonic() + 90
    while process.poll() is None and not port_taken(log_path):
        try:
            http_get(base + "/api/v1/openapi.json")
        except OSError:
            if time.monotonic() > deadline:
                stop(process)
                raise AssertionError(f"serve did not answer:\n{log_path.read_text()}") from None
            time.sleep(0.2)
            continue
        return not port_taken(log_path)
    return False


def start_serve(
    env: dict[str, str], log_path: Path, *, workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    """`einblick serve` on a free port, once it answers; on another port when a parallel test worker
    took the first one before gunicorn could bind it."""
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
        base = f"http://127.0.0.1:{port}"
        if answers(process, base, log_path):
            return process, base
        stop(process)
        if not port_taken(log_path):
            break
    raise AssertionError(f"serve exited with {process.returncode}:\n{log_path.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- raw HTTP against the real server -------------------------------------------------------------------


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

    def raw(self, request: bytes, *, half_close: bool = False) -> tuple[int, dict[str, str], bytes]:
        """Send these bytes as they are; status, headers (lower-case names) and body of the answer
        (its chunks joined), read until the server closes the connection. With half_close the client
        says it will send nothing more (a body that ends before its Content-Length)."""
        with socket.create_connection((self.host, self.port), timeout=30) as sock:
            sock.sendall(request)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
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


@contextmanager
def serving(tmp_path: Path, *, workers: int = 1, **settings: str) -> Iterator[Server]:
    """`einblick serve` with a fresh data directory and these environment settings, once it answers;
    stopped whatever happens."""
    env = console_env(tmp_path / "data", **settings)
    process, base = start_serve(env, tmp_path / "serve.log", workers=workers)
    try:
        host, port = base.removeprefix("http://").split(":")
        yield Server(host, int(port), env)
    finally:
        stop(process)


# --- a person's session against the real server -------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer of its own (the tests look at where it leads)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebSession:
    """One browser: a cookie jar, Django's CSRF token sent back with every form, redirects not
    followed. `token` makes it an API client instead."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float = 60,
    ) -> Answer:
        headers = {"Referer": self.base + path}
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)  # noqa: S310
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.headers, response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read(), time.monotonic() - started)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def put_json(self, path: str, data: Any, **kwargs: Any) -> Answer:
        return self.request(
            "PUT", path, body=json.dumps(data).encode(), content_type="application/json", **kwargs
        )

    def csrf(self) -> str:
        for cookie in self.jar:
            if cookie.name == "csrftoken" and cookie.value:
                return cookie.value
        raise AssertionError("no CSRF cookie yet: GET a page with a form first")

    def post(
        self, path: str, fields: dict[str, str], files: Sequence[tuple[str, str, bytes]] = (), **kwargs: Any
    ) -> Answer:
        """A form as a browser sends it; `files` are (field, file name, content)."""
        boundary = "----einblick" + secrets.token_hex(12)
        parts: list[bytes] = []
        for name, value in {"csrfmiddlewaretoken": self.csrf(), **fields}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, filename, content in files:
            parts.append(
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n"
                ).encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            body=b"".join(parts),
            content_type=f"multipart/form-data; boundary={boundary}",
            **kwargs,
        )

    def log_in(self, email: str, password: str, **kwargs: Any) -> Answer:
        """The login form: a 302 to the start page, or to the second-factor step."""
        assert self.get("/accounts/login/").status == 200
        return self.post("/accounts/login/", {"login": email, "password": password}, **kwargs)

    def second_factor(self, code: str) -> Answer:
        page = self.get("/accounts/2fa/authenticate/")
        assert page.status == 200, page.status
        return self.post("/accounts/2fa/authenticate/", {"code": code})

    def form_token(self, path: str) -> str:
        """The one-time token of a portal form (a form sent twice is written once)."""
        page = self.get(path)
        assert page.status == 200, (path, page.status)
        match = re.search(r'name="token" value="([^"]+)"', page.text)
        assert match, f"no form token on {path}"
        return match.group(1)


# --- the demo's logins, and commands watched while they run -------------------------------------------


@dataclass
class DemoLogins:
    """What `einblick demo` prints: Klara's and Max's passwords, Klara's grant, the API token."""

    klara_password: str
    grant: str
    staff_password: str
    token: str


def demo_logins(output: str) -> DemoLogins:
    def after(label: str) -> str:
        match = re.search(rf"^\s*{label}:\s+(.+)$", output, re.M)
        assert match, f"{label} is not in the demo's output:\n{output}"
        return match.group(1)

    customer = after("Customer")
    grant = re.search(r"id (g_\S+),", customer)
    assert grant
    return DemoLogins(
        klara_password=customer.split(" / ")[1].split()[0],
        grant=grant.group(1),
        staff_password=after("Staff admin").split(" / ")[1].split()[0],
        token=after("API token").strip(),
    )


class Watched:
    """A console command running in the background; what it writes to stderr is read as it comes
    (progress bars end their lines with \\r, so nothing waits for a newline)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own console script
            [str(EINBLICK), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.started = time.monotonic()
        self._err: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        while chunk := os.read(self.process.stderr.fileno(), 65536):
            self._err.append((time.monotonic(), chunk.decode("utf-8", "replace")))

    @property
    def stderr(self) -> str:
        return "".join(text for _, text in self._err)

    def wait_for(self, text: str, timeout: float = 120) -> float:
        """When `text` appeared on stderr (the test fails if the command ends or the time runs out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = ""
            for moment, chunk in list(self._err):
                seen += chunk
                if text in seen:
                    return moment
            if self.process.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"ended before {text!r}:\n{self.stderr}")
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} within {timeout} s:\n{self.stderr}")

    def progress_times(self) -> list[float]:
        """When each progress update (a \\r) arrived."""
        return [moment for moment, chunk in self._err for _ in range(chunk.count("\r"))]

    def finish(self, timeout: float = 300) -> tuple[int, str, str]:
        """Exit status, stdout and stderr once the command has ended."""
        assert self.process.stdout is not None and self.process.stderr is not None
        with self.process.stdout:
            out = self.process.stdout.read()  # stderr is the reader thread's
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        self.process.stderr.close()
        return self.process.returncode, out.decode(), self.stderr

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
