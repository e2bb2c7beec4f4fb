"""The portfolio (Bestand): lines, customers, contracts with risk locations, claims, documents."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from einblick.brokers.models import Broker, Synced


class LineGroup(models.TextChoices):
    WOHNEN = "Wohnen", _("Home")
    MOBILITAET = "Mobilität", _("Mobility")
    HAFTUNG = "Haftung", _("Liability")
    GESUNDHEIT = "Gesundheit", _("Health")
    VORSORGE = "Vorsorge", _("Provision")
    RECHT = "Recht", _("Legal")
    GEWERBE = "Gewerbe", _("Business")
    SONSTIGES = "Sonstiges", _("Other")


class Line(models.Model):
    """A line of business (Sparte) of one broker's catalogue, keyed by its code."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="lines", db_index=False)
    code = models.CharField(_("code"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    group = models.CharField(
        _("group"), max_length=16, choices=LineGroup.choices, default=LineGroup.SONSTIGES
    )
    gdv = models.CharField(_("GDV code"), max_length=3, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sync_hash = models.CharField(max_length=32, blank=True, default="", editable=False)  # see Synced

    class Meta:
        verbose_name = _("line of business")
        verbose_name_plural = _("lines of business")
        constraints = [
            models.UniqueConstraint(fields=["broker", "code"], name="line_unique_code"),
            models.CheckConstraint(condition=Q(group__in=LineGroup.values), name="line_group_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class Customer(Synced):
    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="customers", db_index=False)
    kind = models.CharField(_("kind"), max_length=8, choices=CustomerKind.choices)
    salutation = models.CharField(_("salutation"), max_length=50, blank=True)
    first_name = models.CharField(_("first name"), max_length=200, blank=True)
    last_name = models.CharField(_("last name"), max_length=200, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    emails = models.JSONField(_("e-mail addresses"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    intermediary = models.CharField(_("intermediary number"), max_length=64, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    zip = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["broker", "external_id"], name="customer_unique_external_id"),
            models.CheckConstraint(condition=Q(kind__in=CustomerKind.values), name="customer_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind=CustomerKind.PERSON, last_name="")
                & ~Q(kind=CustomerKind.COMPANY, company_name=""),
                name="customer_has_name",
            ),
        ]
        indexes = [models.Index(fields=["broker", "intermediary"], name="customer_broker_intermediary")]

    @property
    def display_name(self) -> str:
        if self.kind == CustomerKind.COMPANY:
            return self.company_name
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class ContractStatus(models.TextChoices):
    ANFRAGE = "ANFRAGE", _("Enquiry")
    ANGEBOT = "ANGEBOT", _("Offer")
    EIGEN = "EIGEN", _("Own contract")
    FREMD = "FREMD", _("Held elsewhere")
    FREMDTEIL = "FREMDTEIL", _("Partly held elsewhere")
    GESPERRT = "GESPERRT", _("Blocked")
    INFO = "INFO", _("Information")
    RUHEND = "RUHEND", _("Dormant")
    STORNO = "STORNO", _("Cancelled")


class PaymentInterval(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    HALF_YEARLY = "half_yearly", _("half-yearly")
    YEARLY = "yearly", _("yearly")
    SINGLE = "single", _("single payment")


class ContractSource(models.TextChoices):
    AMS = "ams", _("Back office")
    PORTAL = "portal", _("Captured in the portal")


class Contract(Synced):
    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="contracts", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contracts")
    number = models.CharField(_("policy number"), max_length=100, blank=True)
    line = models.ForeignKey(Line, on_delete=models.RESTRICT, related_name="contracts")
    insurer = models.CharField(_("insurer"), max_length=200, blank=True)
    product = models.CharField(_("product"), max_length=200, blank=True)
    risk = models.CharField(_("risk"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ContractStatus.choices)
    offer_date = models.DateField(_("offer date"), null=True, blank=True)
    application_date = models.DateField(_("application date"), null=True, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    premium = models.DecimalField(_("premium"), max_digits=12, decimal_places=2, null=True, blank=True)
    payment_interval = models.CharField(
        _("payment interval"), max_length=12, choices=PaymentInterval.choices, null=True, blank=True
    )
    intermediary = models.CharField(_("intermediary number"), max_length=64, blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=ContractSource.choices, default=ContractSource.AMS
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["broker", "external_id"], name="contract_unique_external_id"),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values), name="contract_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(payment_interval__isnull=True) | Q(payment_interval__in=PaymentInterval.values),
                name="contract_interval_valid",
            ),
            models.CheckConstraint(
                condition=Q(premium__isnull=True) | Q(premium__gte=0), name="contract_premium_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(source__in=ContractSource.values), name="contract_source_valid"
            ),
        ]
        indexes = [models.Index(fields=["broker", "customer"], name="contract_broker_customer")]


class RiskLocation(models.Model):
    """A risk location / reference address (Risikoort / Referenzadresse) of a contract."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="+")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="risk_locations")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("label"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    zip = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("risk location")
        verbose_name_plural = _("risk locations")
        ordering = ["contract", "position"]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.label, self.street, self.city) if part)


class ClaimStatus(models.TextChoices):
    REPORTED = "reported", _("reported")
    OPEN = "open", _("open")
    SETTLED = "settled", _("settled")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")


class Claim(Synced):
    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="claims", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="claims")
    # Deleting a contract deletes its claims: a claim left without its contract would otherwise
    # become a "claim on the customer" and be shown where the contract was hidden (visibility.md §3).
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="claims"
    )
    number = models.CharField(_("claim number"), max_length=100, blank=True)
    loss_date = models.DateField(_("date of loss"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices)
    description = models.TextField(_("description"), max_length=10_000, blank=True)
    amount_reserved = models.DecimalField(
        _("reserve"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount_paid = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.UniqueConstraint(fields=["broker", "external_id"], name="claim_unique_external_id"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.CheckConstraint(
                condition=(Q(amount_reserved__isnull=True) | Q(amount_reserved__gte=0))
                & (Q(amount_paid__isnull=True) | Q(amount_paid__gte=0)),
                name="claim_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["broker", "customer"], name="claim_broker_customer"),
            models.Index(fields=["broker", "contract"], name="claim_broker_contract"),
        ]


class ClaimStatusChange(models.Model):
    """One step of a claim's status timeline."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="+")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("claim status change")
        verbose_name_plural = _("claim status changes")
        ordering = ["claim", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} {self.changed_at:%Y-%m-%d}"


class DocumentKind(models.TextChoices):
    POLICY = "policy", _("Policy")
    ENDORSEMENT = "endorsement", _("Endorsement")
    INVOICE = "invoice", _("Premium invoice")
    LETTER = "letter", _("Letter")
    CLAIM = "claim", _("Claim settlement")
    OTHER = "other", _("Other")


class Document(Synced):
    """A file the AMS publishes to the portal (domain.md §2): its metadata here, its bytes in the
    "documents" storage under a random name (portfolio/documents.py). Attached to a customer, and
    optionally to one of that customer's contracts or claims (the import keeps them in step)."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="documents", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, null=True, blank=True, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    # As the AMS sent them, for answering; visibility asks the DocumentKeyword rows.
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)  # text.clean_file_name
    # The file, once it has arrived: its storage name (random, never the AMS's), size, sha256, type.
    stored = models.CharField(max_length=100, blank=True, default="", editable=False)
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    content_type = models.CharField(_("content type"), max_length=32, blank=True, default="")
    file_at = models.DateTimeField(_("file arrived"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(fields=["broker", "external_id"], name="document_unique_external_id"),
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["broker", "customer"], name="document_broker_customer"),
            models.Index(fields=["broker", "contract"], name="document_broker_contract"),
            models.Index(fields=["broker", "claim"], name="document_broker_claim"),
        ]


class DocumentKeyword(models.Model):
    """One keyword of a document, kept in step with Document.keywords by the import, so that
    visibility asks "a keyword of the grant" in SQL (visibility.md §4)."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="+", db_index=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="keyword_rows")
    keyword = models.CharField(_("keyword"), max_length=64)

    class Meta:
        verbose_name = _("document keyword")
        verbose_name_plural = _("document keywords")
        constraints = [
            models.UniqueConstraint(fields=["document", "keyword"], name="document_keyword_unique"),
        ]
        indexes = [
            models.Index(fields=["broker", "keyword", "document"], name="document_keyword_lookup"),
        ]

    def __str__(self) -> str:
        return self.keyword
