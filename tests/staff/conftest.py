"""The office's tests: the real SMTP sink of the accounts tests, for the mails staff invitations send."""

from tests.accounts.conftest import smtp  # noqa: F401
