"""`einblick demo`: create (idempotently) the demo broker and print its logins."""

from __future__ import annotations

import io
import secrets
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from einblick.accounts import consent
from einblick.accounts.models import User
from einblick.brokers.models import Broker
from einblick.brokers.services import create_token, revoke_token
from einblick.demo.data import batch
from einblick.grants.payloads import GrantIn
from einblick.grants.services import create_grant
from einblick.office.brokers import create_broker
from einblick.office.members import share
from einblick.portfolio.documents import store_content
from einblick.portfolio.importing import import_batch
from einblick.portfolio.models import Document
from einblick.processes import pdf

SLUG = "muster"
KLARA = "klara.muster@example.org"
# The seed's example grant: Klara and her company in one login; claims; automatic sharing of
# POLICE, ANTRAG and EIGEN in lines HRV and KFZ only (so the HPV contracts stay hidden).
GRANT = {
    "name": "Familie Muster",
    "customers": ["K-1001", "K-1002"],
    "share": {
        "claims": True,
        "auto_contracts": True,
        "statuses": ["POLICE", "ANTRAG", "EIGEN"],
        "lines": ["HRV", "KFZ"],
        "document_keywords": ["PORTAL"],
    },
    "actions": {
        "view": "private",
        "primary_contact": True,
        "messages": True,
        "claim_report": True,
        "claim_report_on_customer": True,
        "contract_capture": True,
        "offer_creation": True,
        "tariff_account": "T-1",
        "clerk": "U-1",
        "show_clerk": True,
    },
}
# Klara's second context: her company in the business view, every contract and claim of it with
# its risk locations, so that the demo shows both views and the context switcher.
BUSINESS_GRANT = {
    "name": "Musterfirma GmbH",
    "customers": ["K-1002"],
    "share": {
        "claims": True,
        "reference_addresses": True,
        "auto_contracts": True,
        "statuses": [
            "ANFRAGE",
            "ANGEBOT",
            "FREMD",
            "FREMDTEIL",
            "GESPERRT",
            "INFO",
            "RUHEND",
            "STORNO",
            "ANTRAG",
            "POLICE",
            "EIGEN",
        ],
    },
    "actions": {
        "view": "business",
        "primary_contact": True,
        "messages": True,
        "clerk": "U-2",
        "show_clerk": True,
    },
}
TOKEN_NAME = "Demo"  # noqa: S105 - the name, not the token


class Command(BaseCommand):
    help = "Create the demo broker Muster Makler GmbH (idempotent) and print fresh demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            broker = Broker.objects.filter(slug=SLUG).first() or create_broker(
                slug=SLUG, name="Muster Makler GmbH"
            )
            if not broker.brand_color:  # the demo broker's colours frame its portal
                Broker.objects.filter(pk=broker.pk).update(brand_color="#0f766e", accent_color="#b45309")
            result = import_batch(broker=broker, actor=None, data=batch())
            _publish_document_files(broker)
            operator_password = self._password("operator@einblick.example", superuser=True)
            staff_password = self._password(
                "max@muster-makler.example", first_name="Max", last_name="Betreuer"
            )
            klara_password = self._password(KLARA, first_name="Klara", last_name="Muster")
            # The demo's people have said yes to the demo broker (domain.md §3), as if they had
            # accepted its invitations: Klara's grants are active at once, Max has the office.
            consent.record(broker=broker, email="max@muster-makler.example", staff=True)
            consent.record(broker=broker, email=KLARA)
            operator_codes = self._second_factor("operator@einblick.example")
            staff_codes = self._second_factor("max@muster-makler.example")
            grant = broker.grants.filter(name=GRANT["name"]).first()
            if grant is None:
                grant = create_grant(broker=broker, actor=None, data=GrantIn.model_validate(GRANT))
            if not grant.document_keywords:  # a demo made before documents existed
                grant.document_keywords = ["PORTAL"]
                grant.save(update_fields=["document_keywords"])
            share(grant=grant, actor=None, email=KLARA)
            business = broker.grants.filter(name=BUSINESS_GRANT["name"]).first() or create_grant(
                broker=broker, actor=None, data=GrantIn.model_validate(BUSINESS_GRANT)
            )
            share(grant=business, actor=None, email=KLARA)
            for old in broker.api_tokens.filter(name=TOKEN_NAME, revoked_at__isnull=True):
                revoke_token(token=old)
            _, token = create_token(broker=broker, name=TOKEN_NAME)
        created = sum(result.created.values())
        self.stdout.write(
            self.style.SUCCESS(f"Demo broker {broker.name} is ready ({created} objects created).")
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Portal:        {settings.BASE_URL}/   (log in with one of the accounts below)",
                    f"  Operators:     {settings.BASE_URL}/admin/  operator@einblick.example / {operator_password}",
                    f"                 second factor: recovery code {operator_codes[0]} (or {operator_codes[1]})",
                    f"  Staff admin:   max@muster-makler.example / {staff_password}",
                    f"                 second factor: recovery code {staff_codes[0]} (or {staff_codes[1]})",
                    f"  Customer:      {KLARA} / {klara_password}  (grants {grant.name!r}, id {grant.pk}, and {business.name!r})",
                    f"  API token:     {token}",
                    f"  API docs:      {settings.BASE_URL}/api/v1/docs",
                    *self._outbox_lines(),
                    f'  Try:           curl -H "Authorization: Bearer {token}" {settings.BASE_URL}/api/v1/customers',
                    "",
                    "  Passwords, recovery codes and the token are new on every run of `einblick demo`.",
                    "  Staff and operators need a second factor: at the code step, enter a recovery code (each",
                    "  works once); under 'Mein Konto' you can set up your own authenticator app or passkey.",
                    "",
                ]
            )
        )

    @staticmethod
    def _outbox_lines() -> list[str]:
        if settings.EMAIL_BACKEND != "einblick.accounts.outbox.OutboxBackend":
            return []
        return [
            f"  E-mails:       {settings.BASE_URL}/accounts/outbox/  (the demo's outbox; as operator or staff)",
        ]

    @staticmethod
    def _second_factor(email: str) -> list[str]:
        """A second factor, with fresh recovery codes, so that a newcomer passes the staff's second-factor
        step without an authenticator app. An app or passkey set up earlier is kept; otherwise the
        demo sets up a TOTP whose secret nobody knows (the recovery codes stand in for it)."""
        from allauth.mfa.models import Authenticator
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        user = User.objects.get(email=email)
        factors = Authenticator.objects.filter(user=user)
        if not factors.filter(type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]).exists():
            TOTP.activate(user, generate_totp_secret())
        factors.filter(type=Authenticator.Type.RECOVERY_CODES).delete()
        return RecoveryCodes.activate(user).get_unused_codes()

    @staticmethod
    def _password(email: str, *, superuser: bool = False, **names: str) -> str:
        password = secrets.token_urlsafe(9)
        user = User.objects.filter(email=email).first() or User(email=email, **names)
        user.is_staff = user.is_superuser = superuser
        user.set_password(password)
        user.save()
        return password


def _publish_document_files(broker: Broker) -> None:
    """Each demo document's file: a small PDF of its title and data, made here (once: a document that
    has its file keeps it)."""
    for document in Document.objects.filter(broker=broker, stored="").select_related("contract"):
        rows = [("Dokument", document.title), ("Datum", f"{document.date:%d.%m.%Y}" if document.date else "")]
        if document.contract:
            rows.append(("Vertrag", f"{document.contract.number} – {document.contract.risk}"))
        rows.append(("Hinweis", "Ein Beispieldokument der Demo von Einblick."))
        content = pdf.report(document.title, rows)
        store_content(
            broker=broker,
            actor=None,
            document=document,
            stream=io.BytesIO(content),
            content_type="application/pdf",
            length=len(content),
        )
