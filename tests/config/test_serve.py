"""`einblick serve` instances on one machine stay apart: gunicorn's control socket (by default one path
per user, ~/.gunicorn/gunicorn.ctl) is not opened, so stopping one instance cannot take anything from
another, and nothing is written under the home directory."""

from __future__ import annotations

from pathlib import Path

from tests.servers import console_env, http_get, start_serve, stop


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_two_servers_one_after_another_do_not_interfere_and_write_nothing_under_home(tmp_path):
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir()
    places = {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    first, first_base = start_serve(console_env(tmp_path / "a", **places), tmp_path / "a.log")
    try:
        second, second_base = start_serve(console_env(tmp_path / "b", **places), tmp_path / "b.log")
        try:
            assert http_get(first_base + "/api/v1/openapi.json")[0] == 200
            assert http_get(second_base + "/api/v1/openapi.json")[0] == 200
            assert files_under(home) == files_under(runtime) == []  # no socket while both run

            stop(first)

            assert first.returncode is not None
            assert http_get(second_base + "/api/v1/openapi.json")[0] == 200
            third, third_base = start_serve(console_env(tmp_path / "c", **places), tmp_path / "c.log")
            try:
                stop(second)
                assert http_get(third_base + "/api/v1/openapi.json")[0] == 200
            finally:
                stop(third)
        finally:
            stop(second)
    finally:
        stop(first)

    assert files_under(home) == []
    assert files_under(runtime) == []
    for log in ("a.log", "b.log", "c.log"):
        assert "Control socket" not in (tmp_path / log).read_text()
