"""`einblick token create --broker SLUG [--name N] [--read-only]`, `token list`, `token revoke`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from einblick.brokers.models import Broker
from einblick.brokers.services import create_token, revoke_token


class Command(BaseCommand):
    help = "Create, list and revoke API tokens of a broker."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token; it is shown once")
        create.add_argument("--broker", required=True)
        create.add_argument("--name", default="AMS")
        create.add_argument("--read-only", action="store_true")
        listing = sub.add_parser("list", help="list tokens (never the tokens themselves)")
        listing.add_argument("--broker", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("--broker", required=True)
        revoke.add_argument("prefix")

    @no_translations  # the command line speaks English, as the API does
    def handle(self, *args: Any, action: str, broker: str, **options: Any) -> None:
        try:
            tenant = Broker.objects.get(slug=broker)
        except Broker.DoesNotExist:
            raise CommandError(f"No broker with the slug {broker!r}.") from None
        if action == "create":
            token, secret = create_token(broker=tenant, name=options["name"], read_only=options["read_only"])
            kind = "read-only" if token.read_only else "read-write"
            self.stdout.write(f"Created {kind} token {token.name!r} ({token.prefix}…). It is shown only now:")
            self.stdout.write(secret)
        elif action == "list":
            for token in tenant.api_tokens.order_by("created_at"):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                kind = "read-only" if token.read_only else "read-write"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(f"{token.prefix}…\t{token.name}\t{kind}\t{state}\tlast used {used}")
        else:
            matches = list(tenant.api_tokens.filter(prefix=options["prefix"].rstrip("…")))
            if len(matches) != 1:
                raise CommandError("No token of this broker has that prefix (see `einblick token list`).")
            revoke_token(token=matches[0])
            self.stdout.write(self.style.SUCCESS(f"Revoked {matches[0].prefix}…."))
