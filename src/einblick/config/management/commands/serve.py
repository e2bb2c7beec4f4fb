"""`einblick serve`: migrate, collect static files, then serve with gunicorn (+ WhiteNoise)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from einblick.config.logs import access_atoms


class _AccessLogger(Logger):
    """Gunicorn's access log without e-mail addresses in paths."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        return access_atoms(super().atoms(resp, req, environ, request_time))


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # Gunicorn 25.1+ opens a control socket for `gunicornc`, by default one path per user
        # ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl): a second instance takes it over, and stopping
        # either removes it under the other. Einblick is stopped and restarted by signals (systemd,
        # Ctrl+C) and needs none.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from einblick.config.wsgi import application

        return application


class Command(BaseCommand):
    help = "Migrate the database and serve Einblick with a production-grade server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        # Processes do the work (Python runs one thread at a time): with one thread each, requests are
        # answered in turn and the slowest stay close to the median (the portal benchmark's p95 is
        # about half of that with two or four threads). Two per core, so that an export streaming in one
        # leaves the others free; in production a reverse proxy buffers slow clients.
        parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1)))
        parser.add_argument("--threads", type=int, default=1)

    def handle(self, *args: Any, host: str, port: int, workers: int, threads: int, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        # The workers are forks of this process: none may inherit its database connection (two
        # processes on one socket corrupt each other's answers).
        connections.close_all()
        self.stdout.write(
            f"Einblick listens on http://{host}:{port}/ for {settings.BASE_URL} (Ctrl+C stops it)"
        )
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "timeout": 300,  # large imports on a small machine
                "accesslog": "-",
                "logger_class": _AccessLogger,
                # No query strings in the access log: they may hold search terms.
                "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms',
            }
        ).run()
