"""Free local ports for the servers the tests start (SMTP sinks, `einblick serve`)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nobody listens on at this moment. Another process (a parallel pytest-xdist worker) may
    take it before the caller binds it, so callers try again with a new one when binding fails."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
