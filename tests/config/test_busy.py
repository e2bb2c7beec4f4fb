"""The 503 for a locked SQLite database (config/busy.py), with real "database is locked" errors from two
connections to one file; everything else stays Django's 500. (The same against the real server, during
a long import: tests/test_sqlite_load.py.)"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from django.db import IntegrityError, OperationalError
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from einblick.config.busy import server_error
from einblick.errors import is_database_busy


def locked_error(tmp_path: Path) -> sqlite3.OperationalError:
    """What a write gets when another connection holds the write lock past its timeout."""
    path = tmp_path / "locked.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        with closing(sqlite3.connect(path, timeout=0.05, isolation_level=None)) as writer:
            try:
                writer.execute("INSERT INTO t VALUES (1)")
            except sqlite3.OperationalError as exc:
                return exc
    raise AssertionError("the second write was not refused")


def as_django(error: Exception, kind: type[Exception] = OperationalError) -> Exception:
    """The error as Django raises it: its own class, the driver's error as the cause."""
    try:
        raise kind(*error.args) from error
    except kind as wrapped:
        return wrapped


def test_a_locked_database_is_told_apart_from_other_database_errors(tmp_path):
    locked = locked_error(tmp_path)
    with closing(sqlite3.connect(tmp_path / "other.sqlite3")) as connection:
        with pytest.raises(sqlite3.OperationalError) as missing:
            connection.execute("SELECT * FROM nowhere")
        connection.execute("CREATE TABLE u (x UNIQUE)")
        connection.execute("INSERT INTO u VALUES (1)")
        with pytest.raises(sqlite3.IntegrityError) as duplicate:
            connection.execute("INSERT INTO u VALUES (1)")

    assert is_database_busy(locked)
    assert is_database_busy(as_django(locked))
    assert not is_database_busy(as_django(missing.value))
    assert not is_database_busy(as_django(duplicate.value, IntegrityError))
    assert not is_database_busy(None)


def answer_while_handling(error: Exception, path: str):
    """handler500 is called while Django handles the exception: so here."""
    try:
        raise error
    except Exception:
        return server_error(RequestFactory().post(path))


def test_a_locked_database_answers_503_with_retry_after_in_the_apis_shape(tmp_path, settings):
    response = answer_while_handling(as_django(locked_error(tmp_path)), "/api/v1/customers/K-1")

    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.SQLITE_TIMEOUT)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "detail": f"The database is busy with other writes; please retry in {settings.SQLITE_TIMEOUT} seconds.",
        "errors": [],
    }


def test_a_locked_database_answers_a_page_in_the_users_language_with_retry_after(tmp_path, settings):
    response = answer_while_handling(as_django(locked_error(tmp_path)), "/portal/g_x/messages/new/")

    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.SQLITE_TIMEOUT)
    assert response["Content-Type"].startswith("text/html")
    assert 'lang="de"' in html
    with translation.override("de"):
        assert gettext("Please try again in a moment") in html


@pytest.mark.parametrize("path", ["/api/v1/customers/K-1", "/portal/"])
def test_every_other_error_stays_a_500(tmp_path, path):
    missing = sqlite3.OperationalError("no such table: nowhere")

    for error in (as_django(missing), ValueError("a bug")):
        response = answer_while_handling(error, path)
        assert response.status_code == 500
        assert "Retry-After" not in response
