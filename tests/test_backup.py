"""Backup and restore (issue 15, item 9), against the real server: `einblick backup` copies a running
installation while the AMS writes through the API and a customer sends photos; `einblick restore` puts
it into a new data directory, where the database is intact, the customer and a staff member with TOTP
(whose secret only the backed-up MFA key decrypts) log in, and every uploaded file has its sha256.
Then the refusals: a destination that is not empty, a target that is not empty, a damaged backup,
keys from the environment, and PostgreSQL without its client tools."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.mfa import totp_code
from tests.samples import CONTRACT, CUSTOMER
from tests.servers import (
    Answer,
    DemoLogins,
    WebSession,
    console_env,
    demo_logins,
    einblick,
    start_serve,
    stop,
)

KLARA = "klara.muster@example.org"
MAX = "max@muster-makler.example"

# Max's TOTP, with a secret the test knows (the demo's is random): allauth stores it encrypted with
# EINBLICK_MFA_KEY, so a TOTP login after the restore proves that the key came along.
SET_TOTP = """
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(email={email!r})
Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
TOTP.activate(user, {secret!r})
"""
# What the restored database holds: its uploaded files, and the customers the AMS put during the backup.
REPORT = """
import json
from einblick.portfolio.models import Customer
from einblick.processes.models import Attachment, DraftFile
files = [[f.stored, f.sha256, f.size] for model in (Attachment, DraftFile) for f in model.objects.all()]
print(json.dumps({"files": files, "customers": Customer.objects.filter(external_id__startswith="K-W").count()}))
"""


def photo() -> bytes:
    """A JPEG by its content (the server checks the first bytes), different every time."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + secrets.token_bytes(256 * 1024) + b"\xff\xd9"


def send_photo(klara: WebSession, grant: str, content: bytes) -> Answer:
    form = f"/portal/{grant}/messages/new/"
    token = klara.form_token(form)
    fields = {"token": token, "subject": "Schadenfoto", "body": "Anbei das Foto."}
    return klara.post(form, fields, files=[("attachments", "foto.jpg", content)])


def portfolio_file(folder: Path) -> str:
    """Some bulk, so that copying the database takes a moment."""
    data = {
        "customers": {f"K-{n}": {**CUSTOMER, "first_name": f"Kunde {n}"} for n in range(5_000)},
        "contracts": {
            f"V-{n}": {**CONTRACT, "customer": f"K-{n % 5_000}", "number": f"N-{n}"} for n in range(20_000)
        },
    }
    path = folder / "portfolio.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@dataclass
class Writers:
    """The AMS putting customers and Klara sending photos, each in a thread of its own, until stopped;
    every answer that is not a success is a failure of the test."""

    base: str
    logins: DemoLogins
    puts: list[float] = field(default_factory=list)  # when each PUT was answered 201
    uploads: list[tuple[float, str]] = field(default_factory=list)  # when, and the photo's sha256
    failures: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Writers:
        self.threads = [
            threading.Thread(target=self._guarded, args=(loop,)) for loop in (self._put, self._send)
        ]
        for thread in self.threads:
            thread.start()
        deadline = time.monotonic() + 60
        while not (self.puts and self.uploads) and not self.failures and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _guarded(self, loop: Callable[[], None]) -> None:
        try:
            loop()
        except Exception as exc:  # a thread's exception would be lost
            self.failures.append(repr(exc))

    def _put(self) -> None:
        api = WebSession(self.base, self.logins.token)
        while not self.done.is_set():
            number = len(self.puts)
            answer = api.put_json(
                f"/api/v1/customers/K-W{number}", {"kind": "company", "company_name": f"Firma {number}"}
            )
            if answer.status != 201:
                self.failures.append(f"PUT K-W{number}: {answer.status} {answer.text[:200]}")
                return
            self.puts.append(time.monotonic())

    def _send(self) -> None:
        klara = WebSession(self.base)
        assert klara.log_in(KLARA, self.logins.klara_password).status == 302
        while not self.done.is_set():
            content = photo()
            answer = send_photo(klara, self.logins.grant, content)
            if answer.status != 302:
                self.failures.append(f"message with a photo: {answer.status} {answer.text[:200]}")
                return
            self.uploads.append((time.monotonic(), hashlib.sha256(content).hexdigest()))


def prepared(data: Path, **extra: str) -> tuple[dict[str, str], DemoLogins, str]:
    """The demo with some bulk and Max's TOTP; its environment, logins and Max's TOTP secret."""
    env = console_env(data, EMAIL_URL="outbox:", **extra)
    logins = demo_logins(einblick(env, "demo").stdout)
    einblick(env, "import", portfolio_file(data.parent), "--broker", "muster", "--mode", "partial")
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    einblick(env, "shell", "-c", SET_TOTP.format(email=MAX, secret=secret))
    return env, logins, secret


def back_up_while_writing(
    tmp_path: Path, env: dict[str, str], logins: DemoLogins
) -> tuple[Writers, float, float]:
    """`einblick backup` while the writers write; the writers, and when the backup started and ended."""
    process, base = start_serve(env, tmp_path / "serve.log", workers=2)
    try:
        with Writers(base, logins) as writers:  # once each has written
            started = time.monotonic()
            backup = einblick(env, "backup", str(tmp_path / "backup"), check=False)
            ended = time.monotonic()
    finally:
        stop(process)
    assert backup.returncode == 0, backup.stderr
    assert "Keep off-site: the whole backup directory" in backup.stdout
    assert writers.failures == []
    return writers, started, ended


def check_restored(
    tmp_path: Path,
    restored_env: dict[str, str],
    logins: DemoLogins,
    secret: str,
    writers: Writers,
    started: float,
    ended: float,
) -> None:
    assert einblick(restored_env, "migrate", "--check").returncode == 0  # every migration is there
    report = json.loads(einblick(restored_env, "shell", "--no-imports", "-c", REPORT).stdout)
    # The AMS's writes: all those answered before the backup began, none that was never made.
    assert sum(1 for moment in writers.puts if moment < started) <= report["customers"] <= len(writers.puts)
    # Every uploaded file the restored database names is there, with the sha256 it was sent with.
    sent = {digest for _, digest in writers.uploads}
    before = {digest for moment, digest in writers.uploads if moment < started}
    restored = {digest for _, digest, _ in report["files"]}
    assert before <= restored
    uploads = Path(restored_env["EINBLICK_DATA_DIR"]) / "uploads"
    for stored, digest, size in report["files"]:
        content = (uploads / stored[:2] / stored).read_bytes()
        assert len(content) == size
        assert hashlib.sha256(content).hexdigest() == digest
    assert restored <= sent, "a file nobody sent"
    # Writes went on while the backup ran.
    assert any(started < moment < ended for moment in writers.puts)
    assert any(started < moment < ended for moment, _ in writers.uploads)

    process, base = start_serve(restored_env, tmp_path / "restored.log")
    try:
        klara = WebSession(base)
        assert klara.log_in(KLARA, logins.klara_password).status == 302
        assert klara.get(f"/portal/{logins.grant}/").status == 200
        max_ = WebSession(base)
        step = max_.log_in(MAX, logins.staff_password)
        assert step.status == 302 and step.headers["Location"] == "/accounts/2fa/authenticate/"
        assert max_.second_factor(totp_code(secret)).status == 302
        assert max_.get("/staff/").status == 200
    finally:
        stop(process)


def test_a_backup_made_while_the_server_writes_restores_into_a_working_installation(tmp_path):
    env, logins, secret = prepared(tmp_path / "data")
    writers, started, ended = back_up_while_writing(tmp_path, env, logins)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"]["integrity_check"] == "ok"
    assert manifest["problems"] == []
    assert {entry["source"] for entry in manifest["keys"].values()} == {"data directory"}

    restored_env = console_env(tmp_path / "restored", EMAIL_URL="outbox:")
    done = einblick(restored_env, "restore", str(tmp_path / "backup"))

    assert "integrity_check ok" in done.stdout
    with closing(sqlite3.connect(tmp_path / "restored" / "einblick.sqlite3")) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check_restored(tmp_path, restored_env, logins, secret, writers, started, ended)


# --- PostgreSQL -------------------------------------------------------------------------------------


def postgres_url() -> str:
    """The server the suite's PostgreSQL run uses (its DATABASE_URL), else CI's default."""
    url = os.environ.get("DATABASE_URL", "")
    return (
        url if url.startswith(("postgres://", "postgresql://")) else "postgres://postgres@127.0.0.1:5432/test"
    )


@pytest.fixture
def postgres_databases() -> Iterator[tuple[str, str]]:
    """Two new, empty databases (the installation and the one to restore into), dropped afterwards."""
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: apt-get install postgresql-client)")
    admin_url = postgres_url()
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {urlsplit(admin_url).netloc}: {exc}")
    names = [f"einblick_backup_{secrets.token_hex(4)}_{role}" for role in ("source", "restored")]
    with admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield tuple(urlsplit(admin_url)._replace(path=f"/{name}").geturl() for name in names)  # type: ignore[misc]
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_postgresql_backup_made_while_the_server_writes_restores_into_an_empty_database(
    tmp_path, postgres_databases
):
    source, target = postgres_databases
    env, logins, secret = prepared(tmp_path / "data", DATABASE_URL=source)
    writers, started, ended = back_up_while_writing(tmp_path, env, logins)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"]["engine"] == "postgresql"
    assert manifest["database"]["toc_entries"] > 100
    assert manifest["problems"] == []

    restored_env = console_env(tmp_path / "restored", EMAIL_URL="outbox:", DATABASE_URL=target)
    done = einblick(restored_env, "restore", str(tmp_path / "backup"))

    assert "PostgreSQL, by pg_restore" in done.stdout
    check_restored(tmp_path, restored_env, logins, secret, writers, started, ended)
    again = einblick(
        console_env(tmp_path / "again", DATABASE_URL=target), "restore", str(tmp_path / "backup"), check=False
    )
    assert again.returncode == 1
    assert "a restore goes into an empty database and never overwrites anything" in again.stderr


# --- refusals ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """The demo on SQLite (no server needed), and a backup of it."""
    folder = tmp_path_factory.mktemp("refusals")
    env = console_env(folder / "data", EMAIL_URL="outbox:")
    einblick(env, "demo")
    einblick(env, "backup", str(folder / "backup"))
    return env, folder / "backup"


def listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def refused(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 1, done.stdout
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_a_backup_refuses_a_destination_that_is_not_empty(installation, tmp_path):
    env, _ = installation
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "last-week.tar").write_bytes(b"older backup")

    done = einblick(env, "backup", str(tmp_path / "dest"), check=False)

    refused(done, "exists and is not empty: a backup goes into a new or empty directory")
    assert listing(tmp_path / "dest") == ["last-week.tar"]


def test_a_restore_refuses_a_data_directory_that_is_not_empty_and_leaves_it_as_it_was(installation, tmp_path):
    _, backup = installation
    target = tmp_path / "target"
    target.mkdir()
    (target / "einblick.sqlite3").write_bytes(b"the database of another installation")

    done = einblick(console_env(target), "restore", str(backup), check=False)

    refused(done, f"The data directory {target} is not empty")
    assert "never overwrites anything" in done.stderr
    assert listing(target) == ["einblick.sqlite3", "static"]  # no key files left behind
    assert (target / "einblick.sqlite3").read_bytes() == b"the database of another installation"


def test_a_restore_refuses_a_damaged_backup_and_writes_nothing(installation, tmp_path):
    _, backup = installation
    damaged = Path(shutil.copytree(backup, tmp_path / "damaged"))
    with (damaged / "database.sqlite3").open("r+b") as handle:
        handle.seek(5000)
        byte = handle.read(1)
        handle.seek(5000)
        handle.write(bytes([byte[0] ^ 0xFF]))

    done = einblick(console_env(tmp_path / "target"), "restore", str(damaged), check=False)

    refused(done, "is damaged; nothing was restored")
    assert "database.sqlite3: sha256 differs from the manifest" in done.stderr
    assert listing(tmp_path / "target") == ["static"]


def test_a_restore_refuses_a_manifest_that_names_a_file_outside_the_backup(installation, tmp_path):
    _, backup = installation
    forged = Path(shutil.copytree(backup, tmp_path / "forged"))
    manifest = json.loads((forged / "manifest.json").read_text())
    manifest["files"].append({"path": "files/uploads/../../../outside", "size": 1, "sha256": "0" * 64})
    (forged / "manifest.json").write_text(json.dumps(manifest))

    done = einblick(console_env(tmp_path / "target"), "restore", str(forged), check=False)

    refused(done, "names a file outside files/")
    assert listing(tmp_path / "target") == ["static"]


def test_a_restore_refuses_a_directory_without_a_manifest(tmp_path):
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "einblick.sqlite3").write_bytes(b"copied by hand")

    done = einblick(console_env(tmp_path / "target"), "restore", str(tmp_path / "copy"), check=False)

    refused(done, "has no manifest.json: it is not a backup made by `einblick backup`")
    assert not (tmp_path / "target" / "einblick.sqlite3").exists()  # nothing was copied


def test_keys_from_the_environment_stay_out_of_the_backup_and_the_restore_asks_for_the_mfa_key(tmp_path):
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EINBLICK_MFA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    env = console_env(tmp_path / "data", **keys)
    einblick(env, "migrate", "--verbosity", "0")

    backup = einblick(env, "backup", str(tmp_path / "backup"))

    assert "EINBLICK_MFA_KEY  from the environment: NOT in this backup" in backup.stdout
    assert "Keep separately as well: SECRET_KEY and EINBLICK_MFA_KEY" in backup.stdout
    assert not (tmp_path / "backup" / "keys").exists()
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["keep_separately"] == ["SECRET_KEY", "EINBLICK_MFA_KEY"]
    assert keys["EINBLICK_MFA_KEY"] not in (tmp_path / "backup" / "manifest.json").read_text()

    without = einblick(console_env(tmp_path / "t1"), "restore", str(tmp_path / "backup"), check=False)
    refused(without, "made with EINBLICK_MFA_KEY from the environment, and it is not set now")
    assert listing(tmp_path / "t1") == ["static"]
    other_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    wrong = einblick(
        console_env(tmp_path / "t2", EINBLICK_MFA_KEY=other_key),
        "restore",
        str(tmp_path / "backup"),
        check=False,
    )
    refused(wrong, "EINBLICK_MFA_KEY in the environment is not the key this backup was made with")
    right = einblick(
        console_env(tmp_path / "t3", EINBLICK_MFA_KEY=keys["EINBLICK_MFA_KEY"]),
        "restore",
        str(tmp_path / "backup"),
    )
    assert "SECRET_KEY is not the one the backup was made with (a new one was generated)" in right.stderr
    assert "EINBLICK_MFA_KEY (from the environment)" in right.stdout


def without_postgres_tools(env: dict[str, str]) -> dict[str, str]:
    """The same environment with a PATH that has no pg_dump and no pg_restore."""
    return {**env, "PATH": str(Path(sys.executable).parent)}


def test_a_postgresql_backup_without_pg_dump_says_what_to_install_and_writes_nothing(
    tmp_path, postgres_databases
):
    source, _ = postgres_databases
    env = console_env(tmp_path / "data", DATABASE_URL=source)
    einblick(env, "migrate", "--verbosity", "0")

    done = einblick(without_postgres_tools(env), "backup", str(tmp_path / "backup"), check=False)

    refused(
        done, "pg_dump is not installed, so the PostgreSQL database cannot be backed up; nothing was written"
    )
    assert "apt-get install postgresql-client" in done.stderr
    assert not (tmp_path / "backup").exists()


def test_a_postgresql_restore_without_pg_restore_prints_the_command_that_finishes_it(
    tmp_path, postgres_databases
):
    source, target = postgres_databases
    env = console_env(tmp_path / "data", DATABASE_URL=source)
    einblick(env, "demo")
    einblick(env, "backup", str(tmp_path / "backup"))
    restored_env = console_env(tmp_path / "restored", DATABASE_URL=target)

    done = einblick(without_postgres_tools(restored_env), "restore", str(tmp_path / "backup"), check=False)

    refused(done, "The files and keys are restored, the database is not: pg_restore is not installed")
    command = done.stderr.split("and run\n")[1].splitlines()[0].strip()
    assert command.startswith("pg_restore --no-owner --no-privileges") and command.endswith("database.pgdump")
    assert sorted(os.listdir(tmp_path / "restored")) == [
        "documents",
        "einblick_mfa_key",
        "secret_key",
        "static",
    ]
    finished = subprocess.run(shlex.split(command), capture_output=True, text=True, check=False)  # noqa: S603
    assert finished.returncode == 0, finished.stderr
    assert einblick(restored_env, "migrate", "--check").returncode == 0
    assert (
        "klara.muster@example.org"
        in einblick(
            restored_env,
            "shell",
            "--no-imports",
            "-c",
            "from django.contrib.auth import get_user_model; print(list(get_user_model().objects.values_list('email', flat=True)))",
        ).stdout
    )


# What the README proposes for moving from SQLite to PostgreSQL, in the same data directory.
AFTER_THE_MOVE = """
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.auth import authenticate
from einblick.brokers.models import Broker
from einblick.portfolio.importing import put_object
print(sorted((m._meta.label, m._default_manager.count()) for m in apps.get_models()))
totp = Authenticator.objects.get(user__email={max!r}, type="totp")
print(len(get_adapter().decrypt(totp.data["secret"])))
print(authenticate(email={klara!r}, password={password!r}))
broker = Broker.objects.get(slug="muster")
print(put_object(broker=broker, actor=None, section="customers", external_id="K-NEU", data={{"kind": "company", "company_name": "Neu GmbH"}}))
"""


def test_sqlite_data_moves_to_postgresql_with_dumpdata_and_loaddata(tmp_path, postgres_databases):
    _, target = postgres_databases
    sqlite_env = console_env(tmp_path / "data", EMAIL_URL="outbox:")
    logins = demo_logins(einblick(sqlite_env, "demo").stdout)
    dump = str(tmp_path / "einblick.json")
    einblick(
        sqlite_env,
        "dumpdata",
        "--natural-foreign",
        "--natural-primary",
        "-e",
        "contenttypes",
        "-e",
        "auth.permission",
        "-o",
        dump,
    )
    postgres_env = {**sqlite_env, "DATABASE_URL": target}

    einblick(postgres_env, "migrate", "--verbosity", "0")
    einblick(postgres_env, "loaddata", dump)

    script = AFTER_THE_MOVE.format(max=MAX, klara=KLARA, password=logins.klara_password)
    before = einblick(sqlite_env, "shell", "--no-imports", "-c", script.split("totp =")[0]).stdout
    after = einblick(postgres_env, "shell", "--no-imports", "-c", script).stdout.splitlines()
    assert after[0] == before.strip()  # every table, row for row
    assert after[1:] == ["32", KLARA, "created"]  # the TOTP secret decrypts; logins work; new ids are free


STORE_A_DOCUMENT_FILE = """
from django.core.files.base import ContentFile
from django.core.files.storage import storages
print(storages["documents"].save("ab/abcdef", ContentFile(b"%PDF-1.4 Police")))
"""


def test_the_documents_files_are_backed_up_and_restored(tmp_path):
    """The documents' storage is a directory of the installation by default (issue 16): the backup
    copies it and the restore puts it back."""
    env = console_env(tmp_path / "data", EMAIL_URL="outbox:")
    einblick(env, "migrate", "--verbosity", "0")
    stored = einblick(env, "shell", "--no-imports", "-c", STORE_A_DOCUMENT_FILE).stdout.strip()
    einblick(env, "backup", str(tmp_path / "backup"))

    restored_env = console_env(tmp_path / "restored", EMAIL_URL="outbox:")
    einblick(restored_env, "restore", str(tmp_path / "backup"))

    assert (tmp_path / "restored" / "documents" / stored).read_bytes() == b"%PDF-1.4 Police"
