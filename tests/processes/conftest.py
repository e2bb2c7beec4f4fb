"""The real SMTP sink of the accounts tests, for the processes' notices."""

from tests.accounts.conftest import smtp  # noqa: F401 - a fixture
