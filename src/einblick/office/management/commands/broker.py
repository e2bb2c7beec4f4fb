"""`einblick broker create SLUG --name NAME`, `einblick broker list` and
`einblick broker logo SLUG FILE|--remove`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from einblick.brokers import logo
from einblick.brokers.models import Broker
from einblick.brokers.services import set_webhook
from einblick.errors import DomainError
from einblick.office.brokers import create_broker


class Command(BaseCommand):
    help = "Create and list brokers (tenants)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a broker with the default line catalogue")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        sub.add_parser("list", help="list brokers")
        hook = sub.add_parser(
            "webhook", help="set the AMS webhook URL (prints a new signing secret once) or remove it"
        )
        hook.add_argument("slug")
        target = hook.add_mutually_exclusive_group(required=True)
        target.add_argument("url", nargs="?")
        target.add_argument("--remove", action="store_true")
        logo = sub.add_parser("logo", help="set the broker's logo (PNG or JPEG, at most 512 KB) or remove it")
        logo.add_argument("slug")
        which = logo.add_mutually_exclusive_group(required=True)
        which.add_argument("file", nargs="?", type=Path)
        which.add_argument("--remove", action="store_true")

    @no_translations  # the command line speaks English, as the API does
    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            try:
                broker = create_broker(slug=options["slug"], name=options["name"])
            except DomainError as exc:
                raise CommandError(str(exc.message)) from None
            self.stdout.write(self.style.SUCCESS(f"Created broker {broker.slug} ({broker.name})."))
        elif action == "webhook":
            self._webhook(options["slug"], options["url"], options["remove"])
        elif action == "logo":
            self._logo(options["slug"], options["file"], options["remove"])
        else:
            for broker in Broker.objects.order_by("slug"):
                self.stdout.write(f"{broker.slug}\t{broker.name}")

    def _logo(self, slug: str, file: Path | None, remove: bool) -> None:
        broker = Broker.objects.filter(slug=slug).first()
        if broker is None:
            raise CommandError(f"There is no broker {slug!r}.")
        if remove:
            logo.remove_logo(broker=broker, actor=None)
            self.stdout.write(self.style.SUCCESS(f"Removed the logo of {broker.slug}."))
            return
        assert file is not None
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            kind = logo.set_logo(broker=broker, data=data, actor=None)
        except DomainError as exc:
            raise CommandError(f"{exc.message} {'; '.join(e.msg for e in exc.errors)}") from None
        self.stdout.write(self.style.SUCCESS(f"Set the logo of {broker.slug} ({kind}, {len(data):,} bytes)."))

    def _webhook(self, slug: str, url: str | None, remove: bool) -> None:
        broker = Broker.objects.filter(slug=slug).first()
        if broker is None:
            raise CommandError(f"There is no broker {slug!r}.")
        try:
            secret = set_webhook(broker=broker, url=None if remove else url, actor=None)
        except DomainError as exc:
            raise CommandError(f"{exc.message} {'; '.join(e.msg for e in exc.errors)}") from None
        if secret is None:
            self.stdout.write(self.style.SUCCESS(f"Removed the webhook of {broker.slug}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Webhook of {broker.slug}: {broker.webhook_url}"))
            self.stdout.write(f"Signing secret (shown once): {secret}")
