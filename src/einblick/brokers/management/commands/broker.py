"""`einblick broker create SLUG --name NAME` and `einblick broker list`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from einblick.brokers.models import Broker
from einblick.brokers.services import create_broker
from einblick.errors import DomainError


class Command(BaseCommand):
    help = "Create and list brokers (tenants)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a broker with the default line catalogue")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        sub.add_parser("list", help="list brokers")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            try:
                broker = create_broker(slug=options["slug"], name=options["name"])
            except DomainError as exc:
                raise CommandError(f"{exc.message} {'; '.join(e.msg for e in exc.errors)}") from None
            self.stdout.write(self.style.SUCCESS(f"Created broker {broker.slug} ({broker.name})."))
        else:
            for broker in Broker.objects.order_by("slug"):
                self.stdout.write(f"{broker.slug}\t{broker.name}")
